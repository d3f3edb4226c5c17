"""A run folder the worker cannot write: a BAD_INPUT error naming the path, not INTERNAL "please report"."""

import os

from conftest import job_file, run_worker


def test_unwritable_run_dir_names_the_path(tmp_path, caches):
    run_dir = tmp_path / "r"
    # sysfs refuses new files even to root, where folder permissions would not stop a write.
    os.symlink("/sys/kernel", run_dir)
    res = run_worker(job_file(tmp_path, "pretext", run_dir, {"task": "rotation", "dataset_dir": str(caches["pre"]), "image_size": 32,
                                                             "epochs": 1, "batch_size": 8, "max_steps_per_epoch": 2}))
    assert res.code == 2, res.stderr[-2000:]
    err = res.of("error")[-1]
    assert err["code"] == "BAD_INPUT"
    assert str(run_dir) in err["message"] and "cannot be written" in err["message"]
