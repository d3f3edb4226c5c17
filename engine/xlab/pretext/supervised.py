"""The supervised reference: the same ResNet-18 trained with cross-entropy on the pretraining
dataset's own labels (its classes or class folders), with the same step budget, batch, optimiser
and augmentation as the pretext tasks. Every SSL transfer paper compares against an encoder
pretrained with labels on the same data (ImageNet-supervised in most); this is that row, trained
here on each labelled pretraining set so it sees exactly the images the pretext encoders saw.

Input: normalised images B x 3 x S x S; the labels of the step's images come from the cache
(``uses_labels``: train_pretext.py attaches them as ``batch["y"]``). Output: logits B x K. Loss:
K-way cross-entropy (unweighted: the encoder learns the dataset as it is). Metrics: accuracy,
accuracy per class, and the share of the most frequent class (the majority guess, its chance)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import bad_input
from ..models import FEATURE_DIM
from .base import PretextTask, class_accuracy, count_by_class


def single_labels(labels: np.ndarray | None, names: list, where: str) -> np.ndarray:
    """One class index per image from the cache's N x L multi-hot labels; a bad_input sentence when
    the dataset has no labels, fewer than two classes, or images with no or several labels."""
    if labels is None:
        raise bad_input(f"The supervised reference trains on the dataset's own labels, and {where} has none (no labels.npy). "
                        "Import it with class folders or a labels CSV, or leave it out of baselines.supervised.")
    if labels.shape[1] < 2:
        raise bad_input(f"The supervised reference needs at least two classes; {where} has {labels.shape[1]} "
                        f"({', '.join(map(str, names)) or 'unnamed'}). Leave it out of baselines.supervised.")
    per_image = np.asarray(labels).sum(1)
    if (per_image != 1).any():
        bad = int((per_image != 1).sum())
        raise bad_input(f"The supervised reference trains a K-way classifier, but {bad} image(s) of {where} have "
                        f"no label or several labels (a multi-label dataset, or unlabelled images). Leave it out of baselines.supervised.")
    return np.asarray(labels).argmax(1).astype(np.int64)


class SupervisedTask(PretextTask):
    name = "supervised"
    uses_labels = True

    def __init__(self, class_names: list | None = None, **_):
        super().__init__()
        if not class_names or len(class_names) < 2:
            raise bad_input("The supervised reference needs the dataset's class names (at least two).")
        self.class_names = [str(c) for c in class_names]
        self.head = nn.Linear(FEATURE_DIM, len(self.class_names))

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        return {"x": x}  # "y" is attached by the loop from the cache's labels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))

    def loss(self, batch: dict):
        out = self(batch["x"])
        return F.cross_entropy(out.float(), batch["y"]), out

    def eval_counts(self, batch: dict, out: torch.Tensor) -> dict:
        return count_by_class(out.argmax(1), batch["y"], len(self.class_names))

    def summarise(self, sums: dict) -> dict:
        total = max(sums["total"], 1)
        majority = max(sums.get(f"n{i}", 0.0) for i in range(len(self.class_names))) / total
        return {"accuracy": sums["correct"] / total, "majority_share": majority, **class_accuracy(sums, self.class_names)}

    def options(self) -> dict:
        return {"class_names": self.class_names}

    def chance(self, val: dict) -> dict | None:
        if "majority_share" not in val:
            return None
        return {"metric": "accuracy", "better": "higher", "value": val["majority_share"],
                "basis": "always guessing the most frequent class of the validation images"}
