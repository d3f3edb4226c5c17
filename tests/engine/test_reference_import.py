"""Reference encoders: `python -m xlab.encoders import` accepts torchvision's own resnet18 state_dict
(built here, nothing downloaded) plain, nested and with a "module." prefix, and refuses other
architectures and non-state-dicts with messages that say what the file holds."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file
from torchvision.models import resnet18, resnet50

from conftest import worker_env
from xlab.encoders import import_reference
from xlab.errors import JobError
from xlab.extract import load_encoder


@pytest.fixture(scope="module")
def r18():
    torch.manual_seed(11)
    return resnet18().state_dict()


@pytest.mark.parametrize("wrap", ["plain", "module", "state_dict", "model+module", "safetensors"])
def test_torchvision_resnet18_is_imported_in_every_common_wrapping(tmp_path, r18, wrap):
    sd = {f"module.{k}": v for k, v in r18.items()} if "module" in wrap else r18
    obj = {"state_dict": sd, "epoch": 90} if wrap == "state_dict" else {"model": sd, "optimizer": {}} if wrap.startswith("model") else sd
    src = tmp_path / ("src.safetensors" if wrap == "safetensors" else "src.pth")
    if wrap == "safetensors":
        save_file({k: v.contiguous() for k, v in sd.items()}, str(src))
    else:
        torch.save(obj, src)
    out = import_reference(src, tmp_path / "enc", "imagenet-r18", [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    assert out["ok"] and out["encoder"].endswith("encoder__reference__imagenet-r18.pth")
    loaded = load_encoder(out["encoder"])
    assert set(loaded) == {k for k in r18 if not k.startswith("fc.")}
    assert all(torch.equal(loaded[k], r18[k]) for k in loaded)
    meta = json.loads((tmp_path / "enc" / "encoder__reference__imagenet-r18.json").read_text())
    assert meta["pretext"] == "reference" and meta["name"] == "imagenet-r18" and meta["source_sha256"] == out["source_sha256"]
    assert meta["normalisation"] == {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    import hashlib
    assert out["sha256"] == hashlib.sha256(open(out["encoder"], "rb").read()).hexdigest()
    assert out["parameters"] == sum(v.numel() for v in loaded.values())


def test_a_resnet50_is_refused_and_named(tmp_path):
    torch.save(resnet50().state_dict(), tmp_path / "r50.pth")
    with pytest.raises(JobError, match="looks like a ResNet-50") as e:
        import_reference(tmp_path / "r50.pth", tmp_path / "enc", "r50")
    assert e.value.code == "BAD_INPUT" and not (tmp_path / "enc").exists()


def test_a_whole_classifier_and_a_non_dict_are_refused_with_what_they_hold(tmp_path, r18):
    torch.save({**{f"backbone.{k}": v for k, v in r18.items()}, "head.weight": torch.zeros(2, 512)}, tmp_path / "clf.pth")
    with pytest.raises(JobError, match="whole model holding a resnet18 under the prefix 'backbone.' beside head"):
        import_reference(tmp_path / "clf.pth", tmp_path / "enc", "clf")
    torch.save([torch.zeros(3)], tmp_path / "list.pth")
    with pytest.raises(JobError, match="holds a list, not a state dict"):
        import_reference(tmp_path / "list.pth", tmp_path / "enc", "lst")
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(JobError, match="cannot be read"):
        import_reference(tmp_path / "junk.pth", tmp_path / "enc", "junk")


def test_the_command_prints_one_json_object_and_exits_2_on_bad_input(tmp_path, r18):
    torch.save(r18, tmp_path / "ok.pth")
    torch.save({"weights": 3}, tmp_path / "bad.pth")
    run = lambda *a: subprocess.run([sys.executable, "-m", "xlab.encoders", "import", *a], capture_output=True, text=True,  # noqa: E731
                                    env=worker_env(), timeout=120)
    ok = run(str(tmp_path / "ok.pth"), "--out-dir", str(tmp_path / "enc"), "--name", "mine")
    assert ok.returncode == 0, ok.stderr
    rec = json.loads(ok.stdout)
    assert rec["ok"] is True and set(rec) == {"ok", "encoder", "sha256", "source_sha256", "parameters"}
    assert json.loads((tmp_path / "enc" / "encoder__reference__mine.json").read_text())["normalisation"] is None
    bad = run(str(tmp_path / "bad.pth"), "--out-dir", str(tmp_path / "enc"), "--name", "bad")
    assert bad.returncode == 2 and json.loads(bad.stdout) == {"ok": False, "message": json.loads(bad.stdout)["message"]}
    assert "not a state dict" in json.loads(bad.stdout)["message"]
    half = run(str(tmp_path / "ok.pth"), "--out-dir", str(tmp_path / "enc"), "--name", "x", "--mean", "0.5,0.5,0.5")
    assert half.returncode == 2 and "--mean and --std together" in json.loads(half.stdout)["message"]
