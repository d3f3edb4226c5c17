"""SIGTERM handling: the signal only sets a flag; training loops check it after each step, write
``last.pth`` and stop with CANCELLED (exit 3)."""

from __future__ import annotations

import signal

from .errors import JobError

_requested = False


def install() -> None:
    def handler(signum, frame):
        global _requested
        _requested = True
    signal.signal(signal.SIGTERM, handler)


def requested() -> bool:
    return _requested


def cancelled_error() -> JobError:
    return JobError("CANCELLED", "The job was cancelled (SIGTERM); last.pth holds its state, so starting it again resumes it.")
