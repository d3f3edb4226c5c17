"""Rotation prediction — RotNet (Gidaris, Singh & Komodakis, "Unsupervised Representation Learning by
Predicting Image Rotations", ICLR 2018).

Input: normalised images B x 3 x S x S (square). Output: logits B x 4 over 0/90/180/270 degrees.
Loss: 4-way cross-entropy. Metrics: accuracy and accuracy per rotation (acc_rot0 ... acc_rot270).

``rotation_mode`` (recorded in the run):
  - ``all4`` (default, as in the paper): each step takes batch/4 images and feeds all four rotations,
    so every image is seen in every orientation at once and the step's classes are exactly balanced;
    the network batch (and the cost of a step) stays ``batch_size``.
  - ``random``: one uniformly drawn rotation per image.

``random_hflip`` (recorded in the run when on): each source image is mirrored left-right with
probability 1/2 before it is rotated (``base.mirror_at_random``). train_pretext turns it on for a
dataset mirrored at import to face one way (meta.json ``laterality_flip``): with every breast facing
left, "which side is the chest wall on" is a constant that tells 0 from 180 degrees by itself, so the
encoder would learn little about the breast. A mirror keeps "up" where it is, so the labels stay true
(RotNet trains with random horizontal flips too).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import bad_input
from ..models import FEATURE_DIM
from .base import PretextTask, class_accuracy, count_by_class, mirror_at_random

ROTATIONS = ["rot0", "rot90", "rot180", "rot270"]


class RotationTask(PretextTask):
    name = "rotation"

    def __init__(self, rotation_mode: str = "all4", random_hflip: bool = False, **_):
        super().__init__()
        self.random_hflip = bool(random_hflip)
        if rotation_mode not in ("all4", "random"):
            raise bad_input(f"rotation_mode is {rotation_mode!r}; use all4 or random.")
        self.mode = rotation_mode
        self.head = nn.Linear(FEATURE_DIM, 4)

    def source_images(self, batch_size: int) -> int:
        return max(1, batch_size // 4) if self.mode == "all4" else batch_size

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        if self.random_hflip:
            x = mirror_at_random(x, gen)
        if self.mode == "all4":
            inputs = torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(4)])
            target = torch.arange(4, device=x.device).repeat_interleave(x.shape[0])
        else:
            k = torch.randint(0, 4, (x.shape[0],), generator=gen)
            target = k.to(x.device)
            inputs = torch.empty_like(x, memory_format=torch.contiguous_format)
            for q in range(4):  # one batched rotation per quarter turn, not one kernel per image
                sel = (k == q).nonzero().view(-1).to(x.device)  # chosen on the CPU: no wait on the device
                inputs[sel] = torch.rot90(x[sel], q, dims=(2, 3))
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return {"x": inputs, "y": target}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))

    def loss(self, batch: dict):
        out = self(batch["x"])
        return F.cross_entropy(out.float(), batch["y"]), out

    def eval_counts(self, batch: dict, out: torch.Tensor) -> dict:
        return count_by_class(out.argmax(1), batch["y"], 4)

    def summarise(self, sums: dict) -> dict:
        return {"accuracy": sums["correct"] / max(sums["total"], 1), **class_accuracy(sums, ROTATIONS)}

    def options(self) -> dict:
        return {"rotation_mode": self.mode, **({"random_hflip": True} if self.random_hflip else {})}

    def chance(self, val: dict) -> dict | None:
        # all4 shows every image in all four rotations (exactly balanced); random draws them uniformly.
        return {"metric": "accuracy", "better": "higher", "value": 0.25, "basis": "a guess among the 4 rotations, equally frequent"}
