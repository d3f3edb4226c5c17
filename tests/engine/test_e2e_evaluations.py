"""End to end through the real worker: the evaluations of issue 15 on tiny caches. A random-init
encoder written by an extract job and a reference encoder imported from a torchvision resnet18 go
through kNN, the 14-finding target in every protocol and in fusion, label fractions, the head sweep
and the shared feature cache."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.models import resnet18

from conftest import job_file, run_worker
from multilabel_cache import write_chest14_cache
from xlab.encoders import import_reference
from xlab.fixtures import write_cache

FAST = {"image_size": 32, "epochs": 2, "batch_size": 32, "optimizer": "adam", "lr_head": 3e-3, "lr_encoder": 3e-4,
        "linear_steps_per_epoch": 10}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evals")
    down = write_cache(tmp / "down", n=300, size=32, seed=5, labelled=True)
    c14 = write_chest14_cache(tmp / "chest14")
    ext = run_worker(job_file(tmp, "extract", tmp / "ext-random", {"random_init": True, "out_dir": str(tmp / "ext-random" / "encoders")}))
    assert ext.code == 0, ext.stderr[-2000:]
    torch.manual_seed(7)
    torch.save(resnet18().state_dict(), tmp / "someone-elses-r18.pth")
    ref = import_reference(tmp / "someone-elses-r18.pth", tmp / "refs", "other-tool")
    return {"tmp": tmp, "down": down, "c14": c14, "random": ext.summary["encoder"], "ext": ext, "reference": ref["encoder"]}


def _run(env, name, **params):
    run = env["tmp"] / name
    params = {"dataset_dir": str(env["down"]), **FAST, **params}
    return run, run_worker(job_file(env["tmp"], "downstream", run, params))


def _logs(res):
    return [m["message"] for m in res.of("log")]


def test_random_init_extract_writes_the_probes_reference_network(env):
    from xlab.similarity import random_init_encoder
    path = Path(env["random"])
    assert path.name == "encoder__random-init__none__s0.pth"
    assert path.with_suffix(".safetensors").exists()
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["pretext"] == "random-init" and meta["seed"] == 0 and meta["normalisation"] is None
    sd = torch.load(path, weights_only=True)
    probe_net = random_init_encoder(0, "cpu").net.state_dict()  # what probe.py measures as its random-init reference
    assert all(torch.equal(sd[k], probe_net[k]) for k in sd) and set(sd) == set(probe_net)
    from xlab.extract import random_init_state
    again, other = random_init_state(0), random_init_state(1)
    assert all(torch.equal(again[k], sd[k]) for k in sd)
    assert not torch.equal(other["conv1.weight"], sd["conv1.weight"])


def test_knn_reports_val_and_test_with_calibration_and_no_checkpoint(env):
    run, r = _run(env, "knn-binary", protocol="knn", target="binary", encoders=[env["random"]])
    assert r.code == 0, r.stderr[-2000:]
    s = r.summary
    assert s["protocol"] == "knn" and s["knn"] == {"k": 20, "temperature": 0.07}
    assert [m["epoch"] for m in r.of("metric") if m["split"] == "val"] == [0]
    assert s["best"]["epoch"] == 0 and s["best"]["metrics"]["roc_auc"] is not None
    test_msg = [m for m in r.of("metric") if m["split"] == "test"][0]["values"]
    assert test_msg["ece"] == s["test"]["calibration"]["ece"] and test_msg["brier"] == s["test"]["brier"]
    assert s["test"]["calibration"]["kind"] == "top-label" and len(s["test"]["calibration"]["bins"]) == 15
    assert not r.of("checkpoint") and not (run / "last.pth").exists()
    preds = json.loads((run / "test_predictions.json").read_text())
    assert all(abs(sum(p) - 1) < 1e-4 for p in preds["probs"]) and "multilabel" not in preds
    assert s["train_seconds"] > 0 and s["label_subset"]["fraction"] == 1.0


@pytest.mark.parametrize("protocol,extra", [
    ("linear", {}),
    ("knn", {"knn_k": 5}),
    ("finetune", {"epochs": 1, "max_steps_per_epoch": 2}),
    ("scratch", {"epochs": 1, "max_steps_per_epoch": 2}),
    ("fusion", {}),
])
def test_multilabel14_in_every_protocol(env, protocol, extra):
    encoders = {"scratch": [], "fusion": [env["random"], env["reference"]]}.get(protocol, [env["random"]])
    run, r = _run(env, f"ml14-{protocol}", dataset_dir=str(env["c14"]), target="multilabel14",
                  protocol="linear" if protocol == "fusion" else protocol, encoders=encoders, **extra)
    assert r.code == 0, r.stderr[-2000:]
    s = r.summary
    per = s["test"]["per_finding_auc"]
    assert len(per) == 14 and per["Hernia"] is None and per["Pneumonia"] is not None
    assert s["test"]["mean_auc"] == pytest.approx(np.mean([v for v in per.values() if v is not None]))
    assert s["test"]["roc_auc"] == s["test"]["mean_auc"] and s["multilabel"] is True
    assert s["split_type"] == "seeded, grouped by patient, stratified by the 3-class target"
    assert s["reference"] == {"chexnet_mean_auroc": 0.841, "note": "CheXNet (Rajpurkar et al. 2017) used a different split"}
    assert s["test"]["calibration"]["kind"] == "per-finding"
    assert len(s["class_weights"]) == 14  # pos_weight per finding
    preds = json.loads((run / "test_predictions.json").read_text())
    assert preds["multilabel"] is True and len(preds["class_names"]) == 14
    assert np.array(preds["targets"]).shape == np.array(preds["probs"]).shape == (len(preds["indices"]), 14)
    assert set(np.unique(preds["targets"])) <= {0, 1}
    if protocol in ("linear", "fusion"):
        # the fixture's orientation signal sits in Pneumonia/Effusion; a random-init encoder still ranks them above chance
        assert s["best"]["metrics"]["roc_auc"] is not None


def test_label_fractions_give_every_encoder_the_same_patients(env):
    runs = {}
    for name, enc in (("random", env["random"]), ("reference", env["reference"])):
        for f in (0.3, 1.0):
            _, runs[(name, f)] = _run(env, f"frac-{name}-{f}", protocol="linear", target="3class", encoders=[enc], label_fraction=f)
            assert runs[(name, f)].code == 0, runs[(name, f)].stderr[-2000:]
    a, b = runs[("random", 0.3)].summary, runs[("reference", 0.3)].summary
    assert a["label_subset"] == b["label_subset"] and a["label_subset"]["fraction"] == 0.3
    full = runs[("random", 1.0)].summary
    assert a["n"]["train"] == a["label_subset"]["n_images"] < full["n"]["train"]
    assert a["n"]["val"] == full["n"]["val"] and a["n"]["test"] == full["n"]["test"]
    assert all(c > 0 for c in a["train_class_counts"])


def test_head_sweep_keeps_the_grid_point_best_on_val_and_scores_test_once(env):
    _, r = _run(env, "sweep", protocol="linear", target="binary", encoders=[env["random"]],
                linear_solver="sgd", head_sweep_lrs=[1e-7, 3e-2], head_sweep_weight_decays=[0.0, 1e-3])
    assert r.code == 0, r.stderr[-2000:]
    hs = r.summary["head_sweep"]
    assert [(g["lr"], g["weight_decay"]) for g in hs["grid"]] == [(1e-7, 0.0), (1e-7, 1e-3), (3e-2, 0.0), (3e-2, 1e-3)]
    best = max(hs["grid"], key=lambda g: g["val"]["roc_auc"])  # max keeps the first of ties, as the sweep does
    assert hs["chosen"] == {"lr": best["lr"], "weight_decay": best["weight_decay"]} and hs["selected_on"] == "val"
    assert hs["chosen"]["lr"] == 3e-2  # a head that hardly moves from its random start loses on val
    assert r.summary["best"]["metrics"] == best["val"] and r.summary["best"]["epoch"] == best["best_epoch"]
    assert len([m for m in r.of("metric") if m["split"] == "test"]) == 1
    _, bad = _run(env, "sweep-finetune", protocol="finetune", target="binary", encoders=[env["random"]], head_sweep_lrs=[1e-3])
    assert bad.code == 2 and "sweeps the head of protocol linear" in bad.of("error")[0]["message"]
    _, lb = _run(env, "sweep-lbfgs", protocol="linear", target="binary", encoders=[env["random"]], head_sweep_lrs=[1e-3],
                 linear_solver="lbfgs")
    assert lb.code == 2 and "linear_solver sgd" in lb.of("error")[0]["message"]


def test_the_lbfgs_linear_probe_sweeps_a_c_grid_and_ignores_the_finetuning_epochs(env):
    res = {}
    for epochs in (1, 7):
        _, res[epochs] = _run(env, f"lbfgs-e{epochs}", protocol="linear", target="3class", encoders=[env["random"]], epochs=epochs,
                              linear_solver="lbfgs", linear_c_grid=[0.01, 0.1, 1.0])
        assert res[epochs].code == 0, res[epochs].stderr[-2000:]
    fit = res[1].summary["linear_fit"]
    assert fit["solver"] == "lbfgs" and [g["C"] for g in fit["grid"]] == [0.01, 0.1, 1.0] and fit["selected_on"] == "val"
    assert fit["converged"] and fit["chosen"]["C"] == max(fit["grid"], key=lambda g: g["value"])["C"]
    assert res[1].summary["test"]["roc_auc"] == res[7].summary["test"]["roc_auc"]  # the head's budget is convergence, not epochs
    assert "head_sweep" not in res[1].summary and len([m for m in res[1].of("metric") if m["split"] == "test"]) == 1


def test_finetune_records_its_starting_probe_and_flags_an_end_below_it(env):
    # An encoder learning rate far too large wrecks the probe's features in two steps: the run must say it ended below its start.
    _, r = _run(env, "ft-below", protocol="finetune", target="binary", encoders=[env["random"]], head_init="linear_probe",
                epochs=1, max_steps_per_epoch=2, lr_encoder=5.0, lr_head=5.0, optimizer="sgd", linear_solver="lbfgs",
                linear_c_grid=[0.1, 1.0])
    assert r.code == 0, r.stderr[-2000:]
    st = r.summary["start"]
    assert st["source"] == "linear_probe" and st["C"] in (0.1, 1.0) and st["test"]["roc_auc"] is not None
    assert st["compare"]["test"]["start"] == st["test"]["roc_auc"]
    assert st["compare"]["test"]["end"] == r.summary["test"]["roc_auc"]
    assert st["below"] is True
    assert any("ended below its starting linear probe" in m for m in _logs(r))


def test_features_are_reused_across_jobs_with_identical_results(env):
    # a fresh encoder file of its own, so no earlier test has cached its features
    enc_dir = env["tmp"] / "cache-enc"
    enc = import_reference(env["tmp"] / "someone-elses-r18.pth", enc_dir, "cached")["encoder"]
    feats = enc_dir / "features"
    run_a, a = _run(env, "feat-a", protocol="linear", target="binary", encoders=[enc])
    assert a.code == 0 and not any("features reused" in m for m in _logs(a))
    files = sorted(feats.glob("*.npy"))
    assert len(files) == 3  # train, val, test
    assert a.summary["features"]["computed_images"] == 300 and a.summary["features"]["reused_images"] == 0
    run_b, b = _run(env, "feat-b", protocol="linear", target="binary", encoders=[enc])
    assert b.code == 0 and any("features reused" in m for m in _logs(b))
    assert b.summary["features"]["computed_images"] == 0
    assert b.summary["test"] == a.summary["test"]
    assert json.loads((run_a / "test_predictions.json").read_text()) == json.loads((run_b / "test_predictions.json").read_text())
    _, other = _run(env, "feat-3class-fraction", protocol="knn", target="3class", encoders=[enc], label_fraction=0.5)
    assert other.code == 0 and any("features reused" in m for m in _logs(other))
    # linear probes of another target share the pass too, even under a (target-stratified) train cap
    _, capped = _run(env, "feat-3class-capped", protocol="linear", target="3class", encoders=[enc], max_train_images=150)
    assert capped.code == 0 and capped.summary["features"]["computed_images"] == 0 and capped.summary["n"]["train"] == 150
    _, ada = _run(env, "feat-adabn", protocol="linear", target="binary", encoders=[enc], batchnorm="adabn")
    assert ada.code == 0 and not any("features reused" in m for m in _logs(ada)) and ada.summary["features"]["cached"] is False
    assert sorted(feats.glob("*.npy")) == files  # AdaBN features are the job's own: nothing new written


def test_reference_without_normalisation_refuses_the_pretraining_policy_in_words(env):
    _, r = _run(env, "ref-pretraining-norm", protocol="linear", target="binary", encoders=[env["reference"]], normalisation="pretraining")
    assert r.code == 2
    msg = r.of("error")[0]["message"]
    assert "reference encoder 'other-tool', imported without --mean/--std" in msg and "normalisation downstream" in msg
    _, ri = _run(env, "random-pretraining-norm", protocol="knn", target="binary", encoders=[env["random"]], normalisation="pretraining")
    assert ri.code == 2 and "random-init encoder" in ri.of("error")[0]["message"]
