"""One pretext budget for every cell: real worker runs of two tasks on a 300-image and a 10,000-image
dataset with the same params make the same steps and network images; the epochs follow from the
dataset size and are recorded in summary.json with the source images and the wall time."""

import json

import pytest

from conftest import job_file, run_worker
from xlab.fixtures import write_cache
from xlab.train_pretext import solved_early

BUDGET = {"image_size": 32, "steps": 3, "val_every_steps": 2, "batch_size": 8, "max_val_images": 16}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("budget")
    sets = {"small": write_cache(tmp / "small", n=300, size=32, seed=0), "large": write_cache(tmp / "large", n=10_000, size=32, seed=1)}
    out = {}
    for task in ("rotation", "structure"):
        for name, cache in sets.items():
            run = tmp / f"{task}-{name}"
            r = run_worker(job_file(tmp, "pretext", run, {"task": task, "dataset_dir": str(cache), **BUDGET}))
            assert r.code == 0, r.stderr[-2000:]
            out[(task, name)] = (json.loads((run / "summary.json").read_text()), r)
    return out


def test_every_cell_gets_the_same_steps_and_network_images(runs):
    for (task, name), (s, _) in runs.items():
        assert (s["steps"], s["batch_size"], s["network_images"]) == (3, 8, 24), (task, name)
        assert s["budget"] == {"steps": 3, "batch_size": 8}
        # rotation (all4) draws batch/4 images and shows each in four orientations
        assert s["source_images"] == (6 if task == "rotation" else 24)
        assert s["epochs"] == pytest.approx(s["source_images"] / s["train_images"])
        assert s["wall_s"] > 0 and s["train_s"] > 0 and "solved_early" in s
        chance = {"rotation": 0.25, "structure": 0.5}[task]
        assert s["chance"]["value"] == chance and s["chance"]["achieved"] == s["final_val"]["accuracy"]
    for task in ("rotation", "structure"):
        small, large = runs[(task, "small")][0], runs[(task, "large")][0]
        assert small["epochs"] > 10 * large["epochs"]  # the small set is passed over more often, for the same compute


def test_progress_and_metrics_carry_the_global_step(runs):
    _, r = runs[("structure", "small")]
    assert [m["step"] for m in r.of("metric") if m["split"] == "val"] == [2, 3]
    steps = [(m["step"], m["steps"]) for m in r.of("progress") if m["stage"] == "train"]
    assert steps[-1] == (3, 3) and all(total == 3 for _, total in steps)


def test_a_small_set_is_passed_over_several_times_without_a_short_step(tmp_path):
    cache = write_cache(tmp_path / "tiny", n=40, size=32, seed=2)
    run = tmp_path / "tiny-run"
    r = run_worker(job_file(tmp_path, "pretext", run, {"task": "structure", "dataset_dir": str(cache), **BUDGET, "steps": 9}))
    s = r.summary
    assert s["steps"] == 9 and s["network_images"] == 72 and s["epochs"] > 2


def test_solved_early_names_the_first_step_at_or_above_0_99():
    hist = [{"epoch": 1, "step": 12, "val": {"accuracy": 0.9}}, {"epoch": 2, "step": 24, "val": {"accuracy": 0.995}},
            {"epoch": 3, "step": 36, "val": {"accuracy": 1.0}}]
    flag = solved_early(hist)
    assert {k: flag[k] for k in ("step", "round", "accuracy", "threshold")} == {"step": 24, "round": 2, "accuracy": 0.995, "threshold": 0.99}
    assert "step 24" in flag["message"] and "may teach the encoder little" in flag["message"]
    assert solved_early(hist[:1]) is None
    assert solved_early([{"epoch": 1, "step": 5, "val": {"hole_l1": 0.01}}]) is None  # inpainting: no accuracy
