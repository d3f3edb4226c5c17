"""Classifier heads and the downstream models: one encoder + linear head, or fusion of 2-3 encoders."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import FEATURE_DIM, Encoder


class Classifier(nn.Module):
    """One or more encoders whose pooled 512-d features are concatenated (512 / 1024 / 1536) into one
    linear head. x: B x 3 x H x W -> logits B x num_classes. With one encoder it is the plain
    single-encoder model; with 2-3 it is the fusion model."""

    def __init__(self, num_classes: int, n_encoders: int = 1):
        super().__init__()
        if not 1 <= n_encoders <= 3:
            raise ValueError("a classifier takes 1 to 3 encoders")
        self.encoders = nn.ModuleList(Encoder() for _ in range(n_encoders))
        self.head = nn.Linear(FEATURE_DIM * n_encoders, num_classes)
        self.input_maps: list | None = None  # per encoder (scale, shift) of 3 channels; see set_input_maps

    def set_input_maps(self, maps: list) -> None:
        """Re-normalises the input per encoder: encoder i sees ``x * scale_i + shift_i`` (each B x 3 x 1 x 1
        broadcastable), e.g. to hand each member the normalisation of its own pretraining data."""
        self.input_maps = [(torch.as_tensor(s, dtype=torch.float32).view(1, 3, 1, 1), torch.as_tensor(b, dtype=torch.float32).view(1, 3, 1, 1))
                           for s, b in maps]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_maps is None:
            feats = [e(x) for e in self.encoders]
        else:
            feats = [e(x * s.to(x.device, x.dtype) + b.to(x.device, x.dtype)) for e, (s, b) in zip(self.encoders, self.input_maps)]
        return feats[0] if len(feats) == 1 else torch.cat(feats, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
