"""The warm worker (``python -m xlab.worker --serve``): deterministic jobs in a row in one process give
exactly what fresh processes give, and each job starts the global generators from its own seed as a
fresh process does; a job that does not end done ends the process with the
one-shot exit code and the next job line is never read; between jobs SIGTERM ends it at once."""

import json
import signal
import subprocess
import sys
import time

import torch

from conftest import ROOT, job_file, run_worker, validate_message, worker_env

PRETEXT = {"task": "rotation", "image_size": 32, "steps": 6, "val_every_steps": 3, "batch_size": 16,
           "checkpoint_every_steps": 2, "optimizer": "adam", "lr": 1e-3, "max_val_images": 32}
LINEAR = {"target": "binary", "protocol": "linear", "image_size": 32, "epochs": 2, "batch_size": 32,
          "max_train_images": 64, "optimizer": "adam", "lr_head": 3e-3}


def _chain(tmp, caches, prefix):
    """pretext -> extract -> linear -> another pretext (seed 1) job files whose run folders start with
    ``prefix``. Each kind seeds its own model and data choices, so these show that a job after others
    in one process trains what a fresh one trains; the worker's own per-job seeding of the global
    generators is checked by the RNG job kind below."""
    pre, ext, lin, pre1 = tmp / f"{prefix}-pre", tmp / f"{prefix}-ext", tmp / f"{prefix}-lin", tmp / f"{prefix}-pre1"
    encoder = ext / "encoders" / "encoder__rotation__pre__s0.pth"
    return [
        job_file(tmp, "pretext", pre, {**PRETEXT, "dataset_dir": str(caches["pre"])}, deterministic=True),
        job_file(tmp, "extract", ext, {"checkpoint": str(pre / "best.pth"), "pretext": "rotation", "dataset_name": "pre",
                                       "out_dir": str(ext / "encoders")}, deterministic=True),
        job_file(tmp, "downstream", lin, {**LINEAR, "dataset_dir": str(caches["down"]), "encoders": [str(encoder)]},
                 deterministic=True, seed=3),
        job_file(tmp, "pretext", pre1, {**PRETEXT, "steps": 2, "val_every_steps": 2, "dataset_dir": str(caches["pre"])},
                 deterministic=True, seed=1),
    ], (pre, ext, lin, pre1)


def _serve(lines, **kw):
    """Runs a serving worker on the given stdin lines; returns (messages, stderr, exit code)."""
    proc = subprocess.run([sys.executable, "-m", "xlab.worker", "--serve"], input="".join(f"{x}\n" for x in lines),
                          capture_output=True, text=True, env=kw.get("env") or worker_env(), timeout=600, cwd=ROOT)
    msgs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for m in msgs:
        assert validate_message(m) == [], m
    return msgs, proc.stderr, proc.returncode


