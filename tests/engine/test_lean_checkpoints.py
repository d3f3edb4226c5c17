"""Lean checkpoints: last.pth at most once per interval of a (fake, injected) clock besides epoch ends
and SIGTERM; best.pth holds weights without optimizer state; a run folder minus the resumable files
the lab deletes is exactly the weights and outputs, and extraction still reads it."""

import io
import json
import signal
import subprocess
import sys

import numpy as np
import torch

from conftest import ROOT, job_file, run_worker, worker_env
from xlab import cancel, checkpoints
from xlab.device import resolve_device
from xlab.loop import LoopSpec, TrainLoop
from xlab.optim import make_optimizer
from xlab.protocol import Emitter


class FakeClock:
    """Seconds that pass only when a training step runs (one step = ``step_s``)."""

    def __init__(self, step_s: float):
        self.now, self.step_s = 0.0, step_s

    def __call__(self) -> float:
        return self.now


class Recorder(io.StringIO):
    """The protocol stream; notes the fake time of every last.pth checkpoint message."""

    def __init__(self, clock: FakeClock):
        super().__init__()
        self.clock, self.last_at = clock, []

    def write(self, line: str) -> int:
        msg = json.loads(line)
        if msg["type"] == "checkpoint" and msg["which"] == "last":
            self.last_at.append((self.clock.now, msg["step"]))
        return len(line)


def _loop(tmp_path, clock, **spec):
    model = torch.nn.Linear(4, 2)
    opt = make_optimizer("adam", [{"params": model.parameters(), "lr": 1e-2}], 0.0)
    out = Recorder(clock)

    def step_fn(idx, gen):
        clock.now += clock.step_s
        return model(torch.randn(len(idx), 4, generator=gen)).pow(2).mean(), len(idx)

    values = iter(range(1000, 0, -1))  # validation loss goes down: every round improves
    loop = TrainLoop(emitter=Emitter("r", out), device=resolve_device("cpu"), model=model, optimizer=opt, run_dir=tmp_path,
                     kind="test", arch={}, config={}, train_idx=np.arange(64),
                     spec=LoopSpec(batch_size=8, seed=0, schedule="constant", select_mode="min", **spec), step_fn=step_fn,
                     validate_fn=lambda e: ({"loss": float(next(values))}, float(next(values))), clock=clock)
    return loop, out


def test_a_step_budget_writes_at_most_one_last_per_interval(tmp_path):
    clock = FakeClock(step_s=1.0)
    loop, out = _loop(tmp_path, clock, epochs=1, total_steps=60, round_steps=10, checkpoint_every_s=7.0)
    loop.run()
    times = [t for t, _ in out.last_at]
    # 60 s of steps, one last.pth per 7 s at most: 8 writes, 7 s apart (a round end counts like a step).
    assert all(b - a >= 7.0 for a, b in zip(times, times[1:])), out.last_at
    assert len(times) == 8, out.last_at
    assert [s for _, s in out.last_at][:3] == [7, 14, 21]
    # best.pth at each (improving) validation, weights only
    best = torch.load(tmp_path / "best.pth", weights_only=False)
    assert best["weights_only"] and "optimizer" not in best and "extra" not in best and "model" in best


def test_without_an_interval_every_grid_step_and_round_end_writes(tmp_path):
    # checkpoint_every_s 0: the cadence from before lean checkpoints (the test above fails against it)
    clock = FakeClock(step_s=1.0)
    loop, out = _loop(tmp_path, clock, epochs=1, total_steps=20, round_steps=10, checkpoint_every_steps=2, checkpoint_every_s=0)
    loop.run()
    assert [s for _, s in out.last_at] == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]


def test_epoch_ends_always_write_and_the_interval_limits_only_the_steps_between(tmp_path):
    clock = FakeClock(step_s=1.0)
    # 64 images / batch 8 = 8 steps an epoch; 3 epochs; 5 s interval
    loop, out = _loop(tmp_path, clock, epochs=3, checkpoint_every_s=5.0)
    loop.run()
    # inside epoch 1 at 5 s (step 5), then its end (8 s); epoch 2: 13 s (step 5), end 16 s; epoch 3: 21, 24
    assert out.last_at == [(5.0, 5), (8.0, 0), (13.0, 5), (16.0, 0), (21.0, 5), (24.0, 0)], out.last_at


def test_sigterm_writes_last_even_inside_the_interval(tmp_path, monkeypatch):
    clock = FakeClock(step_s=1.0)
    loop, out = _loop(tmp_path, clock, epochs=1, total_steps=60, round_steps=10, checkpoint_every_s=1000.0)
    asked = iter([False, False, True])
    monkeypatch.setattr(cancel, "requested", lambda: next(asked, True))
    try:
        loop.run()
        raise AssertionError("the loop did not stop")
    except Exception as e:
        assert getattr(e, "code", None) == "CANCELLED", e
    assert [s for _, s in out.last_at] == [3]
    assert torch.load(tmp_path / "last.pth", weights_only=False)["extra"]["loop"]["step"] == 3


