"""The supervised reference (pretext/supervised.py): a real worker run trains the ResNet-18 with
cross-entropy on the pretraining set's own labels under the same budget as a pretext task, its
encoder extracts like any pretext encoder, and a dataset without two classes is refused with a
sentence."""

import json

from conftest import job_file, run_worker
from xlab.fixtures import write_cache

BUDGET = {"image_size": 32, "steps": 4, "val_every_steps": 2, "batch_size": 8, "max_val_images": 32}


def test_supervised_trains_on_the_labels_with_the_pretext_budget_and_extracts(tmp_path):
    cache = write_cache(tmp_path / "labelled", n=200, size=32, seed=3, labelled=True)
    run = tmp_path / "sup"
    r = run_worker(job_file(tmp_path, "pretext", run, {"task": "supervised", "dataset_dir": str(cache), **BUDGET}))
    assert r.code == 0, r.stderr[-2000:]
    s = json.loads((run / "summary.json").read_text())
    assert s["task"] == "supervised" and (s["steps"], s["network_images"]) == (4, 32)
    assert s["options"]["class_names"] == ["No Finding", "Pneumonia", "Effusion"]
    assert s["chance"]["basis"].startswith("always guessing the most frequent class")
    assert 0 < s["chance"]["value"] < 1 and s["chance"]["value"] == s["final_val"]["majority_share"]
    out = tmp_path / "ext"
    e = run_worker(job_file(tmp_path, "extract", out, {"checkpoint": str(run / "best.pth"), "pretext": "supervised",
                                                       "dataset_name": "labelled", "out_dir": str(out / "encoders")}))
    assert e.code == 0, e.stderr[-2000:]
    assert e.summary["pretext"] == "supervised" and e.summary["encoder"].endswith("encoder__supervised__labelled__s0.pth")


def test_a_dataset_without_two_classes_is_refused_with_a_sentence(tmp_path):
    cache = write_cache(tmp_path / "unlabelled", n=60, size=32, seed=4)  # one label "image" for every image
    r = run_worker(job_file(tmp_path, "pretext", tmp_path / "sup", {"task": "supervised", "dataset_dir": str(cache), **BUDGET}))
    assert r.code == 2
    msg = r.of("error")[0]["message"]
    assert "needs at least two classes" in msg and "baselines.supervised" in msg
