"""A tiny forward + backward step for every registered pretext task and downstream mode
(timm's test_models pattern), fusion of 2 and 3 encoders included."""

import pytest
import torch
import torch.nn.functional as F

from xlab.models import Classifier
from xlab.pretext import PRETEXT_TASKS, build_task
from xlab.worker import job_kinds

TASK_CASES = [("rotation", {"rotation_mode": "all4"}), ("rotation", {"rotation_mode": "random"}), ("inpainting", {"mask": {"shape": "mixed"}}),
              ("inpainting", {"mask": {"shape": "freeform"}}), ("structure", {}), ("structure", {"structure_families": ["hflip", "quadrant_shuffle"]}),
              ("supervised", {"class_names": ["normal", "stroke", "other"]})]


def test_every_registered_task_is_covered():
    assert {name for name, _ in TASK_CASES} == set(PRETEXT_TASKS)


@pytest.mark.parametrize("name,opts", TASK_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TASK_CASES)])
def test_pretext_forward_backward(name, opts):
    torch.manual_seed(0)
    task = build_task(name, **opts)
    x = torch.randn(task.source_images(4), 3, 32, 32)
    batch = task.make_batch(x, torch.Generator().manual_seed(1))
    if task.uses_labels:  # the loop attaches the cache's class of each image (train_pretext.py)
        batch["y"] = torch.tensor([0, 1, 2, 1])
    loss, out = task.loss(batch)
    assert out.shape[0] == batch["x"].shape[0] == 4
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in task.encoder.parameters()]
    assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)
    with torch.no_grad():
        metrics = task.summarise(task.eval_counts(batch, out))
    assert metrics and all(0 <= v <= 10 for v in metrics.values())


@pytest.mark.parametrize("n_encoders", [1, 2, 3])
@pytest.mark.parametrize("protocol", ["linear", "finetune", "scratch"])
def test_downstream_forward_backward(protocol, n_encoders):
    if protocol == "scratch" and n_encoders > 1:
        pytest.skip("scratch has one randomly initialised encoder")
    torch.manual_seed(0)
    model = Classifier(3, n_encoders)
    assert model.head.in_features == 512 * n_encoders
    if protocol == "linear":
        model.encoders.eval()
        for p in model.encoders.parameters():
            p.requires_grad_(False)
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 1])
    before = {k: v.clone() for k, v in model.encoders.state_dict().items()}
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    assert model.head.weight.grad is not None
    enc_grad = [p.grad for p in model.encoders.parameters()]
    if protocol == "linear":
        assert all(g is None for g in enc_grad)
        after = model.encoders.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm statistics did not move
    else:
        assert all(g is not None for g in enc_grad)


def test_job_registry_lists_probe_only_when_its_module_exists():
    import importlib.util
    kinds = job_kinds()
    assert {"pretext", "extract", "downstream", "bench"} <= set(kinds)
    assert ("probe" in kinds) == (importlib.util.find_spec("xlab.probe") is not None)
