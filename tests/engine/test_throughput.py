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
