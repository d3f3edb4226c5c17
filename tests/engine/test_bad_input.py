"""Bad input through the real worker: an error message with a code and an actionable sentence, a
non-zero exit code, and no summary.json that would look like a finished run."""

import numpy as np
import torch
from torchvision.models import resnet34

from conftest import job_file, run_worker
from xlab.fixtures import write_cache


def _assert_error(res, code, exit_code, *words):
    assert res.code == exit_code, res.stderr[-2000:]
    err = res.of("error")
    assert err and err[-1]["code"] == code
    for w in words:
        assert w in err[-1]["message"]
    assert not res.of("done")


def test_job_that_is_not_json(tmp_path):
    _assert_error(run_worker(tmp_path, stdin="{not json"), "BAD_INPUT", 2, "not valid JSON")


def test_unknown_kind_and_missing_dataset(tmp_path):
    _assert_error(run_worker(job_file(tmp_path, "train", tmp_path / "a", {})), "BAD_INPUT", 2, "no job kind 'train'")
    res = run_worker(job_file(tmp_path, "pretext", tmp_path / "b", {"task": "rotation", "dataset_dir": str(tmp_path / "nope")}))
    _assert_error(res, "BAD_INPUT", 2, "does not exist")
    assert not (tmp_path / "b" / "summary.json").exists()


def test_labels_that_do_not_match_images(tmp_path):
    d = write_cache(tmp_path / "c", n=40, size=32, labelled=True)
    np.save(d / "labels.npy", np.zeros((30, 3), np.uint8))
    res = run_worker(job_file(tmp_path, "downstream", tmp_path / "r", {"dataset_dir": str(d), "protocol": "scratch", "image_size": 32}))
    _assert_error(res, "BAD_INPUT", 2, "labels.npy", "Import the dataset again")


def test_encoder_of_another_architecture(tmp_path, caches):
    torch.save({k: v for k, v in resnet34().state_dict().items() if not k.startswith("fc.")}, tmp_path / "r34.pth")
    res = run_worker(job_file(tmp_path, "downstream", tmp_path / "r", {
        "dataset_dir": str(caches["down"]), "protocol": "linear", "encoders": [str(tmp_path / "r34.pth")], "image_size": 32}))
    _assert_error(res, "BAD_INPUT", 2, "does not hold a resnet18 encoder")
    assert not (tmp_path / "r" / "test_predictions.json").exists()


def test_non_finite_loss_stops_the_run(tmp_path, caches):
    res = run_worker(job_file(tmp_path, "pretext", tmp_path / "r", {
        "task": "structure", "dataset_dir": str(caches["pre"]), "image_size": 32, "batch_size": 8, "epochs": 1,
        "max_steps_per_epoch": 6, "optimizer": "sgd", "lr": 1e12}))
    _assert_error(res, "NON_FINITE", 5, "Lower the learning rate")
    assert not (tmp_path / "r" / "summary.json").exists()
