"""Checkpoints that survive damage: best.pth is its own file, and a damaged last.pth falls back to
the checkpoint before it (with a warning in the run's log) instead of stopping the run."""

import os
from pathlib import Path

import pytest
import torch

from conftest import job_file, run_worker
from xlab import checkpoints

PARAMS = {"task": "rotation", "image_size": 32, "epochs": 2, "batch_size": 16, "max_steps_per_epoch": 3,
          "optimizer": "adam", "lr": 1e-3}


def _pretext(tmp_path, caches, run, **over):
    return run_worker(job_file(tmp_path, "pretext", tmp_path / run, {**PARAMS, "dataset_dir": str(caches["pre"]), **over}))


def test_best_is_its_own_file(tmp_path, caches):
    res = _pretext(tmp_path, caches, "r", epochs=1)
    assert res.code == 0, res.stderr[-2000:]
    last, best = tmp_path / "r" / "last.pth", tmp_path / "r" / "best.pth"
    assert os.stat(last).st_ino != os.stat(best).st_ino
    last.write_bytes(last.read_bytes()[:100])  # damage to last.pth in place
    assert "model" in torch.load(best, map_location="cpu", weights_only=False)


def test_damaged_last_falls_back_to_the_previous_checkpoint(tmp_path, caches):
    res = _pretext(tmp_path, caches, "r", epochs=2, max_steps_per_epoch=2)
    assert res.code == 0, res.stderr[-2000:]
    run = tmp_path / "r"
    assert (run / "last.prev.pth").exists()
    (run / "summary.json").unlink()
    (run / "last.pth").write_bytes((run / "last.pth").read_bytes()[:1000])  # a truncated last.pth
    again = _pretext(tmp_path, caches, "r", epochs=3, max_steps_per_epoch=2)
    assert again.code == 0, again.stderr[-2000:]
    warnings = [m["message"] for m in again.of("log") if m["level"] == "warning"]
    assert any("last.pth" in w and "damaged" in w for w in warnings), warnings
    assert any("Resuming from last.prev.pth" in w for w in warnings), warnings


def test_every_checkpoint_damaged_says_which_to_delete(tmp_path):
    for name in ("last.pth", "last.prev.pth", "best.pth"):
        (tmp_path / name).write_bytes(b"not a checkpoint")
    with pytest.raises(Exception, match="Every checkpoint in .* is damaged.*Delete them"):
        checkpoints.load_resumable(tmp_path, lambda m: None)


def test_save_keeps_the_previous_file(tmp_path):
    p = Path(tmp_path) / "last.pth"
    checkpoints.save_atomic({"n": 1}, p)
    checkpoints.save_atomic({"n": 2}, p)
    assert torch.load(checkpoints.previous_of(p))["n"] == 1
    assert torch.load(p)["n"] == 2
