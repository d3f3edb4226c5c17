"""Encoder snapshots of a pretext run: the encoder as it stands at a few fractions of the step budget
(``params.snapshots``, e.g. [0.25, 0.5, 1.0]), so a study can probe transfer against pretext progress
(docs/evaluations.md, "Transfer against pretext progress").

A snapshot is the standard encoder file of extract.py (a torchvision ``resnet18`` state_dict without
``fc.*``, ``resnet18().load_state_dict(sd, strict=False)`` loads it) with its ``.json`` sidecar, written
at the end of the training step it names, after that step's validation (the loop makes every snapshot
step a round end). Only the ``.pth`` and the sidecar: a run keeps several, and the safetensors copy of
the extracted encoder would double their size. File:
``<run>/snapshots/encoder__<pretext>__<dataset>__s<seed>__step<N>.pth``; the lab's job builder finds it
by the step, which both sides compute with ``snapshot_step`` (src-core/study/snapshots.ts)."""

from __future__ import annotations

import math
from pathlib import Path

from .errors import bad_input
from .extract import encoder_filename, encoder_from_checkpoint, write_encoder
from .models import ARCH

SNAPSHOT_DIR = "snapshots"


def snapshot_step(fraction: float, total_steps: int) -> int:
    """The step a snapshot at ``fraction`` of a ``total_steps`` budget is taken at: the nearest step,
    halves rounded up, at least 1 (the same formula as src-core/study/snapshots.ts snapshotStep)."""
    return max(1, min(int(total_steps), math.floor(fraction * total_steps + 0.5)))


def snapshot_steps(fractions: list | None, total_steps: int | None) -> dict[int, float]:
    """Step -> fraction of every requested snapshot; refuses what cannot be honoured with a sentence."""
    if not fractions:
        return {}
    if not total_steps:
        raise bad_input("params.snapshots needs a step budget (params.steps): a snapshot is taken at a fraction of the run's steps.")
    out: dict[int, float] = {}
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
            raise bad_input(f"params.snapshots holds {f!r}; each entry is a fraction of the step budget in (0, 1], e.g. [0.25, 0.5, 1.0].")
        step = snapshot_step(float(f), total_steps)
        if step in out:
            raise bad_input(f"params.snapshots {out[step]} and {f} both fall on step {step} of {total_steps}; list each snapshot once "
                            "or raise params.steps.")
        out[step] = float(f)
    return dict(sorted(out.items()))


def snapshot_stem(task: str, dataset: str | None, seed: int, step: int) -> str:
    return f"{encoder_filename(task, dataset or 'dataset', seed)}__step{int(step)}"


def write_snapshot(model, run_dir: Path, *, task: str, dataset: str | None, seed: int, step: int, fraction: float,
                   total_steps: int, val: dict, meta: dict) -> str:
    """The encoder half of ``model`` as it is now, as a snapshot file; returns the .pth path."""
    sd = encoder_from_checkpoint({"kind": "pretext", "model": model.state_dict()}, f"the {task} model at step {step}")
    info = {"arch": ARCH, "pretext": task, "dataset": dataset, "seed": seed, "snapshot": {"step": int(step), "fraction": fraction,
            "total_steps": int(total_steps)}, "val": val, "grey_to_rgb": "replicate", **meta}
    paths = write_encoder(sd, Path(run_dir) / SNAPSHOT_DIR, snapshot_stem(task, dataset, seed, step), info, formats=("pth", "json"))
    return paths["pth"]


def snapshot_records(steps: dict[int, float], history: list, run_dir: Path, *, task: str, dataset: str | None, seed: int) -> list[dict]:
    """What the summary says about each snapshot: its fraction, step, file and the validation at that
    step (the pretext task's own accuracy or loss, with the "solved" threshold applied by the lab)."""
    val_at = {h.get("step"): h["val"] for h in history}
    out = []
    for step, fraction in steps.items():
        path = Path(run_dir) / SNAPSHOT_DIR / f"{snapshot_stem(task, dataset, seed, step)}.pth"
        out.append({"fraction": fraction, "step": step, "encoder": str(path) if path.is_file() else None, "val": val_at.get(step)})
    return out
