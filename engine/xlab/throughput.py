"""``python -m xlab.throughput --size 32 --batch 32 [--device auto] [--threads 0] [--seconds 3]``: how fast
this device trains and evaluates a torchvision ResNet-18 at one image size and batch, for the lab's
estimates (src-core/study/estimate.ts). One JSON object on stdout:
``{"device": {...describe()}, "image_size", "batch_size", "threads", "train_images_per_s",
"eval_images_per_s", "train_steps", "eval_steps", "seconds"}``.

Train: forward + backward + SGD step on random inputs in the device's autocast/channels_last setting,
as a worker trains; eval: a no-grad forward in eval mode. Each is timed for about ``--seconds`` after
``WARMUP`` steps (allocation, cudnn autotuning); a GPU is synchronised before the clock is read.
Data loading, validation and checkpoints are not in these figures.

``--calibrate FILE`` also times what a run costs beyond its network images: the lab writes one job per
kind of work its study plans (``{"pretrain": {"n"}, "downstream": {"n"}, "jobs": [{"key", "kind",
"params"}]}``, budgets cut to a few steps), and each runs here, in this warm process as a warm worker
would run it, through the worker's own job function on generated caches (fixtures.py) of the study's
sizes: set-up, dataset loading, the shortcut score, validation, the L-BFGS probe fit over its C grid,
checkpoint and encoder writes, test outputs. The output gains ``"calibration": [{"key", "wall_s",
"images_per_s"}]``: the lab subtracts the network images' share (at the rates above)
and keeps the rest as the kind's fixed seconds (src-core/study/throughput.ts). Placeholders in
``params``: ``{"$fixture": "pretrain" | "downstream" | "encoder" | "checkpoint"}`` and
``{"$runDir": NAME}``; ``"fixtures"`` gives the generated caches' split sizes."""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
import torchvision

from .device import Device, resolve_device

WARMUP = 2


