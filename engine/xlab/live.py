"""Live training curves: throttled ``metric`` messages of split ``train_step`` while a loop trains.

A point goes out every ``every_steps`` optimiser steps or every ``every_s`` seconds, whichever comes
first (so a slow CPU run still shows a point every few seconds, and a fast GPU run of 3,000 steps sends
about ``MAX_POINTS_BY_STEPS`` points, not one per step). Each point carries the global step and:
  - ``loss``: the mean training loss of the steps since the previous point (steps whose loss was read:
    on a GPU the loss is read every few steps only, reading it syncs the device);
  - ``lr``: the learning rate of the first parameter group at that step;
  - ``images_per_s``: network images per second of the steps since the previous point;
  - ``epochs``: data passes done (dataset images drawn / train split size), the chart's secondary axis.
The round-level ``train`` metric (the mean loss of a round) is sent as before at each validation; the
live points are their own split so views that draw one point per epoch are unchanged.

Also: the memory the job holds now (``memory_mb``), sent with ``progress`` messages so a running job's
health shows device memory (the accelerator's allocated memory, or this process's resident set)."""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Callable

import torch

from .protocol import Emitter

LIVE_SPLIT = "train_step"
MAX_POINTS_BY_STEPS = 100  # the step rule alone sends at most about this many points per run
EVERY_S = 5.0  # the time rule: at most this long without a point while steps are being made


def every_steps_for(total_steps: int) -> int:
    """The step interval of a run of ``total_steps`` steps: about MAX_POINTS_BY_STEPS points in all."""
    return max(1, math.ceil(total_steps / MAX_POINTS_BY_STEPS))


class LiveCurve:
    """Collects the steps of a training loop and sends a point when one is due (see the module doc)."""

    def __init__(self, emitter: Emitter, total_steps: int, train_size: int, every_s: float = EVERY_S,
                 clock: Callable[[], float] = time.perf_counter):
        self.em, self.train_size = emitter, max(1, train_size)
        self.every_steps, self.every_s, self.clock = every_steps_for(total_steps), every_s, clock
        self._reset(clock())

    def _reset(self, now: float) -> None:
        self.t0, self.steps, self.loss_sum, self.loss_n, self.images = now, 0, 0.0, 0, 0

    def step(self, *, epoch: int, step: int, loss: float | None, images: int, lr: float, source_images: int,
             force: bool = False) -> bool:
        """Counts one optimiser step (``step`` is the global step after it); sends a point when due.
        ``force`` sends whatever was collected (the end of a round). Returns whether a point went out."""
        self.steps += 1
        self.images += images
        if loss is not None:
            self.loss_sum += loss
            self.loss_n += 1
        now = self.clock()
        due = self.steps >= self.every_steps or now - self.t0 >= self.every_s
        if not (due or force):
            return False
        dt = now - self.t0
        values = {"loss": self.loss_sum / self.loss_n if self.loss_n else None, "lr": lr,
                  "images_per_s": self.images / dt if dt > 0 else None, "epochs": source_images / self.train_size}
        self.em.metric(LIVE_SPLIT, epoch, step, values)
        self._reset(now)
        return True

    def restart_clock(self) -> None:
        """After validation: its time is not training time, so the next window starts now."""
        self._reset(self.clock())


def memory_mb(device_type: str) -> float | None:
    """Memory the job holds now, in MiB: allocated accelerator memory on CUDA, else this process's RSS."""
    if device_type == "cuda" and torch.cuda.is_available():
        return torch.cuda.memory_allocated() / 2**20
    try:
        with open("/proc/self/statm") as f:  # Linux: the current resident set
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource  # not on Windows
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak: KiB on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
