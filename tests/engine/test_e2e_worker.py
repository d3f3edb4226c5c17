"""End to end through the real worker process: each pretext task -> extract -> linear and finetune ->
fusion (2 linear, 3 finetune); and a learned encoder beats a random-init encoder on a linear probe of
a task that needs the learned feature (the fixture's orientation, see xlab/fixtures.py)."""

import json
from pathlib import Path

import numpy as np

import pytest
import torch
from torchvision.models import resnet18

from conftest import job_file, run_worker
from xlab.extract import write_encoder
from xlab.fixtures import write_cache

PRETEXT = {"image_size": 32, "epochs": 2, "optimizer": "adam", "lr": 1e-3, "schedule": "cosine"}
DOWN = {"image_size": 32, "epochs": 2, "batch_size": 32, "optimizer": "adam", "lr_head": 3e-3, "lr_encoder": 3e-4,
        "imbalance": "weighted_loss"}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    pre = write_cache(tmp / "pre", n=300, size=32, seed=0)
    down = write_cache(tmp / "down", n=300, size=32, seed=5, labelled=True)
    results, encoders = {}, {}
    for task, extra in [("rotation", {"batch_size": 64}), ("inpainting", {"batch_size": 16, "max_steps_per_epoch": 2, "epochs": 1}),
                        ("structure", {"batch_size": 16, "max_steps_per_epoch": 2, "epochs": 1})]:
        run = tmp / f"pre-{task}"
        results[task] = run_worker(job_file(tmp, "pretext", run, {"task": task, "dataset_dir": str(pre), **PRETEXT, **extra}))
        ext = tmp / f"ext-{task}"
        results[f"extract-{task}"] = r = run_worker(job_file(tmp, "extract", ext, {
            "checkpoint": str(run / "best.pth"), "pretext": task, "dataset_name": "demo-mammo", "out_dir": str(ext / "encoders")}))
        encoders[task] = r.summary["encoder"]
    return {"tmp": tmp, "down": down, "results": results, "encoders": encoders}


def _downstream(chain, name, **params):
    run = chain["tmp"] / name
    return run, run_worker(job_file(chain["tmp"], "downstream", run, {"dataset_dir": str(chain["down"]), **DOWN, **params}))


def test_pretext_runs_report_and_checkpoint(chain):
    for task in ("rotation", "inpainting", "structure"):
        r = chain["results"][task]
        assert r.code == 0, r.stderr[-2000:]
        assert r.messages[0]["type"] == "hello" and r.messages[0]["device"]["type"] == "cpu"
        assert {m["which"] for m in r.of("checkpoint")} == {"last", "best"}
        assert [m["epoch"] for m in r.of("metric") if m["split"] == "val"] == ([1, 2] if task == "rotation" else [1])
        assert r.summary["images_per_s"] > 0
    rot = chain["results"]["rotation"].summary
    assert rot["options"] == {"rotation_mode": "all4"}
    assert rot["final_val"]["accuracy"] > 0.6  # chance is 0.25
    assert set(chain["results"]["structure"].summary["final_val"]) >= {"acc_intact", "acc_quadrant_shuffle", "acc_rotation"}
    assert any(m["kind"] == "image" for m in chain["results"]["inpainting"].of("artifact"))


def test_extract_writes_standard_encoder_files(chain):
    for task, path in chain["encoders"].items():
        p = Path(path)
        assert p.name == f"encoder__{task}__demo-mammo__s0.pth"
        assert p.with_suffix(".safetensors").exists() and p.with_suffix(".json").exists()
        net = resnet18()
        missing = net.load_state_dict(torch.load(p, weights_only=True), strict=False).missing_keys
        assert sorted(missing) == ["fc.bias", "fc.weight"]


def test_learned_encoder_beats_random_init_on_linear_probe(chain):
    torch.manual_seed(123)
    rand = write_encoder({k: v for k, v in resnet18().state_dict().items() if not k.startswith("fc.")},
                         chain["tmp"] / "random", "encoder__random__none__s0", {"pretext": None})
    probe = {"target": "binary", "protocol": "linear", "max_train_images": 40, "epochs": 3}
    _, learned = _downstream(chain, "lin-rotation", encoders=[chain["encoders"]["rotation"]], **probe)
    _, random_ = _downstream(chain, "lin-random", encoders=[rand["pth"]], **probe)
    assert learned.code == 0 and random_.code == 0
    a, b = learned.summary["test"], random_.summary["test"]
    # threshold-free: with 60 test images the argmax metrics move by one image at a time
    assert a["roc_auc"] > b["roc_auc"] + 0.03, (a, b)
    assert a["loss"] < b["loss"], (a, b)
    assert a["roc_auc"] > 0.9


