"""Encoder snapshots of a pretext run (params.snapshots): a real worker run with an 8-step budget and
snapshots at 0.25, 0.5 and 1.0 writes the encoder at steps 2, 4 and 8, validates at each of them,
records them in the summary, and every file loads into torchvision's resnet18 with only fc missing,
holding exactly the encoder the run had at that step (the resumable states saved at those steps)."""

import json

import pytest
import torch
from torchvision.models import resnet18

from conftest import job_file, run_worker
from xlab.extract import encoder_from_checkpoint
from xlab.snapshots import snapshot_step, snapshot_steps

PARAMS = {"image_size": 32, "steps": 8, "val_every_steps": 4, "batch_size": 8, "max_val_images": 16,
          "checkpoint_every_s": 0, "shortcut_score": False, "snapshots": [0.25, 0.5, 1.0]}


@pytest.fixture(scope="module")
def run(tmp_path_factory, caches):
    tmp = tmp_path_factory.mktemp("snapshots")
    run_dir = tmp / "rotation"
    r = run_worker(job_file(tmp, "pretext", run_dir, {"task": "rotation", "dataset_dir": str(caches["pre"]), **PARAMS}))
    assert r.code == 0, r.stderr[-2000:]
    return run_dir, r


def test_snapshots_are_written_at_their_steps_with_the_validation_there(run):
    run_dir, r = run
    snaps = r.summary["snapshots"]
    assert [(s["fraction"], s["step"]) for s in snaps] == [(0.25, 2), (0.5, 4), (1.0, 8)]
    # every snapshot step ends a validation round (2 is not a multiple of val_every_steps: it is added)
    val_steps = [m["step"] for m in r.of("metric") if m["split"] == "val"]
    assert val_steps == [2, 4, 8]
    by_step = {m["step"]: m["values"] for m in r.of("metric") if m["split"] == "val"}
    for s in snaps:
        assert s["encoder"].endswith(f"encoder__rotation__{r.summary['dataset']}__s0__step{s['step']}.pth")
        assert s["val"]["accuracy"] == pytest.approx(by_step[s["step"]]["accuracy"])
        sidecar = json.loads((run_dir / "snapshots" / (s["encoder"].rsplit("/", 1)[1][:-4] + ".json")).read_text())
        assert sidecar["snapshot"] == {"step": s["step"], "fraction": s["fraction"], "total_steps": 8}
        assert sidecar["pretext"] == "rotation" and sidecar["normalisation"]
    assert sorted(p.suffix for p in (run_dir / "snapshots").iterdir()) == [".json"] * 3 + [".pth"] * 3  # lean: no safetensors


def test_each_snapshot_loads_in_torchvision_and_holds_the_encoder_of_its_step(run):
    run_dir, r = run
    snaps = {s["step"]: torch.load(s["encoder"], weights_only=True) for s in r.summary["snapshots"]}
    for sd in snaps.values():
        result = resnet18().load_state_dict(sd, strict=False)
        assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"] and result.unexpected_keys == []
    # checkpoint_every_s 0 writes last.pth at every round end: last.pth is step 8, last.prev.pth step 4
    for step, name in ((8, "last.pth"), (4, "last.prev.pth")):
        ck = torch.load(run_dir / name, map_location="cpu", weights_only=False)
        assert ck["extra"]["loop"]["step"] == step
        want = encoder_from_checkpoint(ck)
        assert all(torch.equal(snaps[step][k], want[k]) for k in want), step
    assert not torch.equal(snaps[2]["conv1.weight"], snaps[8]["conv1.weight"])  # training moved the encoder in between


def test_snapshot_steps_round_to_the_nearest_step_and_refuse_what_cannot_be_honoured():
    assert snapshot_step(0.25, 48) == 12 and snapshot_step(0.5, 3) == 2 and snapshot_step(0.01, 10) == 1 and snapshot_step(1.0, 7) == 7
    assert snapshot_steps([1.0, 0.25], 48) == {12: 0.25, 48: 1.0}
    assert snapshot_steps(None, 48) == {}
    for bad, words in (([0.0], "(0, 1]"), ([1.5], "(0, 1]"), ([0.5, 0.51], "both fall on step 2")):
        with pytest.raises(Exception, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            snapshot_steps(bad, 4)
    with pytest.raises(Exception, match="needs a step budget"):
        snapshot_steps([0.5], None)


def test_a_run_killed_after_a_snapshot_resumes_with_every_snapshot_as_an_uninterrupted_run(tmp_path, caches):
    """SIGKILL right after the step-2 snapshot and its last.pth, then the job again: the resumed run
    writes the snapshots of steps 4 and 8, its summary lists all three with their validation, and in
    deterministic mode every snapshot holds the weights of an uninterrupted run's."""
    import signal
    import subprocess
    import sys

    from conftest import ROOT, worker_env

    params = {"task": "rotation", "dataset_dir": str(caches["pre"]), **PARAMS, "checkpoint_every_steps": 2}
    ref = run_worker(job_file(tmp_path, "pretext", tmp_path / "uninterrupted", params, deterministic=True))
    assert ref.code == 0, ref.stderr[-2000:]
    run_dir = tmp_path / "interrupted"
    job = job_file(tmp_path, "pretext", run_dir, params, deterministic=True)
    proc = subprocess.Popen([sys.executable, "-m", "xlab.worker", "--job", str(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=worker_env(), cwd=ROOT)
    for line in proc.stdout:
        m = json.loads(line)
        if m["type"] == "checkpoint" and m["which"] == "last" and m["step"] == 2:
            proc.send_signal(signal.SIGKILL)
            break
    proc.stdout.read()
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert [p.name for p in (run_dir / "snapshots").glob("*.pth")] == [f"encoder__rotation__{ref.summary['dataset']}__s0__step2.pth"]
    final = run_worker(job)
    assert final.code == 0, final.stderr[-2000:]
    assert any(m["type"] == "log" and "Resuming" in m["message"] for m in final.messages)
    got, want = final.summary["snapshots"], ref.summary["snapshots"]
    assert [(s["step"], s["val"]["accuracy"]) for s in got] == [(s["step"], s["val"]["accuracy"]) for s in want]
    for a, b in zip(got, want):
        sa, sb = torch.load(a["encoder"], weights_only=True), torch.load(b["encoder"], weights_only=True)
        assert all(torch.equal(sa[k], sb[k]) for k in sb), a["step"]
