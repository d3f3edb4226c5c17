"""``python -m xlab.bench --out FILE``: training images/s of the worker's own loops (each pretext task
and finetune) against a bare PyTorch loop with the same model, batch, resolution and optimizer, in
the same process on the same device. Writes a JSON list of {name, value, unit, reference, ratio}
and prints a table. On CUDA it also reports the peak GPU memory of each loop.

The worker side runs the real job functions (``run_pretext`` / ``run_downstream``) on a generated
cache, so its figure includes everything a worker step does: the gather from the memory-mapped
cache, normalisation, on-device augmentation, the pretext transform, forward, backward, optimiser
step, loss checks and progress messages. The bare loop feeds one pre-made tensor. Both leave out
their first 2 steps (allocation, cudnn autotuning).

Noise (docs/performance.md). A ratio of two timings taken minutes apart on a shared machine says
more about the machine than the engine, so each loop is measured in ``--rounds`` rounds, each one
worker run and one bare run back to back (the order alternating, A B then B A, so a steady drift
cancels); every round gives a ratio worker/bare, and the bench reports the median of those ratios
with its spread (min-max and the interquartile range). The steps of a run are chosen once per loop
so that the bare run lasts about ``--seconds`` (a calibration run of the bare loop, also a warm-up).
The gather rate of the input pipeline at 224 px (bench_gather.py) comes first.

    python -m xlab.bench --out FILE [--size 48] [--batch 64] [--rounds 5] [--seconds 3] [--device auto] [--no-gather]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .device import Device, resolve_device
from .bench_gather import gather_results
from .errors import JobError
from .jobs import Job
from .protocol import Emitter

WARMUP = 2
MIN_STEPS, MAX_STEPS = 4, 200  # timed steps per run, whatever the calibration says
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


def ratio_summary(worker: list[float], bare: list[float]) -> dict:
    """Per-round ratios worker/bare and their median, min, max and quartiles (linear interpolation)."""
    if not worker or len(worker) != len(bare):
        raise ValueError("one worker and one bare rate per round")
    ratios = [w / b for w, b in zip(worker, bare)]
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    return {"ratios": ratios, "median": float(med), "min": min(ratios), "max": max(ratios), "q1": float(q1), "q3": float(q3),
            "worker_median": float(np.median(worker)), "bare_median": float(np.median(bare))}


def calibrate_steps(name: str, device: Device, size: int, batch: int, seconds: float) -> int:
    """Timed steps that make the bare loop last about ``seconds`` (from a 3-step run, which also warms up)."""
    rate = reference_loop(name, device, size, batch, 3)
    return int(min(MAX_STEPS, max(MIN_STEPS, round(seconds * rate / batch))))


def run_bench(device: Device, size: int, batch: int, rounds: int, seconds: float, loops=LOOPS, log=print,
              steps: int | None = None) -> list[dict]:
    """Rows for every loop: the median ratio (value = median worker img/s, reference = median bare img/s)."""
    from .extract import write_encoder
    from .fixtures import write_cache
    from .models import Encoder
    results = []
    with tempfile.TemporaryDirectory(prefix="xlab-bench-") as t:
        tmp = Path(t)
        n = max(3 * batch * (WARMUP + min(steps or 40, 40)), 64)  # beyond 40 steps a pass wraps: the same work, a smaller cache
        data = {"pre": write_cache(tmp / "pre", n=n, size=size, seed=0),
                "down": write_cache(tmp / "down", n=n, size=size, seed=1, labelled=True)}
        enc = Encoder().net.state_dict()
        data["encoder"] = write_encoder(enc, tmp / "enc", "encoder__bench__none__s0", {})["pth"]
        for name in loops:
            k = steps or calibrate_steps(name, device, size, batch, seconds)
            worker, bare, peak_w, peak_r = [], [], None, None
            for r in range(rounds):
                for side in (("worker", "bare") if r % 2 == 0 else ("bare", "worker")):
                    _reset_peak(device)
                    if side == "bare":
                        bare.append(reference_loop(name, device, size, batch, k))
                        peak_r = _peak_gib(device)
                    else:
                        worker.append(worker_loop(name, device, size, batch, k, data, tmp))
                        peak_w = _peak_gib(device)
            st = ratio_summary(worker, bare)
            results.append({"name": f"engine {name} {size}px b{batch} ({device.type})", "value": round(st["worker_median"], 1),
                            "unit": "img/s", "reference": round(st["bare_median"], 1), "ratio": round(st["median"], 3),
                            "spread": f"{st['min']:.2f}-{st['max']:.2f} (IQR {st['q1']:.2f}-{st['q3']:.2f}), {rounds} rounds x {k} steps",
                            "ratios": [round(x, 3) for x in st["ratios"]]})
            if peak_w is not None:
                results.append({"name": f"engine {name} {size}px b{batch} peak memory", "value": round(peak_w, 2), "unit": "GiB",
                                "reference": round(peak_r, 2), "ratio": round(peak_w / peak_r, 3)})
            log(f"{name:<20} median ratio {st['median']:.3f}  min-max {st['min']:.3f}-{st['max']:.3f}  IQR {st['q1']:.3f}-{st['q3']:.3f}"
                f"  | worker {st['worker_median']:.1f} img/s, bare {st['bare_median']:.1f} img/s (medians), {rounds} rounds x {k} steps;"
                f" ratios {' '.join(f'{x:.2f}' for x in st['ratios'])}")
    return results


def print_table(results: list[dict]) -> None:
    print(f"\n{'name':<64} {'value':>9} {'unit':<6} {'reference':>9} {'ratio':>6}  spread")
    for r in results:
        print(f"{r['name']:<64} {r['value']:>9} {r['unit']:<6} {r['reference']:>9} {r['ratio']:>6}  {r.get('spread', '')}")


def run_bench_job(job: Job, em: Emitter, device: Device) -> dict:
    """The ``bench`` job kind: params {image_size, batch_size, rounds, seconds, steps (fixed instead of calibrated), loops}."""
    p = job.params
    results = run_bench(device, int(p.get("image_size", 48)), int(p.get("batch_size", 64)), int(p.get("rounds", 5)),
                        float(p.get("seconds", 3.0)), tuple(p.get("loops", LOOPS)), log=lambda m: em.log(m),
                        steps=int(p["steps"]) if p.get("steps") else None)
    return {"results": results, "device": device.describe()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Engine training throughput vs a bare PyTorch loop.")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5, help="worker/bare pairs per loop; the median ratio is reported")
    ap.add_argument("--seconds", type=float, default=3.0, help="about how long each bare run lasts (sets the steps)")
    ap.add_argument("--steps", type=int, default=0, help="timed steps per run instead of --seconds")
    ap.add_argument("--no-gather", action="store_true", help="leave out the 224 px gather rate")
    ap.add_argument("--gather-images", type=int, default=20_000)
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
    log = lambda m: print(m, flush=True)  # noqa: E731
    results = [] if a.no_gather else gather_results(n=a.gather_images, log=log)
    results += run_bench(device, a.size, a.batch, a.rounds, a.seconds, tuple(a.loops.split(",")), log=log, steps=a.steps or None)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
