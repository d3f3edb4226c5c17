"""What a downstream target asks of the head: its loss, how logits become probabilities, and its
metrics. Single-label targets (binary, 3class): softmax and cross-entropy with class weights;
``multilabel14``: one sigmoid per finding and binary cross-entropy with ``pos_weight`` = negatives /
positives per finding from train (imbalance ``weighted_loss``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..metrics import classification_metrics, multilabel_metrics


@dataclass
class Objective:
    """The loss, activation and metrics of one target."""

    multilabel: bool  # one sigmoid per output (multilabel14) instead of one softmax
    class_names: list  # classes, or findings for multilabel
    weight: np.ndarray | None  # class weights (cross-entropy) or pos_weight per finding (BCE); None = unweighted

    @property
    def n_out(self) -> int:
        return len(self.class_names)

    def targets(self, y: np.ndarray, device=None) -> torch.Tensor:
        t = torch.as_tensor(y, dtype=torch.float32 if self.multilabel else torch.long)
        return t.to(device, non_blocking=True) if device is not None else t

    def loss(self, logits: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        w = None if self.weight is None else torch.as_tensor(self.weight, dtype=torch.float32, device=logits.device)
        if self.multilabel:
            return F.binary_cross_entropy_with_logits(logits.float(), t, pos_weight=w)
        return F.cross_entropy(logits.float(), t, weight=w)

    def probs(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits.float()) if self.multilabel else torch.softmax(logits.float(), dim=1)

    def metrics(self, y: np.ndarray, probs: np.ndarray) -> dict:
        """Every metric of the split, per-finding AUROCs and the confusion matrix included."""
        return multilabel_metrics(y, probs, self.class_names) if self.multilabel else classification_metrics(y, probs)
