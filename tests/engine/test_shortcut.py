"""The shortcut score (engine/xlab/shortcut.py): unlearned baselines fitted on a task's own pretext
samples. On 1/f noise, whose statistics are isotropic and stationary, nothing but the task's
construction could give the answer away, so both baselines stay near chance for every task; on images
with a bright border on one side, the cheap statistics read the rotation off the border, and the cell
is marked trivial. A pretext run records the score in its summary."""

import json

import numpy as np
import pytest
import torch

from conftest import job_file, run_worker
from test_structure_shortcuts import pink_noise
from xlab.data import Cache
from xlab.fixtures import write_cache
from xlab.pretext import PRETEXT_TASKS, build_task
from xlab.shortcut import N_STATS, STAT_NAMES, TRIVIAL_FRACTION, cheap_stats, shortcut_score

SIDE, SIZE = 40, 32
FIT, HELD = 1536, 768
NEAR_CHANCE = 0.15  # at most this far from chance to perfect (normalised): about 3 standard errors at these sizes


def split_cache(images: np.ndarray) -> Cache:
    n = len(images)
    return Cache(dir=None, meta={}, images=images, labels=None, patients=None,
                 splits={"train": np.arange(0, n * 2 // 3), "val": np.arange(n * 2 // 3, n)},
                 mean=torch.full((3,), 0.5), std=torch.full((3,), 0.2))


def bright_border(n: int, s: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise with a bright band along the top: an 'up' that one border statistic reads."""
    img = np.clip(100 + 30 * pink_noise(n, s, rng), 1, 255)
    img[:, : s // 6] = 250
    return img.astype(np.uint8)


def test_there_are_24_named_statistics():
    x = torch.randn(5, 3, SIZE, SIZE)
    assert N_STATS == 24 == len(STAT_NAMES) == len(set(STAT_NAMES))
    assert cheap_stats(x).shape == (5, 24) and np.isfinite(cheap_stats(x)).all()


@pytest.mark.parametrize("task", [t for t, cls in PRETEXT_TASKS.items() if not cls.uses_labels])
def test_near_chance_on_pink_noise_for_every_task(task):
    cache = split_cache(np.clip(128 + 40 * pink_noise(1200, SIDE, np.random.default_rng(1)), 1, 255).astype(np.uint8))
    score = shortcut_score(build_task(task), cache, SIZE, "cpu", seed=0, fit_samples=FIT, held_out_samples=HELD)
    print(task, json.dumps({k: score[k] for k in ("stats", "random_init", "seconds")}))
    for base in ("stats", "random_init"):
        assert score[base]["normalised"] <= NEAR_CHANCE, f"{base} solves {task} on 1/f noise: {score[base]}"
    assert not score["trivial"]
    assert score["fit_samples"] == FIT and score["held_out_samples"] == HELD


def test_rotation_is_marked_trivial_with_a_bright_border_on_one_side():
    cache = split_cache(bright_border(600, SIDE, np.random.default_rng(2)))
    score = shortcut_score(build_task("rotation"), cache, SIZE, "cpu", seed=0, fit_samples=FIT, held_out_samples=HELD,
                           random_init=False)
    print(json.dumps(score["stats"]))
    assert score["stats"]["metric"] == "accuracy" and score["stats"]["chance"] == 0.25
    assert score["stats"]["value"] >= 0.95 and score["stats"]["normalised"] >= TRIVIAL_FRACTION
    assert score["trivial"] is True


def test_a_pretext_run_records_its_shortcut_score_and_laterality(tmp_path):
    pre = write_cache(tmp_path / "pre", n=120, size=SIZE, seed=0)
    meta = json.loads((pre / "meta.json").read_text())
    (pre / "meta.json").write_text(json.dumps({**meta, "laterality_flip": True}))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    job = job_file(tmp_path, "pretext", run_dir, {"task": "rotation", "dataset_dir": str(pre), "image_size": SIZE,
                                                  "steps": 2, "batch_size": 8, "max_val_images": 16})
    res = run_worker(job)
    s = res.summary
    assert s["laterality"]["flipped_at_import"] is True and s["laterality"]["random_hflip"] is True
    assert s["options"]["random_hflip"] is True
    sc = s["shortcut"]
    assert set(sc) >= {"stats", "random_init", "trivial", "threshold"} and sc["stats"]["metric"] == "accuracy"
    assert json.loads((run_dir / "shortcut.json").read_text()) == sc
    assert any("Shortcut score of rotation" in m["message"] for m in res.of("log"))
