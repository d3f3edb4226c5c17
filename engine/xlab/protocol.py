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
from typing import IO, Any, Callable

PROTOCOL_VERSION = 1
MESSAGE_TYPES = ("hello", "progress", "metric", "checkpoint", "artifact", "log", "done", "error", "ready")
# A serving worker (``--serve``) marks on stderr where each job's lines begin and end, so the supervisor
# can append them to that job's worker.log: stdout and stderr are separate pipes, read in no fixed order.
JOB_START_MARK = "\x1exlab-job-start"
JOB_END_MARK = "\x1exlab-job-end"


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
    """Rate-limited ``progress`` messages with images/s measured over the interval since the last one;
    ``memory`` (MiB the job holds now, see live.memory_mb) is sent with each when given. ``eta_s`` is the
    remaining steps at the rate of this process so far (wall time per step since its first update,
    validation included), so it does not jump with one slow or fast interval."""

    def __init__(self, emitter: Emitter, stage: str, epochs: int, min_interval_s: float = 0.5,
                 memory: Callable[[], float | None] | None = None):
        self.emitter, self.stage, self.epochs = emitter, stage, epochs
        self.memory = memory
        self.min_interval_s = min_interval_s
        self._t0 = time.perf_counter()
        self._images = 0
        self._last = self._t0
        self._first: tuple[float, int] | None = None  # (time, step) of the first update: the rate's origin
        self.images_per_s: float | None = None

    def update(self, epoch: int, step: int, steps: int, images: int, loss: float | None, force: bool = False,
               remaining_steps: int | None = None) -> None:
        self._images += images
        now = time.perf_counter()
        if self._first is None:
            self._first = (self._t0, step - 1)
        if not force and now - self._last < self.min_interval_s:
            return
        dt = now - self._t0
        if dt > 0 and self._images:
            self.images_per_s = self._images / dt
        eta = None
        t_first, step_first = self._first
        if remaining_steps is not None and step > step_first and now > t_first:
            eta = remaining_steps * (now - t_first) / (step - step_first)
        extra = {"memory_mb": self.memory()} if self.memory else {}
        self.emitter.send("progress", stage=self.stage, epoch=epoch, epochs=self.epochs, step=step, steps=steps,
                          loss=loss, images_per_s=self.images_per_s, eta_s=eta, **extra)
        self._last = now
        self._t0, self._images = now, 0


# ----- validation (the Python twin of src-core/runner/protocol.ts; both check tests/fixtures/protocol) -----
_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
REQUIRED: dict[str, dict[str, tuple]] = {
    "hello": {"pid": (int,), "versions": (dict,), "device": (dict,), "kind": (str,)},
    "progress": {"stage": (str,), "epoch": _NUM, "epochs": _NUM, "step": _NUM, "steps": _NUM,
                 "loss": _OPT_NUM, "images_per_s": _OPT_NUM, "eta_s": _OPT_NUM, "memory_mb": _OPT_NUM},
    "metric": {"split": (str,), "epoch": _NUM, "step": _NUM, "values": (dict,)},
    "checkpoint": {"path": (str,), "which": (str,), "epoch": _NUM, "step": _NUM},
    "artifact": {"path": (str,), "kind": (str,), "name": (str,)},
    "log": {"level": (str,), "message": (str,)},
    "done": {"summary": (dict,)},
    "error": {"code": (str,), "message": (str,)},
    "ready": {"pid": (int,), "jobs": (int,)},
}
ENUMS = {
    ("progress", "stage"): {"train", "val", "test", "features"},
    ("metric", "split"): {"train", "train_step", "val", "test"},
    ("checkpoint", "which"): {"last", "best"},
    ("artifact", "kind"): {"image", "encoder", "predictions", "report", "json"},
    ("log", "level"): {"debug", "info", "warning", "error"},
    ("error", "code"): {"BAD_INPUT", "OOM", "NON_FINITE", "CANCELLED", "INTERNAL"},
}
OPTIONAL_FIELDS = {("progress", "loss"), ("progress", "images_per_s"), ("progress", "eta_s"), ("progress", "memory_mb")}


def validate_message(msg) -> list[str]:
    """Problems with one protocol message (empty when it is valid)."""
    if not isinstance(msg, dict):
        return ["a message must be a JSON object"]
    problems = []
    if msg.get("v") != PROTOCOL_VERSION:
        problems.append(f"v must be {PROTOCOL_VERSION}")
    t = msg.get("type")
    if t not in REQUIRED:
        return problems + [f"unknown type {t!r}"]
    if "run_id" in msg and not isinstance(msg["run_id"], (str, type(None))):
        problems.append("run_id must be a string or null")
    if "t" in msg and (isinstance(msg["t"], bool) or not isinstance(msg["t"], _NUM)):
        problems.append("t must be a number")
    for field, types in REQUIRED[t].items():
        if field not in msg:
            if (t, field) not in OPTIONAL_FIELDS:
                problems.append(f"{t}.{field} is missing")
            continue
        v = msg[field]
        if isinstance(v, bool) or not isinstance(v, types):
            problems.append(f"{t}.{field} has the wrong type")
        elif (t, field) in ENUMS and v not in ENUMS[(t, field)]:
            problems.append(f"{t}.{field}={v!r} is not one of {sorted(ENUMS[(t, field)])}")
    if t == "metric" and isinstance(msg.get("values"), dict):
        for k, v in msg["values"].items():
            if isinstance(v, bool) or not isinstance(v, _OPT_NUM):
                problems.append(f"metric.values.{k} must be a number or null")
    return problems
