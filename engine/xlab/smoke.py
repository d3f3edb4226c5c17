"""``npm run engine:smoke``: the end-to-end chain on generated data, through real worker processes:
each pretext task -> extract -> linear + finetune -> fusion (2 encoders linear, 3 finetune).
Prints one line per job and, at the end, the paths of the encoder files it wrote.

    python -m xlab.smoke [--out DIR] [--size 32] [--n 300] [--threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .fixtures import write_cache

ROOT = Path(__file__).resolve().parents[2]


def run_job(out: Path, kind: str, name: str, params: dict, threads: int) -> dict:
    run_dir = out / "runs" / name
    job = {"v": 1, "kind": kind, "run_id": name, "run_dir": str(run_dir), "seed": 0, "device": "auto", "threads": threads, "params": params}
    path = out / "jobs" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(job, indent=2))
    t0 = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "engine"), os.environ.get("PYTHONPATH")])))
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "worker.log", "w") as log:
        proc = subprocess.run([sys.executable, "-m", "xlab.worker", "--job", str(path)], stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    msgs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    end = msgs[-1] if msgs else {"type": "error", "code": "INTERNAL", "message": "no output"}
    dt = time.perf_counter() - t0
    if proc.returncode != 0 or end["type"] != "done":
        print(f"FAILED {kind:<10} {name}: exit {proc.returncode}: {end.get('code')} {end.get('message')} (log: {run_dir / 'worker.log'})")
        sys.exit(1)
    s = end["summary"]
    detail = ""
    if kind == "pretext":
        detail = " ".join(f"{k}={v:.3f}" for k, v in s["final_val"].items() if k in ("loss", "accuracy", "hole_l1"))
        detail += f"  {s['images_per_s']:.0f} img/s"
    elif kind == "downstream":
        t = s["test"]
        detail = f"test acc={t['accuracy']:.3f} bal_acc={t['balanced_accuracy']:.3f} auc={t['roc_auc'] or float('nan'):.3f}"
    print(f"ok  {kind:<10} {name:<28} {dt:6.1f}s  {detail}", flush=True)
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "test-output" / "engine-smoke"))
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--n", type=int, default=300)
    # one thread per job: the 32 px jobs gain little from more, and on a shared machine several
    # OpenMP threads per process spin against each other and run many times slower
    ap.add_argument("--threads", type=int, default=1, help="torch threads per job (0 = torch default)")
    a = ap.parse_args(argv)
    out = Path(a.out).resolve()
    import shutil
    shutil.rmtree(out, ignore_errors=True)
    pre = write_cache(out / "datasets" / "demo-mammo", n=a.n, size=a.size, seed=0)
    down = write_cache(out / "datasets" / "demo-chest", n=a.n, size=a.size, seed=5, labelled=True)
    print(f"generated caches in {out / 'datasets'}")
    common = {"image_size": a.size, "epochs": 2, "optimizer": "adam", "lr": 1e-3, "schedule": "cosine", "checkpoint_every_steps": 6}
    encoders = {}
    for task in ("rotation", "inpainting", "structure"):
        run_job(out, "pretext", f"pretext-{task}", {"task": task, "dataset_dir": str(pre), "batch_size": 64 if task == "rotation" else 32,
                                                   "max_steps_per_epoch": None if task == "rotation" else 6, **common}, a.threads)
        s = run_job(out, "extract", f"extract-{task}", {"checkpoint": str(out / "runs" / f"pretext-{task}" / "best.pth"), "pretext": task,
                                                        "dataset_name": "demo-mammo", "out_dir": str(out / "runs" / f"extract-{task}" / "encoders")}, a.threads)
        encoders[task] = s["encoder"]
    down_common = {"dataset_dir": str(down), "image_size": a.size, "epochs": 2, "batch_size": 32, "optimizer": "adam", "lr_head": 3e-3,
                   "lr_encoder": 3e-4, "imbalance": "weighted_loss", "max_steps_per_epoch": 6}
    for task, path in encoders.items():
        run_job(out, "downstream", f"binary-linear-{task}", {**down_common, "target": "binary", "protocol": "linear", "encoders": [path]}, a.threads)
    run_job(out, "downstream", "3class-finetune-rotation", {**down_common, "target": "3class", "protocol": "finetune", "encoders": [encoders["rotation"]]}, a.threads)
    run_job(out, "downstream", "binary-scratch", {**down_common, "target": "binary", "protocol": "scratch", "encoders": [], "lr_encoder": 1e-3, "lr_head": 1e-3}, a.threads)
    run_job(out, "downstream", "binary-fusion-linear-rot+inp", {**down_common, "target": "binary", "protocol": "linear",
                                                                "encoders": [encoders["rotation"], encoders["inpainting"]]}, a.threads)
    run_job(out, "downstream", "3class-fusion-finetune-all3", {**down_common, "target": "3class", "protocol": "finetune",
                                                               "encoders": list(encoders.values())}, a.threads)
    print("\nencoder files:")
    for path in encoders.values():
        print(f"  {path}")
        print(f"  {Path(path).with_suffix('.safetensors')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
