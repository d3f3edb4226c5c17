"""Structural consistency — is the image untouched or corrupted? A jigsaw-style spatial-context task in
the line of Noroozi & Favaro ("Unsupervised Learning of Visual Representations by Solving Jigsaw
Puzzles", ECCV 2016) and Doersch et al. ("Unsupervised Visual Representation Learning by Context
Prediction", ICCV 2015), reduced to a binary decision.

Input: normalised images B x 3 x S x S. Output: logits B x 2 (0 = consistent, 1 = corrupted).
Each step is exactly balanced: a random half of the images stays untouched, the other half gets one
corruption from a family drawn uniformly among ``structure_families``:
  hflip, vflip, half_swap_lr, half_swap_tb, quadrant_shuffle (a non-identity permutation of the
  four quadrants), rotation (90/180/270 degrees).
Metrics: accuracy, acc_intact and accuracy per family (acc_<family>).

Default families: all but ``hflip``. A horizontal mirror is a plausible image in all three
pretraining domains — natural scenes, brain CT (nearly left/right symmetric) and mammograms (left
and right breasts are mirror images) — so calling it "corrupted" teaches a label the image cannot
support. Pass ``structure_families`` with ``hflip`` for domains with a laterality (chest films).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import bad_input
from ..models import FEATURE_DIM
from .base import PretextTask

ALL_FAMILIES = ["hflip", "vflip", "half_swap_lr", "half_swap_tb", "quadrant_shuffle", "rotation"]
DEFAULT_FAMILIES = [f for f in ALL_FAMILIES if f != "hflip"]
QUADRANT_PERMS = [p for p in itertools.permutations(range(4)) if p != (0, 1, 2, 3)]


def corrupt_batch(x: torch.Tensor, family: str, variant: int) -> torch.Tensor:
    """One corruption applied to every image of x (B x C x S x S, S even); ``variant`` picks the
    rotation (90/180/270) or the quadrant permutation (QUADRANT_PERMS, quadrants TL, TR, BL, BR)."""
    s = x.shape[-1]
    if family == "hflip":
        return x.flip(3)
    if family == "vflip":
        return x.flip(2)
    if family == "half_swap_lr":
        return torch.roll(x, s // 2, dims=3)
    if family == "half_swap_tb":
        return torch.roll(x, s // 2, dims=2)
    if family == "quadrant_shuffle":
        h = s // 2
        q = [x[..., :h, :h], x[..., :h, h:], x[..., h:, :h], x[..., h:, h:]]
        q = [q[i] for i in QUADRANT_PERMS[variant % len(QUADRANT_PERMS)]]
        return torch.cat([torch.cat(q[:2], dim=3), torch.cat(q[2:], dim=3)], dim=2)
    if family == "rotation":
        return torch.rot90(x, 1 + variant % 3, dims=(2, 3))
    raise ValueError(family)


class StructureTask(PretextTask):
    name = "structure"

    def __init__(self, structure_families=None, **_):
        super().__init__()
        fams = list(structure_families) if structure_families else list(DEFAULT_FAMILIES)
        unknown = [f for f in fams if f not in ALL_FAMILIES]
        if unknown or not fams:
            raise bad_input(f"structure_families has {unknown or 'nothing'}; choose from {', '.join(ALL_FAMILIES)}.")
        self.families = fams
        self.head = nn.Linear(FEATURE_DIM, 2)

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        b = x.shape[0]
        if x.shape[-1] % 2:
            raise bad_input(f"structure needs an even image_size (half swaps and quadrants), got {x.shape[-1]}.")
        order = torch.randperm(b, generator=gen)
        neg = order[: b // 2]
        fam = torch.randint(0, len(self.families), (b,), generator=gen)
        variant = torch.randint(0, 1000, (b,), generator=gen)
        family_idx = torch.full((b,), -1, dtype=torch.long)
        family_idx[neg] = fam[neg]
        out = x.clone()
        # one batched op per (family, variant) group rather than one per image: few kernel launches on a GPU
        groups: dict = {}
        for i in neg.tolist():
            f = self.families[int(fam[i])]
            v = int(variant[i]) % (3 if f == "rotation" else len(QUADRANT_PERMS) if f == "quadrant_shuffle" else 1)
            groups.setdefault((f, v), []).append(i)
        for (f, v), members in groups.items():
            idx = torch.tensor(members, device=x.device)
            out[idx] = corrupt_batch(x[idx], f, v)
        y = (family_idx >= 0).long()
        return {"x": out, "y": y.to(x.device), "family": family_idx}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))

    def loss(self, batch: dict):
        out = self(batch["x"])
        return F.cross_entropy(out.float(), batch["y"]), out

    def eval_counts(self, batch: dict, out: torch.Tensor) -> dict:
        correct = (out.argmax(1) == batch["y"]).float().cpu()
        fam = batch["family"]
        sums = {"correct": float(correct.sum()), "total": float(len(correct)),
                "n_intact": float((fam < 0).sum()), "c_intact": float(correct[fam < 0].sum())}
        for i, f in enumerate(self.families):
            m = fam == i
            sums[f"n_{f}"] = float(m.sum())
            sums[f"c_{f}"] = float(correct[m].sum())
        return sums

    def summarise(self, sums: dict) -> dict:
        res = {"accuracy": sums["correct"] / max(sums["total"], 1)}
        for f in ["intact", *self.families]:
            if sums.get(f"n_{f}"):
                res[f"acc_{f}"] = sums[f"c_{f}"] / sums[f"n_{f}"]
        return res

    def options(self) -> dict:
        return {"structure_families": self.families}
