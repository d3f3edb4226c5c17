"""`python -m xlab.throughput`: a ResNet-18's training and evaluation images/s on this device at one
image size and batch, the figures the lab's estimates are made of."""

import json
import subprocess
import sys

from conftest import worker_env


def test_measures_train_and_eval_images_per_s_and_a_jobs_set_up():
    r = subprocess.run([sys.executable, "-m", "xlab.throughput", "--size", "16", "--batch", "8", "--device", "cpu",
                        "--threads", "1", "--seconds", "0.3"], capture_output=True, text=True, env=worker_env(), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert (out["image_size"], out["batch_size"], out["threads"], out["device"]["type"]) == (16, 8, 1, "cpu")
    assert out["train_images_per_s"] > 0 and out["eval_images_per_s"] > 0
    # an evaluation forward pass costs less than a training step
    assert out["eval_images_per_s"] > out["train_images_per_s"]
    assert out["train_steps"] >= 2 and 0 < out["job_s"] < out["seconds"]


def test_refuses_a_size_or_batch_it_cannot_measure():
    r = subprocess.run([sys.executable, "-m", "xlab.throughput", "--size", "4", "--batch", "8"], capture_output=True, text=True,
                       env=worker_env(), timeout=300)
    assert r.returncode == 2 and "--size must be at least 8" in r.stderr


def test_calibrates_each_kind_of_work_through_the_workers_own_job_functions(tmp_path):
    """--calibrate runs the study's kinds of work (cut to a few steps) on generated caches and reports each
    one's wall seconds; a job that needs a checkpoint before any pretext job left one is skipped."""
    fixture = lambda name: {"$fixture": name}  # noqa: E731
    jobs = [
        {"key": "extract-early", "kind": "extract", "params": {"checkpoint": fixture("checkpoint"), "out_dir": {"$runDir": "encoders"}}},
        {"key": "pretext-rotation", "kind": "pretext", "params": {"task": "rotation", "dataset_dir": fixture("pretrain"), "image_size": 16,
                                                                 "steps": 4, "batch_size": 8, "val_every_steps": 4, "checkpoint_every_steps": 4}},
        {"key": "extract", "kind": "extract", "params": {"checkpoint": fixture("checkpoint"), "dataset_name": "fx", "out_dir": {"$runDir": "encoders"}}},
        {"key": "downstream-linear/binary/1", "kind": "downstream", "params": {
            "dataset_dir": fixture("downstream"), "target": "binary", "protocol": "linear", "encoders": [fixture("encoder")], "image_size": 16,
            "batch_size": 8, "linear_solver": "lbfgs", "linear_c_grid": [0.1, 1.0], "linear_max_iter": 50}},
        {"key": "downstream-knn/binary/1", "kind": "downstream", "params": {
            "dataset_dir": fixture("downstream"), "target": "binary", "protocol": "knn", "encoders": [fixture("encoder")], "image_size": 16, "batch_size": 8}},
        {"key": "probe-invariance", "kind": "probe", "params": {"mode": "invariance", "encoder": fixture("encoder"), "dataset_dir": fixture("downstream"),
                                                               "n_images": 8, "image_size": 16}},
    ]
    spec = tmp_path / "calibrate.json"
    spec.write_text(json.dumps({"pretrain": {"n": 60}, "downstream": {"n": 80}, "jobs": jobs}))
    r = subprocess.run([sys.executable, "-m", "xlab.throughput", "--size", "16", "--batch", "8", "--device", "cpu", "--threads", "1",
                        "--seconds", "0.2", "--calibrate", str(spec)], capture_output=True, text=True, env=worker_env(), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    cal = {c["key"]: c for c in out["calibration"]}
    assert [c["key"] for c in out["calibration"]] == [j["key"] for j in jobs]
    assert cal["extract-early"]["wall_s"] is None
    assert all(cal[k]["wall_s"] > 0 for k in list(cal)[1:])
    # the pretext job reports its own training images/s (the task's step, not a bare ResNet-18)
    assert cal["pretext-rotation"]["images_per_s"] > 0
    assert 0 < sum(c["wall_s"] for c in cal.values() if c["wall_s"]) <= out["calibration_s"]
    # the generated caches' split sizes, for the lab to count the jobs' images
    assert sum(out["fixtures"]["downstream"].values()) == 80 and sum(out["fixtures"]["pretrain"].values()) == 60


def test_stops_calibrating_when_its_time_budget_is_spent(tmp_path):
    jobs = [{"key": f"probe-{i}", "kind": "probe", "params": {"mode": "invariance", "encoder": {"$fixture": "encoder"},
                                                              "dataset_dir": {"$fixture": "downstream"}, "n_images": 8, "image_size": 16}}
            for i in range(3)]
    spec = tmp_path / "calibrate.json"
    spec.write_text(json.dumps({"pretrain": {"n": 20}, "downstream": {"n": 40}, "jobs": jobs, "budget_s": 0.000001}))
    r = subprocess.run([sys.executable, "-m", "xlab.throughput", "--size", "16", "--batch", "8", "--device", "cpu", "--threads", "1",
                        "--seconds", "0.2", "--calibrate", str(spec)], capture_output=True, text=True, env=worker_env(), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    # the first job always runs; the budget is spent after it
    assert [c["wall_s"] is not None for c in out["calibration"]] == [True, False, False]
    assert [c.get("skipped") for c in out["calibration"]] == [None, "budget", "budget"]


def test_refuses_a_calibration_file_it_cannot_read(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"jobs": 3}')
    r = subprocess.run([sys.executable, "-m", "xlab.throughput", "--size", "16", "--batch", "8", "--calibrate", str(bad)], capture_output=True,
                       text=True, env=worker_env(), timeout=300)
    assert r.returncode == 2 and "is not a calibration file" in r.stderr