def test_finetune_and_fusion(chain):
    enc = chain["encoders"]
    run, ft = _downstream(chain, "ft-rotation", target="3class", protocol="finetune", encoders=[enc["rotation"]], max_steps_per_epoch=3,
                          epochs=1)
    assert ft.code == 0, ft.stderr[-2000:]
    preds = json.loads((run / "test_predictions.json").read_text())
    assert preds["class_names"] == ["No Finding", "Pneumonia", "Other finding"]
    assert len(preds["indices"]) == len(preds["targets"]) == len(preds["probs"]) > 0
    assert all(abs(sum(p) - 1) < 1e-4 for p in preds["probs"])
    assert len(ft.summary["confusion_matrix"]) == 3
    test_metric = [m for m in ft.of("metric") if m["split"] == "test"]
    assert set(test_metric[0]["values"]) == {"loss", "accuracy", "f1_weighted", "balanced_accuracy", "roc_auc", "ece", "brier"}

    _, fl = _downstream(chain, "fusion-linear-2", target="binary", protocol="linear", encoders=[enc["rotation"], enc["inpainting"]])
    assert fl.code == 0 and fl.summary["mode"] == "fusion"
    _, ff = _downstream(chain, "fusion-ft-3", target="3class", protocol="finetune", batch_size=8, max_steps_per_epoch=2, epochs=1,
                        encoders=[enc["rotation"], enc["inpainting"], enc["structure"]], imbalance="balanced_sampler")
    assert ff.code == 0, ff.stderr[-2000:]
    assert ff.summary["mode"] == "fusion" and len(ff.summary["encoders"]) == 3


def test_finetune_from_a_linear_probe_head(chain):
    """LP-FT: BatchNorm statistics re-estimated on the downstream train images, a linear probe head,
    then the whole network trains (the encoder's weights move) without the loss blowing up; the
    probe's epochs do not appear as the run's metrics."""
    # The fixture's pretext and downstream images look alike; real pretext statistics (mammograms vs
    # chest X-rays) do not. Stale statistics are simulated by inflating every BatchNorm running variance.
    sd = {k: v * 1e4 if k.endswith("running_var") else v for k, v in torch.load(chain["encoders"]["rotation"], weights_only=True).items()}
    enc = write_encoder(sd, chain["tmp"] / "stale-bn", "encoder__rotation__stale__s0", {"pretext": "rotation"})["pth"]
    run, ft = _downstream(chain, "lpft-finetune", protocol="finetune", head_init="linear_probe", max_steps_per_epoch=2,
                          target="binary", encoders=[enc], epochs=2, max_train_images=60)
    assert ft.code == 0, ft.stderr[-2000:]
    assert any(m["type"] == "log" and "Head initialised by a linear probe" in m["message"] for m in ft.messages)
    probe = ft.summary["head_probe"]
    assert 1 <= probe["epoch"] <= 2 and probe["val"]["roc_auc"] > 0.5
    assert ft.summary["head_init"] == "linear_probe"
    # A head fitted on features normalised with the pretext statistics gave losses in the thousands
    # once fine-tuning ran in train mode; with recalibrated statistics it starts near a probe's loss.
    assert ft.summary["history"][0]["train_loss"] < 5, ft.summary["history"]
    assert [m["epoch"] for m in ft.of("metric") if m["split"] == "val"] == [1, 2]
    start = torch.load(enc, weights_only=True)["layer1.0.conv1.weight"]
    after = torch.load(run / "last.pth", weights_only=False)["model"]
    key = next(k for k in after if k.endswith("layer1.0.conv1.weight"))
    assert not torch.equal(start, after[key].cpu()), "the encoder did not train after the probe"


def test_head_init_probe_is_refused_outside_finetune(chain):
    _, r = _downstream(chain, "lpft-bad", target="binary", protocol="linear", head_init="linear_probe", encoders=[chain["encoders"]["rotation"]])
    assert r.code == 2 and "applies to protocol finetune only" in r.of("error")[0]["message"]


