"""Checkpoints: atomic writes (temp file + ``os.replace``), full training state, resume with an
architecture check, and the weights a finished run keeps.

Two kinds of file in a run folder (docs/architecture.md, "Checkpoints"):
  - the resumable state, ``last.pth`` (model, optimizer, schedule, RNG, loop position) and the one it
    replaced, ``last.prev.pth``: needed only until the run is recorded done, then the lab deletes them;
  - the weights, ``best.pth``: the model at its best validation, without optimizer state, kept for
    good (the extract stage reads a pretext run's, a downstream run scores the test split with its)."""

from __future__ import annotations

import errno
import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from .errors import bad_input

FORMAT_VERSION = 1
RESUMABLE_FILES = ("last.pth", "last.prev.pth")  # what a finished run no longer needs (the lab deletes them)
WEIGHTS_FILE = "best.pth"  # what a finished run keeps


def previous_of(path: str | Path) -> Path:
    """Where the checkpoint before ``path`` is kept (``last.pth`` -> ``last.prev.pth``)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def save_atomic(obj, path: str | Path, keep_previous: bool = True) -> Path:
    """Temp file + rename: a killed process never leaves a half-written checkpoint under the real name.
    The file it replaces becomes ``<name>.prev.pth`` (a rename, so the two never share an inode):
    a ``last.pth`` damaged later still leaves a good state to resume from. No fsync: it guards only
    against power loss, costs seconds per write on a busy disk, and the previous file covers it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        torch.save(obj, tmp)
    except BaseException as e:
        # A half-written temp file is never used: remove it (on a full disk it is the largest file there).
        tmp.unlink(missing_ok=True)
        full = _disk_full_or(e, path)
        if full is e:
            raise
        raise full from e
    if keep_previous and path.exists():
        os.replace(path, previous_of(path))
    os.replace(tmp, path)
    return path


def _disk_full_or(e: BaseException, path: Path) -> BaseException:
    """torch.save reports a full disk as a RuntimeError whose words depend on where the write broke off
    ("file write failed", or "[enforce fail at inline_container.cc] unexpected pos" for a short write):
    when the disk holding the file has almost nothing left, make it the OSError (ENOSPC) the worker
    reports as such, naming the file. Any other error is returned as it is."""
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return e
    if isinstance(e, (RuntimeError, OSError)):
        try:
            free = shutil.disk_usage(path.parent).free
        except OSError:
            free = None
        if free is not None and free < 64 * 2**20:
            return OSError(errno.ENOSPC, f"No space left on device ({free // 2**20} MB free)", str(path))
    return e


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def training_state(*, kind: str, arch: dict, config: dict, model, optimizer, scaler, epoch: int, position: int,
                   global_step: int, batch_size: int, best: dict | None, extra: dict | None = None) -> dict:
    """Everything a resume needs. ``epoch`` is the epoch in progress; ``position`` how many of its
    (permuted) train indices are consumed; ``global_step`` drives the lr schedule (the scheduler state)."""
    return {
        "format_version": FORMAT_VERSION, "kind": kind, "arch": arch, "config": config,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": {"global_step": global_step, "base_lrs": [g.get("base_lr", g["lr"]) for g in optimizer.param_groups]},
        "scaler": scaler.state_dict() if scaler is not None else None,
        "epoch": epoch, "position": position, "global_step": global_step, "batch_size": batch_size,
        "best": best, "rng": rng_state(), "extra": extra or {},
    }


def weights_state(state: dict) -> dict:
    """The weights-only form of a training state: the model and what describes it (arch, config,
    epoch, step, best), without optimizer, scheduler, scaler, RNG or loop position; a third of the
    size with Adam. Extraction and scoring read only these fields."""
    keep = ("format_version", "kind", "arch", "config", "model", "epoch", "global_step", "batch_size", "best")
    return {**{k: state[k] for k in keep if k in state}, "weights_only": True}


def is_training_state(ckpt) -> bool:
    """A state a run can resume from (not a weights-only file)."""
    return isinstance(ckpt, dict) and "extra" in ckpt and "model" in ckpt and "optimizer" in ckpt


def load(path: str | Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except FileNotFoundError:
        raise bad_input(f"The checkpoint {path} does not exist. Run (or retry) the job that writes it first.") from None
    except Exception as e:  # a truncated or foreign file
        raise bad_input(f"The checkpoint {path} cannot be read ({type(e).__name__}: {e}). Delete it and run the job again.") from None


def load_resumable(run_dir: str | Path, warn) -> tuple[dict, Path] | None:
    """The newest readable training state of a run folder: ``last.pth``, else the checkpoint it
    replaced (``last.prev.pth``), else a ``best.pth`` written as a full state (runs from before the
    weights-only best); None when the run has none yet. A damaged file is skipped with
    ``warn(message)`` (the run's log), never a reason to stop; when every one is damaged the run
    stops and says which files to delete. A weights-only ``best.pth`` is no state to resume from
    and is passed over silently."""
    run_dir = Path(run_dir)
    candidates = [p for p in (run_dir / "last.pth", previous_of(run_dir / "last.pth"), run_dir / WEIGHTS_FILE) if p.exists()]
    if not candidates:
        return None
    damaged = []
    for path in candidates:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=False)
            if path.name == WEIGHTS_FILE and isinstance(ckpt, dict) and ckpt.get("weights_only"):
                continue
            if not is_training_state(ckpt):
                raise ValueError("not a training state of this engine")
        except Exception as e:  # a truncated, overwritten or foreign file
            damaged.append(f"{path.name} ({type(e).__name__}: {e})")
            warn(f"The checkpoint {path} is damaged ({type(e).__name__}: {e}); trying the one before it.")
            continue
        if damaged:
            warn(f"Resuming from {path.name} instead of the damaged {', '.join(d.split(' ')[0] for d in damaged)}; the steps since are done again.")
        return ckpt, path
    if not damaged:  # only a weights-only best.pth: the run starts over
        return None
    raise bad_input(f"Every checkpoint in {run_dir} is damaged: {'; '.join(damaged)}. Delete them to start the run over.")


def check_arch(ckpt: dict, arch: dict, path) -> None:
    if ckpt.get("format_version") != FORMAT_VERSION:
        raise bad_input(f"{path} has checkpoint format {ckpt.get('format_version')}, this engine writes {FORMAT_VERSION}; delete it to start over.")
    if ckpt.get("arch") != arch:
        raise bad_input(f"{path} was written for {ckpt.get('arch')}, but this job builds {arch}. "
                        "Use a fresh run folder for a different configuration, or delete the checkpoint to start over.")


def restore(ckpt: dict, model, optimizer, scaler) -> None:
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    for g, base in zip(optimizer.param_groups, ckpt["scheduler"]["base_lrs"]):
        g["base_lr"] = base
    if scaler is not None and ckpt.get("scaler"):
        scaler.load_state_dict(ckpt["scaler"])
    set_rng_state(ckpt["rng"])
