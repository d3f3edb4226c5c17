"""Label fractions: drawn by patient, stratified, nested, outside val/test, the same for every encoder."""

import math

import numpy as np
import pytest

from xlab.data import open_cache
from xlab.downstream.subsets import indices_sha256, label_subset
from xlab.downstream.targets import make_targets, strata


def _synthetic(n_pat=300, seed=0):
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 4, n_pat)
    patients = np.repeat(np.arange(n_pat) * 7 + 3, per)  # patient ids need not be 0..n-1
    cls = np.repeat(rng.choice(3, n_pat, p=[0.6, 0.1, 0.3]), per)  # one class per patient: strata are exact
    return patients, cls


FRACTIONS = (0.01, 0.05, 0.1, 0.5, 1.0)


def test_subsets_are_nested_stratified_and_keep_patients_whole():
    patients, cls = _synthetic()
    train = np.arange(len(patients))
    subsets = {f: label_subset(train, cls, patients, f, seed=3, cache_id="ds-1") for f in FRACTIONS}
    for small, large in zip(FRACTIONS, FRACTIONS[1:]):
        assert set(subsets[small][0]) <= set(subsets[large][0]), (small, large)
    assert np.array_equal(subsets[1.0][0], train)
    for f, (idx, info) in subsets.items():
        chosen = set(patients[idx])
        assert set(np.flatnonzero(np.isin(patients, list(chosen)))) == set(idx)  # all images of a chosen patient
        for c in range(3):
            n_c = len(np.unique(patients[cls == c]))
            assert len(np.unique(patients[idx][cls[idx] == c])) == math.ceil(f * n_c), (f, c)
        assert info == {"fraction": f, "n_images": len(idx), "n_patients": len(chosen), "sha256": indices_sha256(idx)}
    assert len(subsets[0.1][1]["sha256"]) == 64 and subsets[0.1][1]["sha256"] != subsets[0.5][1]["sha256"]


def test_the_key_depends_on_cache_and_seed_only():
    patients, cls = _synthetic()
    train = np.arange(len(patients))
    a, _ = label_subset(train, cls, patients, 0.1, seed=3, cache_id="ds-1")
    b, _ = label_subset(train, cls, patients, 0.1, seed=3, cache_id="ds-1")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, label_subset(train, cls, patients, 0.1, seed=4, cache_id="ds-1")[0])
    assert not np.array_equal(a, label_subset(train, cls, patients, 0.1, seed=3, cache_id="ds-2")[0])


def test_a_patient_with_a_rare_class_stands_in_its_stratum_so_every_class_stays():
    patients = np.array([0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    cls = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])  # class 1 only in one image of patient 0
    idx, _ = label_subset(np.arange(10), cls, patients, 0.01, seed=0, cache_id="x")
    assert 1 in cls[idx] and 0 in cls[idx]


def test_without_patients_every_image_is_its_own_patient():
    cls = np.array([0] * 50 + [1] * 50)
    idx, info = label_subset(np.arange(100), cls, None, 0.1, seed=0, cache_id="x")
    assert len(idx) == 10 and info["n_patients"] == 10 and (cls[idx] == 1).sum() == 5


@pytest.mark.parametrize("target", ["binary", "3class", "multilabel14"])
def test_subsets_of_a_cache_stay_inside_train_and_away_from_val_and_test_patients(caches, target):
    cache = open_cache(caches["down"], need_labels=True)
    y, _ = make_targets(cache.labels, cache.label_names, target)
    train = cache.split("train")
    held_out = set(cache.patients[np.concatenate([cache.split("val"), cache.split("test")])].tolist())
    prev = set()
    for f in (0.1, 0.3, 1.0):
        idx, _ = label_subset(train, strata(y), cache.patients, f, seed=0, cache_id=cache.meta["id"])
        assert set(idx) <= set(train.tolist()) and not set(cache.patients[idx].tolist()) & held_out
        assert prev <= set(idx.tolist())
        prev = set(idx.tolist())


def test_a_fraction_that_loses_a_class_is_refused_with_what_to_do():
    """Class 2 only occurs in patients whose stratum is the rarer class 1; when the draw of stratum 1
    takes the patient without class 2, the run is refused (a seed where that happens is searched)."""
    from types import SimpleNamespace

    from xlab.downstream import train_subset
    from xlab.errors import JobError
    # patients A=0, B=1 hold class 1 and class 2 twice; D=2 holds class 1 only; 40 patients of class 0
    patients = np.array([0, 0, 0, 1, 1, 1, 2] + list(range(3, 43)))
    y = np.array([1, 2, 2, 1, 2, 2, 1] + [0] * 40)
    cache = SimpleNamespace(patients=patients, meta={"id": "ds-x"}, dir=None)
    p = SimpleNamespace(max_train_images=None, label_fraction=0.01, target="3class")
    logs = SimpleNamespace(log=lambda *a: None)
    names = ["No Finding", "Pneumonia", "Other finding"]
    for seed in range(200):
        idx, _ = label_subset(np.arange(len(y)), y, patients, 0.01, seed, "ds-x")
        if 2 not in y[idx]:
            break
    else:
        pytest.fail("no seed drew patient D")
    with pytest.raises(JobError, match=r"label_fraction 0.01 leaves no labelled train image of Other finding .*Raise label_fraction"):
        train_subset(p, cache, y, names, np.arange(len(y)), seed, logs)


def test_the_subset_follows_the_content_not_the_import(caches, tmp_path):
    """Two imports of the same data (another data root, another machine) get other dataset ids but
    draw the same labelled subset; other content draws another."""
    import json
    import shutil

    from xlab.downstream.subsets import subset_key

    copy = tmp_path / "ds-other-id"
    shutil.copytree(caches["down"], copy)
    meta = json.loads((copy / "meta.json").read_text())
    assert meta.get("checksums"), "the test cache records its file checksums"
    meta["id"] = "ds-other-id"
    (copy / "meta.json").write_text(json.dumps(meta))
    a_cache, b_cache = open_cache(caches["down"], need_labels=True), open_cache(copy, need_labels=True)
    assert a_cache.meta["id"] != b_cache.meta["id"]
    y, _ = make_targets(a_cache.labels, a_cache.label_names, "binary")
    train = a_cache.split("train")
    draw = lambda c: label_subset(train, strata(y), c.patients, 0.1, seed=0, cache_id=subset_key(c.meta, c.meta["id"]))[0]
    assert np.array_equal(draw(a_cache), draw(b_cache))
    changed = dict(b_cache.meta, checksums={**b_cache.meta["checksums"], "labels.npy": "0" * 64})
    assert subset_key(changed, "x") != subset_key(b_cache.meta, "x")
    assert subset_key({"id": "ds-old"}, "ds-old") == "ds-old"