def test_four_jobs_in_one_warm_worker_equal_four_fresh_processes(caches, tmp_path):
    fresh_jobs, fresh = _chain(tmp_path, caches, "fresh")
    for job in fresh_jobs:
        r = run_worker(job)
        assert r.code == 0, r.stderr[-2000:]
    warm_jobs, warm = _chain(tmp_path, caches, "warm")
    msgs, stderr, code = _serve([str(j) for j in warm_jobs])
    assert code == 0, stderr[-3000:]

    # One process: ready before each job and after the last, each job's messages under its run id.
    assert [m["type"] for m in msgs if m["type"] in ("ready", "hello", "done")] == ["ready", "hello", "done"] * 4 + ["ready"]
    assert len({m["pid"] for m in msgs if m["type"] in ("ready", "hello")}) == 1
    assert [m["run_id"] for m in msgs if m["type"] == "done"] == [d.name for d in warm]
    assert all(m["run_id"] is None for m in msgs if m["type"] == "ready")
    assert stderr.count("\x1exlab-job-start") == 4 and stderr.count("\x1exlab-job-end") == 4

    # The same results, bit for bit (best.pth: the weights a finished run keeps; last.pth is written
    # at most once a minute, so a short run may end without one).
    a = torch.load(fresh[0] / "best.pth", weights_only=False)["model"]
    b = torch.load(warm[0] / "best.pth", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    ea = torch.load(fresh[1] / "encoders" / "encoder__rotation__pre__s0.pth", weights_only=True)
    eb = torch.load(warm[1] / "encoders" / "encoder__rotation__pre__s0.pth", weights_only=True)
    assert all(torch.equal(ea[k], eb[k]) for k in ea)
    pa = json.loads((fresh[2] / "test_predictions.json").read_text())
    pb = json.loads((warm[2] / "test_predictions.json").read_text())
    assert pa["probs"] == pb["probs"] and pa["indices"] == pb["indices"]
    a = torch.load(fresh[3] / "best.pth", weights_only=False)["model"]
    b = torch.load(warm[3] / "best.pth", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)

    for i, (f, w) in enumerate(zip(fresh, warm)):
        sf, sw = json.loads((f / "summary.json").read_text()), json.loads((w / "summary.json").read_text())
        assert sf["worker"]["mode"] == "one-shot" and sw["worker"] == {"mode": "warm", "pid": sw["worker"]["pid"], "jobs_before": i}
        assert sw["wall_seconds"] > 0 and sf["wall_seconds"] > 0
        if i != 2:  # downstream's train_seconds belongs to the downstream module
            assert 0 <= sw["train_seconds"] <= sw["wall_seconds"]
        if "test" in sf:
            assert sf["test"] == sw["test"]
    assert json.loads((warm[1] / "summary.json").read_text())["train_seconds"] == 0.0
    pre_summary = json.loads((warm[0] / "summary.json").read_text())
    assert 0 < pre_summary["train_seconds"] < pre_summary["wall_seconds"]


def test_a_failing_job_ends_the_process_with_its_exit_code_and_the_next_job_is_not_read(caches, tmp_path):
    bad = job_file(tmp_path, "downstream", tmp_path / "bad", {**LINEAR, "dataset_dir": str(caches["down"]),
                                                                "encoders": [str(tmp_path / "missing.pth")]})
    good = job_file(tmp_path, "extract", tmp_path / "never", {"checkpoint": str(tmp_path / "x.pth"), "out_dir": str(tmp_path)})
    msgs, _, code = _serve([str(bad), str(good)])
    assert code == 2
    assert [m["type"] for m in msgs][-1] == "error" and msgs[-1]["code"] == "BAD_INPUT" and msgs[-1]["run_id"] == "bad"
    assert not any(m["run_id"] == "never" for m in msgs)


def _worker_with_kind(tmp, source, args, stdin=""):
    """Runs ``python -m xlab.worker ARGS`` with the pretext kind replaced by ``run`` of ``source`` (a
    module written into ``tmp``); returns the process."""
    (tmp / "test_kind.py").write_text(source)
    script = "import sys; from xlab import worker; worker.JOB_KINDS['pretext'] = 'test_kind:run'; sys.exit(worker.main(sys.argv[1:]))"
    env = worker_env()
    env["PYTHONPATH"] = f"{tmp}:{env['PYTHONPATH']}"
    return subprocess.run([sys.executable, "-c", script, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


# A job kind that reports the first draws of the generators every job inherits (Python's random,
# NumPy's legacy global, torch's default) and then moves them on, as a training job would.
RNG_KIND = """
import random
import numpy as np
import torch

def run(job, em, device):
    draws = {"python": random.random(), "numpy": float(np.random.rand()), "torch": float(torch.rand(1))}
    random.random(); np.random.rand(100); torch.rand(100)
    return {"draws": draws}
"""


def test_each_job_in_a_warm_worker_starts_from_its_seed_as_a_fresh_process_does(tmp_path):
    # One warm worker: seeds 5, 7, then 5 again; fresh processes: seeds 5 and 7.
    warm_jobs = [job_file(tmp_path, "pretext", tmp_path / f"warm-{i}", {}, seed=s) for i, s in enumerate((5, 7, 5))]
    proc = _worker_with_kind(tmp_path, RNG_KIND, ["--serve"], "".join(f"{j}\n" for j in warm_jobs))
    assert proc.returncode == 0, proc.stderr[-2000:]
    warm = [m["summary"]["draws"] for m in map(json.loads, proc.stdout.splitlines()) if m["type"] == "done"]
    fresh = {}
    for s in (5, 7):
        p = _worker_with_kind(tmp_path, RNG_KIND, ["--job", str(job_file(tmp_path, "pretext", tmp_path / f"fresh-{s}", {}, seed=s))])
        assert p.returncode == 0, p.stderr[-2000:]
        fresh[s] = [m["summary"]["draws"] for m in map(json.loads, p.stdout.splitlines()) if m["type"] == "done"][0]
    assert warm == [fresh[5], fresh[7], fresh[5]]
    assert all(fresh[5][g] != fresh[7][g] for g in ("python", "numpy", "torch"))


def test_a_job_kind_that_raises_ends_the_process_as_internal(caches, tmp_path):
    job = job_file(tmp_path, "pretext", tmp_path / "raises", {})
    proc = _worker_with_kind(tmp_path, "def run(job, em, device):\n    raise RuntimeError('boom')\n", ["--serve"], f"{job}\n{job}\n")
    msgs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1
    assert [m["type"] for m in msgs] == ["ready", "hello", "error"] and msgs[-1]["code"] == "INTERNAL"
    assert "RuntimeError: boom" in proc.stderr


def test_sigterm_between_jobs_ends_the_worker_and_eof_ends_it_cleanly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "xlab.worker", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=worker_env(), cwd=ROOT)
    assert json.loads(proc.stdout.readline())["type"] == "ready"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 3
    msgs, _, code = _serve([])
    assert code == 0 and [m["type"] for m in msgs] == ["ready"]
