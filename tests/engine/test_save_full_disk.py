"""save_atomic on a disk that refuses the write: the temp file is removed, and torch's write failure
on a (nearly) full disk comes out as the OSError ENOSPC the worker reports as a full disk."""

import errno

import pytest
import torch

from xlab import checkpoints


def test_failed_save_removes_its_temp_file_and_names_a_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "last.pth"

    def failing_save(obj, f):
        with open(f, "wb") as out:
            out.write(b"half a checkpoint")
        raise RuntimeError("[enforce fail at inline_container.cc] . PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", failing_save)
    monkeypatch.setattr(checkpoints.shutil, "disk_usage", lambda p: type("U", (), {"free": 1024})())
    with pytest.raises(OSError) as info:
        checkpoints.save_atomic({"x": 1}, target)
    assert info.value.errno == errno.ENOSPC
    assert "No space left on device" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_other_failures_pass_through_and_leave_no_temp_file(tmp_path, monkeypatch):
    def failing_save(obj, f):
        with open(f, "wb") as out:
            out.write(b"x")
        raise ValueError("not picklable")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(ValueError, match="not picklable"):
        checkpoints.save_atomic({"x": 1}, tmp_path / "best.pth")
    assert list(tmp_path.iterdir()) == []
