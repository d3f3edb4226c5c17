"""The worker's stdout protocol: one JSON object per line, ``{"v": 1, "type": ..., "run_id": ..., "t": ...}``.

Only this module writes to the protocol stream. ``Emitter.claim_stdout`` moves the real stdout to a
private file descriptor and points fd 1 (and ``sys.stdout``) at stderr, so a stray ``print`` or a C
library writing to stdout can never corrupt the message stream.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import IO, Any

PROTOCOL_VERSION = 1
MESSAGE_TYPES = ("hello", "progress", "metric", "checkpoint", "artifact", "log", "done", "error")


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: non-finite floats become null so every line parses everywhere."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return _clean(value.item())
    return value


class Emitter:
    """Writes protocol messages for one run; also mirrors ``log`` messages to stderr for humans."""

    def __init__(self, run_id: str | None = None, stream: IO[str] | None = None):
        self.run_id = run_id
        self.stream = stream if stream is not None else sys.stdout

    @classmethod
    def claim_stdout(cls, run_id: str | None = None) -> "Emitter":
        sys.stdout.flush()
        proto_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(run_id, os.fdopen(proto_fd, "w", buffering=1, encoding="utf-8"))

    def send(self, type_: str, **fields: Any) -> dict:
        if type_ not in MESSAGE_TYPES:
            raise ValueError(f"unknown message type {type_}")
        msg = {"v": PROTOCOL_VERSION, "type": type_, "run_id": self.run_id, "t": round(time.time(), 3)}
        msg.update(_clean(fields))
        self.stream.write(json.dumps(msg, separators=(",", ":")) + "\n")
        self.stream.flush()
        return msg

    def log(self, message: str, level: str = "info") -> None:
        print(f"[{level}] {message}", file=sys.stderr, flush=True)
        self.send("log", level=level, message=message)

    def metric(self, split: str, epoch: int, step: int, values: dict) -> None:
        self.send("metric", split=split, epoch=epoch, step=step, values=values)

    def artifact(self, path: str, kind: str, name: str) -> None:
        self.send("artifact", path=str(path), kind=kind, name=name)


class Progress:
    """Rate-limited ``progress`` messages with images/s measured over the interval since the last one."""

    def __init__(self, emitter: Emitter, stage: str, epochs: int, min_interval_s: float = 0.5):
        self.emitter, self.stage, self.epochs = emitter, stage, epochs
        self.min_interval_s = min_interval_s
        self._t0 = time.perf_counter()
        self._images = 0
        self._last = self._t0
        self.images_per_s: float | None = None

    def update(self, epoch: int, step: int, steps: int, images: int, loss: float | None, force: bool = False,
               remaining_steps: int | None = None) -> None:
        self._images += images
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval_s:
            return
        dt = now - self._t0
        if dt > 0 and self._images:
            self.images_per_s = self._images / dt
        eta = None
        if remaining_steps is not None and self.images_per_s and images:
            eta = remaining_steps * images / self.images_per_s
        self.emitter.send("progress", stage=self.stage, epoch=epoch, epochs=self.epochs, step=step, steps=steps,
                          loss=loss, images_per_s=self.images_per_s, eta_s=eta)
        self._last = now
        self._t0, self._images = now, 0
