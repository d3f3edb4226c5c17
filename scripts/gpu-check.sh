#!/usr/bin/env bash
# GPU check of the engine (issue 2, "GPU check"). Run on a CUDA machine from the repository root:
#
#   bash scripts/gpu-check.sh            # engine tests on the GPU, then the 224 px / batch 256 bench
#   XLAB_GPU_SKIP_TESTS=1 bash scripts/gpu-check.sh   # bench only
#
# What it does:
#   1. says which GPU torch sees (and stops with exit 2 if there is none: the CPU figures come from
#      `npm run bench`);
#   2. runs the engine pytest suite with every worker job on the GPU (XLAB_TEST_DEVICE=cuda), which
#      uses bf16 autocast, channels_last and cudnn.benchmark (deterministic jobs turn benchmark off);
#   3. runs the engine bench at 224 px, batch 256 with the input pipeline of engine/xlab/data.py (one
#      gather thread, pinned memory, non_blocking copies, transforms on the device): first the
#      gather rate on its own against the rates a GPU needs, then ResNet-18 pretext (rotation,
#      inpainting, structure) and finetune, images/s of the worker's loop vs a bare PyTorch loop
#      (median ratio over interleaved rounds) and the peak GPU memory of each; the table is printed
#      and written to test-output/gpu-bench.json;
#   4. samples GPU utilisation (nvidia-smi, every 200 ms) while the bench trains, and prints its mean
#      and median over the samples taken during the bench (test-output/gpu-util.csv): an engine loop
#      that keeps the GPU fed stays near the bare loop's utilisation.
# Anchor: an RTX 3090 trains ResNet-18 at 224 px at about 3,482 images/s with AMP and channels_last;
# an H100 should do several times that (about 10,000 images/s; feature extraction about 30,000).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${XLAB_PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PYTHONPATH="$PWD/engine${PYTHONPATH:+:$PYTHONPATH}"

if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu-check: torch sees no CUDA GPU on this machine, so there is nothing to measure here." >&2
  echo "gpu-check: run it on a CUDA workstation (npm run setup first); CPU figures come from npm run bench." >&2
  exit 2
fi
"$PY" - <<'PYEOF'
import torch
p = torch.cuda.get_device_properties(0)
print(f"gpu-check: {torch.cuda.device_count()} x {p.name}, {p.total_memory / 2**30:.0f} GiB, torch {torch.__version__}, "
      f"CUDA {torch.version.cuda}, bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}")
PYEOF

mkdir -p test-output
if [ -z "${XLAB_GPU_SKIP_TESTS:-}" ]; then
  echo "gpu-check: engine tests with worker jobs on cuda"
  XLAB_TEST_DEVICE=cuda "$PY" -m pytest -q tests/engine
fi

echo "gpu-check: bench at 224 px, batch 256 (bf16 autocast + channels_last, gather thread + pinned memory)"
UTIL=test-output/gpu-util.csv
SMI_PID=""
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 200 >"$UTIL" &
  SMI_PID=$!
  trap '[ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null || true' EXIT
else
  echo "gpu-check: no nvidia-smi on PATH, so no utilisation figure" >&2
fi
"$PY" -m xlab.bench --device cuda --size 224 --batch 256 --rounds "${XLAB_GPU_ROUNDS:-3}" --seconds "${XLAB_GPU_SECONDS:-5}" \
  --out test-output/gpu-bench.json
if [ -n "$SMI_PID" ]; then
  kill "$SMI_PID" 2>/dev/null || true
  SMI_PID=""
  "$PY" - "$UTIL" <<'PYEOF'
import statistics, sys
vals = []
for line in open(sys.argv[1]):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) >= 2 and parts[1].isdigit():
        vals.append(int(parts[1]))
busy = [v for v in vals if v > 0]  # samples while something ran (setup, cache writes and checkpoint saves read 0)
if vals:
    print(f"gpu-check: GPU utilisation over the bench: mean {statistics.mean(vals):.0f}%, median {statistics.median(vals):.0f}% "
          f"of {len(vals)} samples; mean {statistics.mean(busy) if busy else 0:.0f}% over the {len(busy)} non-idle ones")
PYEOF
fi
echo "gpu-check: wrote test-output/gpu-bench.json and $UTIL (anchor: RTX 3090 ~3,482 img/s for ResNet-18 at 224 px with AMP)"
