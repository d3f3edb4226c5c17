"""``python -m xlab.bench --out FILE``: training images/s of the worker's own loops (each pretext task
and finetune) against a bare PyTorch loop with the same model, batch, resolution and optimizer, in
the same process on the same device. Writes a JSON list of {name, value, unit, reference, ratio}
and prints a table. On CUDA it also reports the peak GPU memory of each loop.

The worker side runs the real job functions (``run_pretext`` / ``run_downstream``) on a generated
cache, so its figure includes everything a worker step does: the gather from the memory-mapped
cache, normalisation, on-device augmentation, the pretext transform, forward, backward, optimiser
step, loss checks and progress messages. The bare loop feeds one pre-made tensor. Both leave out
their first 2 steps (allocation, cudnn autotuning). On a shared machine timings are noisy, so the
pair is measured ``--rounds`` times, interleaved, and the best of each side is kept.

    python -m xlab.bench --out bench.json [--size 48] [--batch 64] [--steps 8] [--rounds 2] [--device auto]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .device import Device, resolve_device
from .errors import JobError
from .jobs import Job
from .protocol import Emitter

WARMUP = 2
LOOPS = ("pretext-rotation", "pretext-inpainting", "pretext-structure", "finetune")


def _sync(device: Device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def _reset_peak(device: Device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device: Device) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None


def reference_loop(name: str, device: Device, size: int, batch: int, steps: int) -> float:
    """Bare PyTorch: the same model, batch, resolution and optimiser (Adam), one pre-made tensor."""
    from .models import Classifier
    from .pretext import build_task
    torch.manual_seed(0)
    if name == "finetune":
        model, n_out = Classifier(2, 1), 2
    else:
        model = build_task(name.split("-", 1)[1])
        n_out = {"pretext-rotation": 4, "pretext-structure": 2}.get(name)
    model = device.prepare_model(model).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)  # the jobs' optimiser settings
    x = device.prepare_input(torch.randn(batch, 3, size, size, device=device.torch_device))
    y = torch.randint(0, n_out or 1, (batch,), device=device.torch_device)
    t0 = 0.0
    for i in range(WARMUP + steps):
        if i == WARMUP:
            _sync(device)
            t0 = time.perf_counter()
        with device.autocast():
            out = model(x)
        loss = (out.float() - x).abs().mean() if n_out is None else F.cross_entropy(out.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    _sync(device)
    return batch * steps / (time.perf_counter() - t0)


def worker_loop(name: str, device: Device, size: int, batch: int, steps: int, data: dict, tmp: Path) -> float:
    """The worker's job function for one epoch of WARMUP + steps steps; its own images/s."""
    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    em = Emitter("bench", io.StringIO())
    if name == "finetune":
        from .downstream import run_downstream
        params = {"dataset_dir": str(data["down"]), "target": "binary", "protocol": "finetune", "encoders": [str(data["encoder"])],
                  "image_size": size, "epochs": 1, "batch_size": batch, "optimizer": "adam", "max_steps_per_epoch": WARMUP + steps}
        summary = run_downstream(Job("downstream", "bench", str(run_dir), params=params), em, device)
    else:
        from .train_pretext import run_pretext
        params = {"task": name.split("-", 1)[1], "dataset_dir": str(data["pre"]), "image_size": size, "epochs": 1, "batch_size": batch,
                  "optimizer": "adam", "max_steps_per_epoch": WARMUP + steps, "max_val_images": 8}
        summary = run_pretext(Job("pretext", "bench", str(run_dir), params=params), em, device)
    return float(summary["images_per_s"])


def run_bench(device: Device, size: int, batch: int, steps: int, rounds: int, loops=LOOPS, log=print) -> list[dict]:
    from .extract import write_encoder
    from .fixtures import write_cache
    from .models import Encoder
    results = []
    with tempfile.TemporaryDirectory(prefix="xlab-bench-") as t:
        tmp = Path(t)
        n = max(3 * batch * (WARMUP + steps), 64)  # the train split (60%) covers every step without wrapping
        data = {"pre": write_cache(tmp / "pre", n=n, size=size, seed=0),
                "down": write_cache(tmp / "down", n=n, size=size, seed=1, labelled=True)}
        enc = Encoder().net.state_dict()
        data["encoder"] = write_encoder(enc, tmp / "enc", "encoder__bench__none__s0", {})["pth"]
        for name in loops:
            best_w = best_r = 0.0
            peak_w = peak_r = None
            for _ in range(rounds):
                _reset_peak(device)
                best_r = max(best_r, reference_loop(name, device, size, batch, steps))
                peak_r = _peak_gib(device)
                _reset_peak(device)
                best_w = max(best_w, worker_loop(name, device, size, batch, steps, data, tmp))
                peak_w = _peak_gib(device)
            results.append({"name": f"engine {name} {size}px b{batch} ({device.type})", "value": round(best_w, 1), "unit": "img/s",
                            "reference": round(best_r, 1), "ratio": round(best_w / best_r, 3)})
            if peak_w is not None:
                results.append({"name": f"engine {name} {size}px b{batch} peak memory", "value": round(peak_w, 2), "unit": "GiB",
                                "reference": round(peak_r, 2), "ratio": round(peak_w / peak_r, 3)})
            log(f"{name:<20} worker {best_w:8.1f} img/s   bare {best_r:8.1f} img/s   ratio {best_w / best_r:.3f}")
    return results


def print_table(results: list[dict]) -> None:
    print(f"\n{'name':<52} {'value':>9} {'unit':<6} {'reference':>9} {'ratio':>6}")
    for r in results:
        print(f"{r['name']:<52} {r['value']:>9} {r['unit']:<6} {r['reference']:>9} {r['ratio']:>6}")


def run_bench_job(job: Job, em: Emitter, device: Device) -> dict:
    """The ``bench`` job kind: params {image_size, batch_size, steps, rounds, loops}."""
    p = job.params
    results = run_bench(device, int(p.get("image_size", 48)), int(p.get("batch_size", 64)), int(p.get("steps", 8)),
                        int(p.get("rounds", 2)), tuple(p.get("loops", LOOPS)), log=lambda m: em.log(m))
    return {"results": results, "device": device.describe()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Engine training throughput vs a bare PyTorch loop.")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--loops", default=",".join(LOOPS), help="comma-separated subset of " + ",".join(LOOPS))
    a = ap.parse_args(argv)
    try:
        device = resolve_device(a.device, threads=a.threads)
    except JobError as e:
        print(e.message, file=sys.stderr)
        return 2
    print(f"device: {json.dumps(device.describe())}", flush=True)
    results = run_bench(device, a.size, a.batch, a.steps, a.rounds, tuple(a.loops.split(",")), log=lambda m: print(m, flush=True))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
