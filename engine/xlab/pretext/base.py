"""What every pretext task provides to the shared training loop (train_pretext.py)."""

from __future__ import annotations

import torch
from torch import nn

from ..models import Encoder


class PretextTask(nn.Module):
    """A pretext model: ``self.encoder`` (the ResNet-18 to extract) plus task-specific parts.

    The loop calls ``make_batch`` on normalised images B x 3 x S x S, then ``loss`` under autocast,
    and for validation ``eval_counts`` + ``summarise``. Random choices come from the CPU generator
    passed in, so a resumed run repeats them exactly.
    """

    name = "base"
    uses_labels = False  # True: the loop attaches the cache's class index of each image as batch["y"] (supervised.py)
    encoder_prefix = "encoder.net."  # where the plain resnet18 state lives in this model's state_dict

    def __init__(self):
        super().__init__()
        self.encoder = Encoder()

    def source_images(self, batch_size: int) -> int:
        """How many dataset images one step of ``batch_size`` network inputs needs."""
        return batch_size

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        raise NotImplementedError

    def loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (scalar loss, network output)."""
        raise NotImplementedError

    def eval_counts(self, batch: dict, out: torch.Tensor) -> dict:
        """Sums over a validation batch (correct counts, totals, ...), added up by the loop."""
        raise NotImplementedError

    def summarise(self, sums: dict) -> dict:
        """Validation metrics from the summed counts."""
        raise NotImplementedError

    def options(self) -> dict:
        """The task options as recorded in the run (config JSON, summary)."""
        return {}

    def chance(self, val: dict) -> dict | None:
        """What an unlearned guess scores on ``val`` (the metrics of ``summarise``): ``metric`` (the
        key it is compared on), ``better`` (higher / lower), ``value`` and ``basis`` (how it is
        obtained), so a run's margin over chance can be stated. None when the metrics lack it."""
        return None


def margin_over_chance(val: dict, chance: dict | None) -> dict | None:
    """``chance`` with the run's ``achieved`` value and its ``margin`` (how far it is on the better
    side: positive = better than chance; for a lower-is-better metric also ``ratio`` = value / chance)."""
    if not chance or chance["metric"] not in val:
        return None
    got = float(val[chance["metric"]])
    out = {**chance, "achieved": got,
           "margin": got - chance["value"] if chance["better"] == "higher" else chance["value"] - got}
    if chance["better"] == "lower" and chance["value"] > 0:
        out["ratio"] = got / chance["value"]
    return out


def mirror_at_random(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """x (B x C x S x S) with a random half (in expectation) of its images mirrored left-right: the
    laterality randomised per image, so that a dataset mirrored at import to face one way (a reading
    convention for mammograms) shows no constant orientation to the rotation and structure tasks."""
    flip = (torch.rand(x.shape[0], generator=gen) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(3), x)


def class_accuracy(sums: dict, names: list[str], prefix: str = "acc_") -> dict:
    out = {}
    for i, n in enumerate(names):
        tot = sums.get(f"n{i}", 0.0)
        if tot:
            out[f"{prefix}{n}"] = sums.get(f"c{i}", 0.0) / tot
    return out


def count_by_class(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> dict:
    correct = (pred == target).float()
    out = {"correct": float(correct.sum()), "total": float(target.numel())}
    for i in range(n_classes):
        m = target == i
        out[f"n{i}"] = float(m.sum())
        out[f"c{i}"] = float(correct[m].sum())
    return out
