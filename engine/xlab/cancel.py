"""SIGTERM handling: the signal only sets a flag; training loops check it after each step, write
``last.pth`` and stop with CANCELLED (exit 3). SIGUSR2 does the same: Slurm sends it
(``--signal=B:USR2@N``) a little before a job's time limit, so the job checkpoints and the lab
resubmits it."""

from __future__ import annotations

import signal

from .errors import JobError

_requested = False


def install() -> None:
    def handler(signum, frame):
        global _requested
        _requested = True
    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGUSR2"):  # not on Windows
        signal.signal(signal.SIGUSR2, handler)


def requested() -> bool:
    return _requested


def cancelled_error() -> JobError:
    return JobError("CANCELLED", "The job was stopped (SIGTERM, or SIGUSR2 before a Slurm time limit); last.pth holds its state, so starting it again resumes it.")
