"""Checks that this Python can run the engine: torch imports, the training device is usable, and a
mixed-precision convolution runs forward and backward on it. Used by the lab's environment
manager (``src-core/environment/verify.ts``) and ``xlab doctor``.

``python -m xlab.envcheck [--device auto|cpu|cuda|mps]`` prints one JSON object on stdout:
``ok``, ``versions`` {python, torch, torchvision, numpy, xlab, cuda_build, hip_build},
``device`` (the engine's own device description), ``gpus`` [{index, name, memory_total_bytes,
memory_free_bytes, capability}], ``conv`` {dtype, ok, seconds, error}, ``engine_path`` (the xlab package checked) and ``errors`` (sentences).
Exit code 0 when ok, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time


def _versions() -> dict:
    out = {"python": platform.python_version()}
    import torch

    out["torch"] = torch.__version__
    out["cuda_build"] = torch.version.cuda
    out["hip_build"] = getattr(torch.version, "hip", None)
    for name in ("torchvision", "numpy"):
        try:
            out[name] = __import__(name).__version__
        except Exception as exc:  # a broken install must still produce a report
            out[name] = None
            out[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
    from . import __version__

    out["xlab"] = __version__
    return out


def _gpus() -> list[dict]:
    import torch

    gpus = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            props = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": props.name, "memory_total_bytes": int(total), "memory_free_bytes": int(free),
                         "capability": f"{props.major}.{props.minor}"})
    return gpus


def conv_check(device) -> dict:
    """A small conv net forward and backward under autocast in bf16 (fp16 where the device lacks
    bf16), on the engine's device; finite gradients or an error sentence."""
    import torch

    t = device.torch_device.type
    if t == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    elif t == "mps":
        dtype = torch.float16
    else:
        dtype = torch.bfloat16
    t0 = time.perf_counter()
    try:
        g = torch.Generator().manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                                  torch.nn.Conv2d(16, 8, 3, stride=2)).to(device.torch_device)
        x = torch.randn(4, 3, 32, 32, generator=g).to(device.torch_device)
        with torch.autocast(device_type=t, dtype=dtype):
            y = net(x)
        loss = y.float().square().mean()
        loss.backward()
        grads = [p.grad for p in net.parameters()]
        if any(gr is None or not torch.isfinite(gr).all() for gr in grads):
            raise RuntimeError("the backward pass gave missing or non-finite gradients")
        if t == "cuda":
            torch.cuda.synchronize()
        return {"dtype": str(dtype).replace("torch.", ""), "ok": True, "seconds": round(time.perf_counter() - t0, 3),
                "output_dtype": str(y.dtype).replace("torch.", ""), "error": None}
    except Exception as exc:
        return {"dtype": str(dtype).replace("torch.", ""), "ok": False, "seconds": round(time.perf_counter() - t0, 3),
                "error": f"{type(exc).__name__}: {exc}"}


def check(spec: str) -> dict:
    import os

    report: dict = {"ok": False, "versions": {"python": platform.python_version()}, "device": None, "gpus": [],
                    "conv": None, "errors": [], "engine_path": os.path.dirname(os.path.abspath(__file__))}
    try:
        report["versions"] = _versions()
    except Exception as exc:
        report["errors"].append(f"torch does not import: {type(exc).__name__}: {exc}. Repair the environment.")
        return report
    for name in ("torchvision", "numpy"):
        if report["versions"].get(name) is None:
            report["errors"].append(f"{name} does not import ({report['versions'].get(name + '_error')}); it must be the build that matches torch {report['versions']['torch']}. Repair the environment.")
    if report["errors"]:
        return report
    from .device import resolve_device

    try:
        device = resolve_device(spec)
        report["device"] = device.describe()
        report["gpus"] = _gpus()
    except Exception as exc:
        report["errors"].append(f"the device {spec!r} is not usable: {exc}")
        return report
    report["conv"] = conv_check(device)
    if not report["conv"]["ok"]:
        report["errors"].append(f"a {report['conv']['dtype']} convolution failed on {device.type}: {report['conv']['error']}")
    report["ok"] = not report["errors"]
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    report = check(args.device)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
