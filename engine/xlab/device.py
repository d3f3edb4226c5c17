"""Device choice and per-device speed settings (CUDA bf16 autocast + channels_last + cudnn.benchmark,
Apple MPS, CPU), thread count and the deterministic flag.

A serving worker runs many jobs in one process, so ``resolve_device`` sets every process-wide switch
it owns for each job, both ways (a deterministic job must not leave the next one deterministic),
and ``release_memory`` hands back what a finished job held."""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass

import numpy as np
import torch

from .errors import bad_input

# torch's own intra-op thread count, restored for a job that leaves ``threads`` at 0.
_DEFAULT_THREADS = torch.get_num_threads()


@dataclass
class Device:
    """The resolved training device and how to run on it."""

    torch_device: torch.device  # where tensors live
    amp_dtype: torch.dtype | None  # autocast dtype (bf16 on CUDA), None = full precision
    channels_last: bool  # NHWC memory format (faster convolutions with tensor cores)
    deterministic: bool  # deterministic algorithms requested

    @property
    def type(self) -> str:
        return self.torch_device.type

    def describe(self) -> dict:
        t = self.torch_device.type
        if t == "cuda":
            idx = self.torch_device.index or 0
            return {"type": "cuda", "name": torch.cuda.get_device_name(idx), "count": torch.cuda.device_count(),
                    "amp": "bf16" if self.amp_dtype is torch.bfloat16 else "none", "channels_last": self.channels_last}
        if t == "mps":
            return {"type": "mps", "name": "Apple MPS", "count": 1, "amp": "none", "channels_last": False}
        return {"type": "cpu", "name": _cpu_name(), "count": 1, "threads": torch.get_num_threads(), "amp": "none",
                "channels_last": False}

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.torch_device.type, dtype=self.amp_dtype)

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        model = model.to(self.torch_device)
        return model.to(memory_format=torch.channels_last) if self.channels_last else model

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "cpu"


def resolve_device(spec: str = "auto", deterministic: bool = False, threads: int = 0) -> Device:
    """``auto`` prefers CUDA, then MPS, then CPU. ``threads`` > 0 sets torch's intra-op thread count."""
    torch.set_num_threads(threads if threads and threads > 0 else _DEFAULT_THREADS)
    spec = spec or "auto"
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "mps" if _mps_ok() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise bad_input("The job asks for device 'cuda' but no CUDA GPU is visible; use device 'auto' or 'cpu'.")
        dev = torch.device(spec)
        torch.backends.cudnn.benchmark = not deterministic
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else None
        result = Device(dev, amp, True, deterministic)
    elif spec == "mps":
        if not _mps_ok():
            raise bad_input("The job asks for device 'mps' but Apple MPS is not available; use device 'auto' or 'cpu'.")
        result = Device(torch.device("mps"), None, False, deterministic)
    elif spec == "cpu":
        result = Device(torch.device("cpu"), None, False, deterministic)
    else:
        raise bad_input(f"Unknown device {spec!r}; use auto, cpu, cuda, cuda:N or mps.")
    if deterministic:
        # Read when cuBLAS starts (first CUDA matmul), so it holds for a process whose jobs are all
        # deterministic; the supervisor keeps deterministic and other jobs in separate warm workers.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    return result


def _mps_ok() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def step_generator(seed: int, *keys: int) -> torch.Generator:
    """A CPU generator seeded from (seed, keys...). Every random choice of a training step draws from
    the generator of (seed, epoch, position), so a resumed run repeats the interrupted run exactly."""
    g = torch.Generator()
    h = seed & 0xFFFFFFFF
    for k in keys:
        h = (h * 1_000_003 + int(k) + 0x9E3779B9) & 0xFFFFFFFFFFFF
    g.manual_seed(h)
    return g


def is_oom(exc: BaseException) -> bool:
    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_memory(device: Device) -> None:
    import gc
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


def release_memory() -> None:
    """Between two jobs of a serving worker: collect the finished job's objects and return cached
    accelerator memory to the driver, so the next job (or another process) starts with all of it."""
    import gc
    gc.collect()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    if _mps_ok():
        torch.mps.empty_cache()
