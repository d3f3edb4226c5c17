"""Dataset caches: opening checks, grey->3 channels, normalisation, on-device resize and augmentation."""

import json

import numpy as np
import pytest
import torch

from xlab.data import BatchMaker, augment, open_cache
from xlab.errors import JobError
from xlab.fixtures import write_cache


@pytest.fixture()
def cache_dir(tmp_path):
    return write_cache(tmp_path / "c", n=40, size=32, seed=1, labelled=True)


def test_grey_batch_is_replicated_normalised_and_resized(cache_dir):
    cache = open_cache(cache_dir)
    assert isinstance(cache.images, np.memmap)
    bm = BatchMaker(cache, 32, "cpu")
    x = bm(np.array([3, 1]))
    assert x.shape == (2, 3, 32, 32)
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])
    raw = torch.from_numpy(np.asarray(cache.images[[3, 1]])).float() / 255
    assert torch.allclose(x[:, 0], (raw - cache.mean[0]) / cache.std[0], atol=1e-5)
    assert BatchMaker(cache, 48, "cpu")(np.array([0])).shape == (1, 3, 48, 48)


def test_colour_cache_keeps_channels(tmp_path):
    cache = open_cache(write_cache(tmp_path / "rgb", n=20, size=32, colour=True))
    x = BatchMaker(cache, 32, "cpu")(np.array([0, 1]))
    assert x.shape == (2, 3, 32, 32) and not torch.equal(x[:, 0], x[:, 2])
    assert len(cache.meta["mean"]) == 3


def test_augmentation_is_seeded_and_keeps_range():
    x = torch.rand(4, 1, 32, 32)
    a = augment(x, torch.Generator().manual_seed(3))
    b = augment(x, torch.Generator().manual_seed(3))
    c = augment(x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1


@pytest.mark.parametrize("damage,match", [
    (lambda d: (d / "images.npy").unlink(), "image array is missing"),
    (lambda d: np.save(d / "images.npy", np.zeros((40, 32, 32), np.float32)), "expected uint8"),
    (lambda d: np.save(d / "labels.npy", np.zeros((39, 3), np.uint8)), "does not match 40 images"),
    (lambda d: np.save(d / "split-val.npy", np.array([5, 400], np.uint32)), "outside 0..39"),
    (lambda d: (d / "meta.json").write_text("{"), "not valid JSON"),
    (lambda d: (d / "labels.npy").write_bytes(b"garbage"), "not a readable .npy"),
])
def test_damaged_cache_is_a_bad_input(cache_dir, damage, match):
    damage(cache_dir)
    with pytest.raises(JobError, match=match) as e:
        open_cache(cache_dir)
    assert e.value.code == "BAD_INPUT"


def test_meta_n_must_match(cache_dir):
    meta = json.loads((cache_dir / "meta.json").read_text())
    meta["n"] = 41
    (cache_dir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(JobError, match="n=41"):
        open_cache(cache_dir)
