"""Kill and resume through the real worker: SIGKILL mid-epoch, run the job again, it resumes from
last.pth; SIGTERM finishes the step, writes last.pth, reports CANCELLED and exits 3; in
deterministic mode the run ends with exactly the weights of an uninterrupted run."""

import json
import signal
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, job_file, run_worker, worker_env

# checkpoint_every_s 0: a checkpoint on every grid step, where the kills below need one (the default allows one a minute)
PARAMS = {"task": "rotation", "image_size": 32, "epochs": 2, "batch_size": 16, "max_steps_per_epoch": 6,
          "checkpoint_every_steps": 2, "checkpoint_every_s": 0, "optimizer": "adam", "lr": 1e-3}
# A step budget (what studies plan): structure draws 16 images a step, so 14 steps cross into a second
# pass over the train split, and the resumed run has to pick the pass and its order up again.
BUDGET = {"task": "structure", "image_size": 32, "steps": 14, "val_every_steps": 5, "batch_size": 16,
          "checkpoint_every_steps": 2, "checkpoint_every_s": 0, "optimizer": "adam", "lr": 1e-3}


def _start(job):
    return subprocess.Popen([sys.executable, "-m", "xlab.worker", "--job", str(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=worker_env(), cwd=ROOT)


def _run_until(proc, predicate, sig):
    """Reads messages until ``predicate(msg)``, then sends ``sig``; returns all messages and the exit code."""
    seen = []
    for line in proc.stdout:
        msg = json.loads(line)
        seen.append(msg)
        if predicate(msg):
            proc.send_signal(sig)
            break
    seen += [json.loads(line) for line in proc.stdout]
    return seen, proc.wait(timeout=120)


@pytest.mark.parametrize("base", [PARAMS, BUDGET], ids=["epochs", "step-budget"])
def test_sigkill_then_sigterm_then_resume_equals_uninterrupted(caches, tmp_path, base):
    params = {**base, "dataset_dir": str(caches["pre"])}
    ref = run_worker(job_file(tmp_path, "pretext", tmp_path / "uninterrupted", params, deterministic=True))
    assert ref.code == 0

    run = tmp_path / "interrupted"
    job = job_file(tmp_path, "pretext", run, params, deterministic=True)
    _, code = _run_until(_start(job), lambda m: m["type"] == "checkpoint" and m["step"] == 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert (run / "last.pth").exists() and not (run / "summary.json").exists()

    msgs, code = _run_until(_start(job), lambda m: m["type"] == "progress", signal.SIGTERM)
    assert any(m["type"] == "log" and "Resuming" in m["message"] for m in msgs)
    assert code == 3 and msgs[-1]["type"] == "error" and msgs[-1]["code"] == "CANCELLED"

    final = run_worker(job)
    assert final.code == 0, (final.messages[-3:], final.stderr[-3000:])
    assert any(m["type"] == "log" and "Resuming" in m["message"] for m in final.messages)
    a = torch.load(tmp_path / "uninterrupted" / "last.pth", weights_only=False)["model"]
    b = torch.load(run / "last.pth", weights_only=False)["model"]
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:5]


def test_sigusr2_before_a_slurm_time_limit_checkpoints_like_sigterm(caches, tmp_path):
    # Slurm's `--signal=B:USR2@N` warning: the worker must stop as on SIGTERM, not die of the signal.
    run = tmp_path / "timelimit"
    job = job_file(tmp_path, "pretext", run, {**PARAMS, "dataset_dir": str(caches["pre"])})
    msgs, code = _run_until(_start(job), lambda m: m["type"] == "progress", signal.SIGUSR2)
    assert code == 3 and msgs[-1]["type"] == "error" and msgs[-1]["code"] == "CANCELLED"
    assert (run / "last.pth").exists()