PRETEXT = {"task": "rotation", "image_size": 32, "steps": 8, "val_every_steps": 4, "batch_size": 16, "optimizer": "adam", "lr": 1e-3,
           "max_val_images": 32}


def test_a_finished_run_keeps_only_its_weights(tmp_path, caches):
    """The run folders a finished study leaves, file by file, once the lab has deleted the resumable
    state (checkpoints.RESUMABLE_FILES, the list src-core/runner/run-files.ts deletes)."""
    pre = tmp_path / "pre"
    res = run_worker(job_file(tmp_path, "pretext", pre, {**PRETEXT, "dataset_dir": str(caches["pre"]), "checkpoint_every_s": 0}))
    assert res.code == 0, res.stderr[-2000:]
    assert res.summary["checkpoints"] == {"best": str(pre / "best.pth"), "resumable": ["last.pth", "last.prev.pth"]}
    # What the worker leaves until the lab records the run done: the resumable state beside the weights.
    assert sorted(p.name for p in pre.iterdir()) == ["best.pth", "config.json", "job.json", "last.prev.pth", "last.pth", "shortcut.json", "summary.json"]
    for name in checkpoints.RESUMABLE_FILES:
        (pre / name).unlink()
    assert sorted(p.name for p in pre.iterdir()) == ["best.pth", "config.json", "job.json", "shortcut.json", "summary.json"]
    best = torch.load(pre / "best.pth", weights_only=False)
    assert best["weights_only"] and best["kind"] == "pretext"
    assert set(best) == {"format_version", "kind", "arch", "config", "model", "epoch", "global_step", "batch_size", "best", "weights_only"}
    full = sum(v.numel() for v in best["model"].values())
    assert (pre / "best.pth").stat().st_size < 4 * full * 1.1  # fp32 weights and little else (no Adam moments)

    # The extract stage reads the weights-only best.pth of a cleaned-up pretext run.
    ext = tmp_path / "ext"
    res = run_worker(job_file(tmp_path, "extract", ext, {"checkpoint": str(pre / "best.pth"), "out_dir": str(ext / "encoders"),
                                                         "pretext": "rotation", "dataset_name": "pre"}))
    assert res.code == 0, res.stderr[-2000:]
    assert sorted(p.name for p in (ext / "encoders").iterdir()) == [f"encoder__rotation__pre__s0.{x}" for x in ("json", "pth", "safetensors")]

    # A fine-tuning run goes through the same TrainLoop and keeps the same: weights and its outputs.
    down = tmp_path / "down"
    res = run_worker(job_file(tmp_path, "downstream", down, {"dataset_dir": str(caches["down"]), "protocol": "finetune", "image_size": 32,
                                                             "encoders": [str(ext / "encoders" / "encoder__rotation__pre__s0.pth")],
                                                             "epochs": 2, "batch_size": 16, "max_steps_per_epoch": 2}))
    assert res.code == 0, res.stderr[-2000:]
    for name in checkpoints.RESUMABLE_FILES:
        (down / name).unlink(missing_ok=True)
    assert sorted(p.name for p in down.iterdir()) == ["best.pth", "config.json", "job.json", "summary.json", "test_predictions.json", "test_predictions.npy"]
    assert "optimizer" not in torch.load(down / "best.pth", weights_only=False)


def test_a_torn_last_falls_back_to_the_previous_state_not_to_the_weights(tmp_path, caches):
    run = tmp_path / "r"
    params = {**PRETEXT, "steps": 12, "dataset_dir": str(caches["pre"]), "checkpoint_every_s": 0}
    job = job_file(tmp_path, "pretext", run, params)
    proc = subprocess.Popen([sys.executable, "-m", "xlab.worker", "--job", str(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=worker_env(), cwd=ROOT)
    for line in proc.stdout:  # the second round end has written last.pth twice: last.prev.pth exists
        msg = json.loads(line)
        if msg["type"] == "checkpoint" and msg["which"] == "last" and msg["step"] == 8:
            proc.send_signal(signal.SIGTERM)
            break
    proc.stdout.read()
    assert proc.wait(timeout=120) == 3
    (run / "last.pth").write_bytes((run / "last.pth").read_bytes()[:1000])  # torn
    again = run_worker(job)
    assert again.code == 0, again.stderr[-2000:]
    warnings = [m["message"] for m in again.of("log") if m["level"] == "warning"]
    assert any("Resuming from last.prev.pth" in w for w in warnings), warnings
    assert again.summary["steps"] == 12
