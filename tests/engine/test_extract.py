"""Extraction: every pretext checkpoint becomes a plain torchvision resnet18 state_dict without fc.*,
which loads with strict=False leaving exactly fc.weight/fc.bias missing and gives the same features."""

import pytest
import torch
from safetensors.torch import load_file
from torchvision.models import resnet18

from xlab.checkpoints import training_state
from xlab.errors import JobError
from xlab.extract import encoder_filename, encoder_from_checkpoint, load_encoder, write_encoder
from xlab.pretext import PRETEXT_TASKS, build_task


def _pretext_checkpoint(task):
    opt = torch.optim.SGD(task.parameters(), lr=0.1)
    return training_state(kind="pretext", arch={"task": task.name}, config={}, model=task, optimizer=opt, scaler=None,
                          epoch=1, position=0, global_step=1, batch_size=4, best=None)


@pytest.mark.parametrize("name", list(PRETEXT_TASKS))
def test_extracted_encoder_loads_into_torchvision_and_matches(name, tmp_path):
    torch.manual_seed(0)
    task = build_task(name, class_names=["normal", "stroke"])  # the supervised reference needs its classes; the others ignore them
    with torch.no_grad():  # move BatchNorm statistics away from their defaults so they must be copied too
        task.train()
        task.encoder(torch.randn(4, 3, 32, 32) * 3 + 1)
    sd = encoder_from_checkpoint(_pretext_checkpoint(task))
    paths = write_encoder(sd, tmp_path, encoder_filename(name, "demo-mammo", 0), {"pretext": name})
    assert paths["pth"].endswith(f"encoder__{name}__demo-mammo__s0.pth")
    x = torch.randn(2, 3, 32, 32)
    task.eval()
    with torch.no_grad():
        expected = task.encoder(x)
    for path in (paths["pth"], paths["safetensors"]):
        state = torch.load(path, weights_only=True) if path.endswith(".pth") else load_file(path)
        net = resnet18()
        result = net.load_state_dict(state, strict=False)
        assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"]
        assert result.unexpected_keys == []
        net.fc = torch.nn.Identity()
        net.eval()
        with torch.no_grad():
            assert torch.allclose(net(x), expected, atol=1e-6)


def test_encoder_of_another_architecture_is_rejected(tmp_path):
    from torchvision.models import resnet34
    sd = {k: v for k, v in resnet34().state_dict().items() if not k.startswith("fc.")}
    torch.save(sd, tmp_path / "r34.pth")
    with pytest.raises(JobError, match="does not hold a resnet18 encoder") as e:
        load_encoder(tmp_path / "r34.pth")
    assert e.value.code == "BAD_INPUT"
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(JobError, match="cannot be read"):
        load_encoder(tmp_path / "junk.pth")
    with pytest.raises(JobError, match="not a pretext checkpoint"):
        encoder_from_checkpoint({"model": sd, "kind": "downstream"})