def _sync(device: Device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def _timed(device: Device, step, seconds: float, batch: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    while True:
        step()
        n += 1
        if n % 2 == 0 or device.type == "cpu":
            _sync(device)
            dt = time.perf_counter() - t0
            if dt >= seconds and n >= 2:
                return n * batch / dt, n


def measure(device: Device, image_size: int, batch_size: int, seconds: float = 3.0) -> dict:
    """Train and eval images/s of a ResNet-18 at ``image_size`` with ``batch_size`` on ``device``, and
    ``job_s``: what a job pays before its steady pace (building the network, the first ``WARMUP`` steps)."""
    t_job = time.perf_counter()
    g = torch.Generator().manual_seed(0)
    model = device.prepare_model(torchvision.models.resnet18(num_classes=4))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = device.prepare_input(torch.randn(batch_size, 3, image_size, image_size, generator=g).to(device.torch_device))
    y = torch.randint(0, 4, (batch_size,), generator=g).to(device.torch_device)

    def train_step():
        with device.autocast():
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def eval_step():
        with torch.no_grad(), device.autocast():
            model(x)

    model.train()
    for _ in range(WARMUP):
        train_step()
    _sync(device)
    job_s = time.perf_counter() - t_job
    train_rate, train_steps = _timed(device, train_step, seconds, batch_size)
    model.eval()
    for _ in range(WARMUP):
        eval_step()
    eval_rate, eval_steps = _timed(device, eval_step, seconds / 2, batch_size)
    return {"device": device.describe(), "image_size": image_size, "batch_size": batch_size,
            "threads": torch.get_num_threads() if device.type == "cpu" else None,
            "train_images_per_s": round(train_rate, 3), "eval_images_per_s": round(eval_rate, 3),
            "job_s": round(job_s, 3), "train_steps": train_steps, "eval_steps": eval_steps,
            "seconds": round(time.perf_counter() - t_job, 3)}


class _NoFixture(Exception):
    pass


def _resolve(value, fixtures: dict, run_dir: Path):
    if isinstance(value, list):
        return [_resolve(v, fixtures, run_dir) for v in value]
    if not isinstance(value, dict):
        return value
    if "$fixture" in value:
        if value["$fixture"] not in fixtures:
            raise _NoFixture(value["$fixture"])
        return fixtures[value["$fixture"]]
    if "$runDir" in value:
        return str(run_dir / value["$runDir"])
    return {k: _resolve(v, fixtures, run_dir) for k, v in value.items()}


def calibrate(device: Device, image_size: int, spec: dict, threads: int = 0, log=lambda m: None, train_rate: float | None = None) -> dict:
    """Runs each job of ``spec["jobs"]`` (module doc) through the worker's ``run_job`` on generated
    caches, one after another in this process. Returns ``{"fixtures": {"pretrain", "downstream"}: the
    caches' split sizes, "calibration": [{"key", "wall_s", "images_per_s"}] in order}`` (images/s: the
    job summary's, of its timed training steps or feature pass). A pretext job with ``"budget_s"``
    trains its step budget, cut to about that many seconds at ``train_rate`` (images/s), and its
    checkpoint is the one later jobs extract; an extract job's encoder is the one later jobs read
    (``{"$fixture": "encoder"}``; a seeded random-init one before any). Pretext results give the
    ``steps`` and ``val_every_steps`` they ran.
    A job that needs a checkpoint no earlier pretext job left is skipped (``wall_s`` None), and so is
    every job after the first once ``spec["budget_s"]`` seconds of calibration have passed (``"skipped": "budget"``);
    a job that fails raises RuntimeError with the worker's error message."""
    from .extract import write_encoder
    from .fixtures import write_cache
    from .models import Encoder
    from .protocol import Emitter
    from .worker import run_job
    out = []
    with tempfile.TemporaryDirectory(prefix="xlab-calibrate-") as t:
        tmp = Path(t)
        # Labelled caches (one class per image) serve every task, the supervised reference included.
        fixtures = {"pretrain": str(write_cache(tmp / "pretrain", n=max(20, int(spec["pretrain"]["n"])), size=image_size, seed=0, labelled=True)),
                    "downstream": str(write_cache(tmp / "downstream", n=max(20, int(spec["downstream"]["n"])), size=image_size, seed=1, labelled=True))}
        torch.manual_seed(0)
        splits = {name: json.loads((Path(fixtures[name]) / "meta.json").read_text())["splits"] for name in ("pretrain", "downstream")}
        fixtures["encoder"] = write_encoder(Encoder().net.state_dict(), tmp / "encoder", "encoder__calibration__none__s0", {})["pth"]
        extracted = False
        t_start = time.perf_counter()
        for i, j in enumerate(spec["jobs"]):
            run_dir = tmp / f"job-{i}"
            if i > 0 and spec.get("budget_s") and time.perf_counter() - t_start > float(spec["budget_s"]):
                out.append({"key": j["key"], "wall_s": None, "images_per_s": None, "skipped": "budget"})
                continue
            try:
                params = _resolve(j["params"], fixtures, run_dir)
            except _NoFixture:
                out.append({"key": j["key"], "wall_s": None, "images_per_s": None})
                continue
            run_dir.mkdir()
            if j["kind"] == "pretext" and j.get("budget_s") and train_rate:
                fit = max(1, int(float(j["budget_s"]) * train_rate / max(1, int(params.get("batch_size", 64)))))
                params["steps"] = min(int(params.get("steps") or fit), fit)
                params["val_every_steps"] = min(int(params.get("val_every_steps") or params["steps"]), params["steps"])
            job = {"v": 1, "kind": j["kind"], "run_id": f"calibrate-{i}", "run_dir": str(run_dir), "seed": 0, "device": device.type,
                   "deterministic": False, "threads": threads, "params": params}
            (run_dir / "job.json").write_text(json.dumps(job))
            messages = io.StringIO()
            t0 = time.perf_counter()
            code = run_job(Emitter(job["run_id"], messages), str(run_dir / "job.json"), t0, warm_jobs=i + 1)
            _sync(device)
            wall = time.perf_counter() - t0
            if code != 0:
                errors = [m.get("message") for m in map(json.loads, messages.getvalue().splitlines()) if m.get("type") == "error"]
                raise RuntimeError(f"the calibration job {j['key']} failed (exit {code}): {errors[-1] if errors else 'no message'}")
            if j["kind"] == "pretext" and "checkpoint" not in fixtures:
                ck = next((run_dir / f for f in ("best.pth", "last.pth") if (run_dir / f).exists()), None)
                if ck is not None:
                    fixtures["checkpoint"] = str(ck)
            summary = json.loads((run_dir / "summary.json").read_text())
            if j["kind"] == "extract" and summary.get("encoder") and not extracted:
                fixtures["encoder"], extracted = summary["encoder"], True
            ips = summary.get("images_per_s")
            row = {"key": j["key"], "wall_s": round(wall, 3), "images_per_s": round(float(ips), 3) if ips else None}
            if j["kind"] == "pretext":
                row.update(steps=params.get("steps"), val_every_steps=params.get("val_every_steps"))
            out.append(row)
            log(f"calibrated {j['key']}: {wall:.2f} s")
    return {"fixtures": splits, "calibration": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, required=True, help="image size in pixels (square)")
    ap.add_argument("--batch", type=int, required=True, help="images per step")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch threads on CPU (0: torch's default)")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds of training (evaluation: half)")
    ap.add_argument("--calibrate", default=None, help="JSON file of jobs whose fixed costs to time (module doc)")
    a = ap.parse_args(argv)
    if a.size < 8 or a.batch < 1 or a.seconds <= 0:
        sys.stderr.write("--size must be at least 8, --batch at least 1 and --seconds above 0.\n")
        return 2
    spec = None
    if a.calibrate:
        try:
            spec = json.loads(Path(a.calibrate).read_text())
            assert isinstance(spec.get("jobs"), list) and "n" in spec["pretrain"] and "n" in spec["downstream"]
        except (OSError, ValueError, AssertionError, AttributeError, KeyError, TypeError) as e:
            sys.stderr.write(f"--calibrate {a.calibrate} is not a calibration file ({e or 'jobs, pretrain.n, downstream.n missing'}); "
                             "the lab writes it (src-core/study/throughput.ts).\n")
            return 2
    device = resolve_device(a.device, threads=a.threads)
    result = measure(device, a.size, a.batch, a.seconds)
    if spec is not None:
        t0 = time.perf_counter()
        try:
            result.update(calibrate(device, a.size, spec, a.threads, log=lambda m: sys.stderr.write(m + "\n"),
                                    train_rate=result["train_images_per_s"]))
        except RuntimeError as e:
            sys.stderr.write(f"Calibrating the fixed costs failed: {e}\n")
            return 1
        result["calibration_s"] = round(time.perf_counter() - t0, 3)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
