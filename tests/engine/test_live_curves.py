"""Live training curves: a pretext run sends throttled `train_step` points with their global steps
(not one per step, not one per validation), each with the loss, learning rate, images/s and the data
passes done; progress messages carry the memory the job holds."""

import io
import json

import pytest

from conftest import job_file, run_worker
from xlab.fixtures import write_cache
from xlab.live import LIVE_SPLIT, LiveCurve
from xlab.protocol import Emitter, validate_message


def test_a_200_step_pretext_run_sends_between_20_and_200_training_points_with_their_steps(tmp_path):
    cache = write_cache(tmp_path / "c", n=120, size=32, seed=0)
    run = tmp_path / "run"
    r = run_worker(job_file(tmp_path, "pretext", run, {"task": "rotation", "dataset_dir": str(cache), "image_size": 32,
                                                       "steps": 200, "val_every_steps": 50, "batch_size": 4,
                                                       "max_val_images": 8}))
    assert r.code == 0, r.stderr[-2000:]
    live = [m for m in r.of("metric") if m["split"] == LIVE_SPLIT]
    assert 20 <= len(live) <= 200, len(live)
    steps = [m["step"] for m in live]
    assert steps == sorted(set(steps)) and steps[-1] == 200 and steps[0] >= 1
    assert {50, 100, 150, 200} <= set(steps)  # every round end flushes its window before validation
    for m in live:
        assert validate_message(m) == []
        v = m["values"]
        assert v["loss"] > 0 and v["lr"] > 0 and v["images_per_s"] > 0
    passes = [m["values"]["epochs"] for m in live]
    assert passes == sorted(passes) and passes[-1] == pytest.approx(r.summary["epochs"], rel=0.01)
    # validation stays at its interval, and progress says how much memory the worker holds
    assert [m["step"] for m in r.of("metric") if m["split"] == "val"] == [50, 100, 150, 200]
    mems = [m.get("memory_mb") for m in r.of("progress") if m["stage"] == "train"]
    assert mems and all(x is not None and x > 10 for x in mems)


def test_points_come_every_n_steps_or_every_few_seconds_whichever_is_first():
    out = io.StringIO()
    now = [0.0]
    live = LiveCurve(Emitter("r", out), total_steps=3000, train_size=1000, every_s=5.0, clock=lambda: now[0])
    assert live.every_steps == 30
    sent = 0
    for step in range(1, 3001):
        now[0] += 0.01  # a fast device: the step rule decides
        sent += live.step(epoch=1, step=step, loss=1.0, images=32, lr=0.1, source_images=step * 32)
    assert sent == 100
    slow = LiveCurve(Emitter("r", io.StringIO()), total_steps=3000, train_size=1000, every_s=5.0, clock=lambda: now[0])
    sent = 0
    for step in range(1, 301):
        now[0] += 2.0  # a slow device: a point every 3 steps (6 s), not every 30 (60 s)
        sent += slow.step(epoch=1, step=step, loss=None, images=32, lr=0.1, source_images=step * 32)
    assert sent == 100
    msgs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert msgs[0]["values"]["loss"] == 1.0 and msgs[0]["values"]["images_per_s"] == pytest.approx(32 * 30 / 0.3)
