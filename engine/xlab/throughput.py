"""``python -m xlab.throughput --size 32 --batch 32 [--device auto] [--threads 0] [--seconds 3]``: how fast
this device trains and evaluates a torchvision ResNet-18 at one image size and batch, for the lab's
estimates (src-core/study/estimate.ts). One JSON object on stdout:
``{"device": {...describe()}, "image_size", "batch_size", "threads", "train_images_per_s",
"eval_images_per_s", "train_steps", "eval_steps", "seconds"}``.

Train: forward + backward + SGD step on random inputs in the device's autocast/channels_last setting,
as a worker trains; eval: a no-grad forward in eval mode. Each is timed for about ``--seconds`` after
``WARMUP`` steps (allocation, cudnn autotuning); a GPU is synchronised before the clock is read.
Data loading, validation and checkpoints are not in these figures: finished runs measure those
(the estimator's per-stage factors)."""

from __future__ import annotations

import argparse
import json
import sys
import time

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, required=True, help="image size in pixels (square)")
    ap.add_argument("--batch", type=int, required=True, help="images per step")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch threads on CPU (0: torch's default)")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds of training (evaluation: half)")
    a = ap.parse_args(argv)
    if a.size < 8 or a.batch < 1 or a.seconds <= 0:
        sys.stderr.write("--size must be at least 8, --batch at least 1 and --seconds above 0.\n")
        return 2
    device = resolve_device(a.device, threads=a.threads)
    sys.stdout.write(json.dumps(measure(device, a.size, a.batch, a.seconds)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