def test_batchnorm_recalibration_matches_the_statistics_of_the_downstream_images():
    from xlab.downstream import recalibrate_batchnorm
    from xlab.models.heads import Classifier
    torch.manual_seed(0)
    model = Classifier(num_classes=2)
    enc = model.encoders[0]
    bn = next(m for m in enc.modules() if isinstance(m, torch.nn.BatchNorm2d))
    conv = next(m for m in enc.modules() if isinstance(m, torch.nn.Conv2d))
    bn.running_mean.fill_(5.0)  # stale pretext statistics
    bn.running_var.fill_(9.0)
    x = torch.randn(40, 3, 32, 32) * 2 + 1
    recalibrate_batchnorm(model.encoders, lambda idx: x[idx], np.arange(40), 40)
    with torch.no_grad():
        h = conv(x)
    assert torch.allclose(bn.running_mean, h.mean((0, 2, 3)), atol=1e-4)
    assert torch.allclose(bn.running_var, h.var((0, 2, 3), unbiased=True), rtol=1e-3)
    assert bn.momentum == 0.1 and not enc.training


def test_linear_probe_with_adabn_says_which_batchnorm_ran(chain):
    """The linear variant with AdaBN re-estimates BatchNorm on the downstream train images first; the
    summary says which statistics the probe used (plain linear: the pretext ones)."""
    sd = {k: v * 1e4 if k.endswith("running_var") else v for k, v in torch.load(chain["encoders"]["rotation"], weights_only=True).items()}
    enc = write_encoder(sd, chain["tmp"] / "stale-bn-lin", "encoder__rotation__stale__s0", {"pretext": "rotation"})["pth"]
    probe = {"target": "binary", "protocol": "linear", "max_train_images": 60, "epochs": 2, "encoders": [enc]}
    _, plain = _downstream(chain, "lin-plain-bn", **probe)
    _, ada = _downstream(chain, "lin-adabn", batchnorm="adabn", **probe)
    assert plain.code == 0 and ada.code == 0, ada.stderr[-2000:]
    assert plain.summary["batchnorm"] == "pretext" and ada.summary["batchnorm"] == "adabn"
    assert any(m["type"] == "log" and "AdaBN" in m["message"] for m in ada.messages)
    assert ada.summary["test"]["roc_auc"] > 0.6
    _, bad = _downstream(chain, "ft-adabn-bad", target="binary", protocol="finetune", batchnorm="adabn", encoders=[enc], epochs=1)
    assert bad.code == 2 and "applies to protocol linear" in bad.of("error")[0]["message"]


def test_pretraining_normalisation_is_read_per_member_and_recorded(chain):
    sd = torch.load(chain["encoders"]["rotation"], weights_only=True)
    norms = [{"mean": [0.1, 0.1, 0.1], "std": [0.2, 0.2, 0.2]}, {"mean": [0.4, 0.5, 0.6], "std": [0.3, 0.25, 0.2]}]
    encs = [write_encoder(sd, chain["tmp"] / f"norm-{i}", f"encoder__rotation__n{i}__s0", {"pretext": "rotation", "normalisation": n})["pth"]
            for i, n in enumerate(norms)]
    _, own = _downstream(chain, "fusion-lin-own-norm", target="binary", protocol="linear", encoders=encs, normalisation="pretraining", epochs=1)
    _, down = _downstream(chain, "fusion-lin-down-norm", target="binary", protocol="linear", encoders=encs, epochs=1)
    assert own.code == 0 and down.code == 0, own.stderr[-2000:]
    assert own.summary["input_normalisation"] == {"policy": "pretraining", "members": norms}
    assert down.summary["input_normalisation"] == {"policy": "downstream", "members": [down.summary["normalisation"]] * 2}
    # The members really saw other inputs. Compared on every test metric, the loss among them: on this small,
    # easily separated test split both probes can rank the images identically, so ROC-AUC alone may tie.
    assert own.summary["test"] != down.summary["test"]
    bare = write_encoder(sd, chain["tmp"] / "norm-none", "encoder__rotation__none__s0", {"pretext": "rotation"})["pth"]
    _, bad = _downstream(chain, "lin-no-sidecar-norm", target="binary", protocol="linear", encoders=[bare], normalisation="pretraining")
    assert bad.code == 2 and "no 3-channel normalisation" in bad.of("error")[0]["message"]


def test_input_map_turns_one_normalisation_into_another():
    from xlab.downstream.normalise import input_map
    raw = torch.rand(2, 3, 4, 4)
    batch, member = {"mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]}, {"mean": [0.1, 0.2, 0.3], "std": [0.1, 0.3, 0.5]}
    view = lambda v: torch.tensor(v).view(1, 3, 1, 1)  # noqa: E731
    scale, shift = input_map(batch, member)
    mapped = ((raw - view(batch["mean"])) / view(batch["std"])) * scale.view(1, 3, 1, 1) + shift.view(1, 3, 1, 1)
    assert torch.allclose(mapped, (raw - view(member["mean"])) / view(member["std"]), atol=1e-6)
