"""SIGTERM handling: the signal only sets a flag; training loops check it after each step, write
``last.pth`` and stop with CANCELLED (exit 3). SIGUSR2 does the same: Slurm sends it
(``--signal=B:USR2@N``) a little before a job's time limit, so the job checkpoints and the lab
resubmits it.

A serving worker (``xlab.worker --serve``) between jobs has nothing to checkpoint: there the signal
ends the process at once, and a signal that came during a job's last moments (after its ``done``)
ends it before it takes another job, so a stop meant for one job never cancels the next."""

from __future__ import annotations

import signal

from .errors import EXIT_CODES, JobError

_requested = False
_idle = False


def install() -> None:
    def handler(signum, frame):
        global _requested
        _requested = True
        if _idle:
            raise SystemExit(EXIT_CODES["CANCELLED"])
    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGUSR2"):  # not on Windows
        signal.signal(signal.SIGUSR2, handler)


def requested() -> bool:
    return _requested


def set_idle(idle: bool) -> None:
    """Marks a serving worker as between jobs (True) or inside one (False)."""
    global _idle
    _idle = idle
    if idle and _requested:
        raise SystemExit(EXIT_CODES["CANCELLED"])


def cancelled_error() -> JobError:
    return JobError("CANCELLED", "The job was stopped (SIGTERM, or SIGUSR2 before a Slurm time limit); last.pth holds its state, so starting it again resumes it.")
