"""Structural consistency — is the image whole or corrupted? A jigsaw-style spatial-context task after
Noroozi & Favaro ("Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles",
ECCV 2016), reduced to a binary decision; see also Doersch et al. (ICCV 2015).

Input: normalised images B x 3 x S x S (S even). Output: logits B x 2 (0 = consistent, 1 = corrupted).

Construction. *Every* image, intact ones too, is cut into 2 x 2 tiles and put back together
(``tile``): the tile grid sits at a random position, with a random gap between the tiles and a
random jitter per tile, and each tile is resampled into a fixed output layout whose tiles are
separated by a constant (zero) cross of ``gap_px(S)`` pixels; each tile has its own mean removed. Each step is exactly balanced:
a random half of the images stays in order, the other half gets one corruption from a family drawn
uniformly among ``structure_families``:
  hflip, vflip, rotation (90/180/270 degrees) — of the whole reassembled image;
  half_swap_lr, half_swap_tb — the tile columns / rows exchanged;
  quadrant_shuffle — one of the QUADRANT_PERMS tile permutations.
Metrics: accuracy, acc_intact and accuracy per family (acc_<family>).

Why. Corrupting the image itself (the earlier version) leaves a seam on the exact centre lines that
intact images never have: a fixed, unlearned detector (the jump of the mean absolute row/column
difference there) told corrupted from intact images with ROC-AUC up to 1.0, so the network could
solve the task without looking at structure. Here all images carry the same cross, at the same
place, with tile edges that never touch their neighbours (the gap), so the seam carries no label;
the layout is symmetric, so flips and rotations keep it; and the two quadrant permutations that
equal a half swap are dropped so the families are distinct. tests/engine/test_structure_shortcuts.py
checks that seam and border detectors stay at chance.

Tiles from inside the object (``content_crop``). On a centred object on a dark background (a head
slice, a breast) a tile grid spanning the image puts the dark ring around the object in the outer
part of every outer tile; a swap then moves the ring inwards, and one fixed number -- the outer
frame's mean brightness minus the inner frame's -- told intact from swapped images with AUC up to
1.0 on head CT and mammograms (removing each tile's mean does not remove it). So each image is first
cut to a random square crop lying inside its foreground (``FOREGROUND_COVER`` of the crop's pixels
are object, with a margin, not the dark background), its side drawn between ``CROP_SCALE`` of the
largest such square, at a random place; the tiles are cut from that square (one resampling, in
``tile``), so the ring is in no tile and the object's fall-off towards its edge points a different way
in each image. Each tile also loses its linear trend (a least-squares plane), so what a fall-off
leaves inside a crop is the same in every tile wherever it came from. Smaller crops cost detail
(at 224 px a crop of a head slice is about 55-110 px, tiles resampled about 2x); larger ones (0.6 to
1.0 of the square) left the regression at AUC 0.64 on half swaps. An image
with little dark border (under ``DARK_BORDER`` of it: natural images, noise) keeps its whole frame;
a breast cut to its box has dark border only on its skin side, hence the low share.
tests/engine/test_structure_shortcuts.py checks the frame statistic and a regression on 24 cheap
statistics stay near chance on generated centred objects.

Default families: all but ``hflip``. A horizontal mirror is a plausible image in all three
pretraining domains — natural scenes, brain CT (nearly left/right symmetric) and mammograms (left
and right breasts are mirror images) — so calling it "corrupted" teaches a label the image cannot
support. Pass ``structure_families`` with ``hflip`` for domains with a laterality (chest films).

``random_hflip`` (train_pretext turns it on for a dataset mirrored at import to face one way, meta.json
``laterality_flip``): every image is mirrored left-right with probability 1/2 before the crop and the
tiles, so no constant orientation survives; it cannot go with the ``hflip`` family (a mirror would
then be both intact and corrupted), which is refused.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import bad_input
from ..models import FEATURE_DIM
from .base import PretextTask, mirror_at_random

ALL_FAMILIES = ["hflip", "vflip", "half_swap_lr", "half_swap_tb", "quadrant_shuffle", "rotation"]
DEFAULT_FAMILIES = [f for f in ALL_FAMILIES if f != "hflip"]
# Tiles TL, TR, BL, BR; output cell k shows tile perm[k]. The identity and the two half swaps are left out.
HALF_SWAPS = {"half_swap_lr": (1, 0, 3, 2), "half_swap_tb": (2, 3, 0, 1)}
QUADRANT_PERMS = [p for p in itertools.permutations(range(4)) if p != (0, 1, 2, 3) and p not in HALF_SWAPS.values()]
# Source geometry as fractions of the side: tile side, the gap between source tiles, per-tile jitter.
TILE_FRACTION = 0.3125
GAP_RANGE = (0.125, 0.25)
JITTER_FRACTION = 0.03125
# Content crops: the share of a crop's pixels that must be foreground, the crop side as a fraction of
# the largest foreground square, the brightness (from the image's darkest to its bright end) below
# which a pixel is background, and the share of border pixels that must be background for an image
# to count as an object on a dark background at all.
FOREGROUND_COVER = 1.0
CROP_SCALE = (0.4, 0.8)
DARK_LEVEL = 0.15
DARK_BORDER = 0.15
CROP_SIDES = 16  # candidate crop sides, from a quarter of the image to all of it
CROP_POSITIONS = 9  # candidate positions per axis


def content_crop(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """B x 3 (top, left, side in pixels) of the square each image's tiles are cut from: for an image
    that shows an object on a dark background a random square inside the object (module doc), for
    any other image the whole frame (0, 0, S). Candidate squares (``CROP_SIDES`` sides x ``CROP_POSITIONS``^2 places) are checked with an
    integral image of the smoothed foreground mask, so it costs a few small tensor ops a batch."""
    b, _, s, _ = x.shape
    g = F.avg_pool2d(x.float().mean(1, keepdim=True), 3, stride=1, padding=1, count_include_pad=False)[:, 0]
    lo = g.amin((1, 2), keepdim=True)
    flat = g.reshape(b, -1)  # kthvalue, not quantile: quantile refuses inputs over 16M values (a 224 px batch of 512)
    hi = flat.kthvalue(max(1, int(0.99 * flat.shape[1])), dim=1).values.view(b, 1, 1)
    dark = g < lo + DARK_LEVEL * (hi - lo)
    border = torch.cat([dark[:, 0], dark[:, -1], dark[:, 1:-1, 0], dark[:, 1:-1, -1]], 1).float().mean(1)
    has_background = (border >= DARK_BORDER).cpu()
    # a margin of background around the object: a crop that touched the object's soft edge would put a
    # dark corner in its outer tiles, which a swap moves next to the cross
    m = max(1, round(s / 32))
    fg = 1 - F.max_pool2d(dark.float().unsqueeze(1), 2 * m + 1, stride=1, padding=m)[:, 0]
    integral = F.pad(fg.cumsum(1).cumsum(2), (1, 0, 1, 0))  # B x (S+1) x (S+1)
    sides = torch.linspace(0.25, 1.0, CROP_SIDES) * s
    sides = sides.round().clamp(min=4).long().unique()
    frac = torch.linspace(0, 1, CROP_POSITIONS)
    ok = torch.zeros(b, len(sides), CROP_POSITIONS, CROP_POSITIONS, dtype=torch.bool)
    for k, side in enumerate(sides.tolist()):
        pos = (frac * (s - side)).round().long()
        y0, x0 = pos.view(-1, 1).expand(-1, len(pos)), pos.view(1, -1).expand(len(pos), -1)
        y1, x1 = y0 + side, x0 + side
        dev = integral.device
        area = (integral[:, y1.to(dev), x1.to(dev)] - integral[:, y0.to(dev), x1.to(dev)]
                - integral[:, y1.to(dev), x0.to(dev)] + integral[:, y0.to(dev), x0.to(dev)])
        ok[:, k] = (area / side ** 2 >= FOREGROUND_COVER).cpu()
    r = torch.rand(b, 2, generator=gen)
    any_side = ok.flatten(2).any(2)  # B x sides
    largest = torch.where(any_side, torch.arange(len(sides)).view(1, -1), -1).amax(1)
    use = has_background & (largest >= 0)
    boxes = torch.tensor([0.0, 0.0, float(s)]).repeat(b, 1)
    for i in use.nonzero().view(-1).tolist():
        want = float(sides[largest[i]]) * (CROP_SCALE[0] + float(r[i, 0]) * (CROP_SCALE[1] - CROP_SCALE[0]))
        valid = [k for k in range(int(largest[i]) + 1) if bool(ok[i, k].any())]
        k = max([v for v in valid if float(sides[v]) <= want + 1e-6], default=valid[0])
        side = float(sides[k])
        places = ok[i, k].nonzero()
        py, px = places[min(int(float(r[i, 1]) * len(places)), len(places) - 1)].tolist()
        y0 = float((frac[py] * (s - side)).round())
        x0 = float((frac[px] * (s - side)).round())
        boxes[i] = torch.tensor([y0, x0, side])
    return boxes


def gap_px(s: int) -> int:
    """Width of the constant cross between output tiles (even, so the layout stays symmetric)."""
    return max(2, 2 * round(s / 32))


def tile(x: torch.Tensor, perms: torch.Tensor, gen: torch.Generator, detrend: bool = True,
         boxes: torch.Tensor | None = None) -> torch.Tensor:
    """Cuts each image of x (B x C x S x S) into 2 x 2 tiles at a random position, random gap and
    per-tile jitter, and reassembles them in the output layout, output cell k taking tile
    ``perms[i, k]`` (B x 4 long; the identity keeps the order). Each tile loses its mean and, with
    ``detrend``, its linear trend. ``boxes`` (B x 3: top, left, side; ``content_crop``) is the square of
    each image the tiles are cut from, in one resampling (default: the whole image). Random numbers come from ``gen`` (CPU);
    the B x S x S sampling grid is built on x's device (at 224 px it is 100 MB a batch)."""
    b, _, s, _ = x.shape
    dev = x.device
    g_out = gap_px(s)
    t_out = (s - g_out) // 2
    t_src = max(2, int(round(s * TILE_FRACTION)))
    j = max(1, int(round(s * JITTER_FRACTION)))
    gap = (GAP_RANGE[0] * s + torch.rand(b, generator=gen) * (GAP_RANGE[1] - GAP_RANGE[0]) * s).to(dev)
    # The source extent the tiles, gap and jitter need, plus a pixel each side: a tile that reached
    # past the image would repeat its border pixels, smoother than the rest, and mark where it came from.
    span = 2 * t_src + gap + 2 * j + 2
    free = (s - span).clamp(min=0)
    origin = torch.rand(b, 2, generator=gen).to(dev) * free.view(b, 1) + j + 1  # top-left of tile 0 (y, x)
    jitter = (torch.rand(b, 4, 2, generator=gen).to(dev) * 2 - 1) * j
    cell = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32, device=dev)  # (row, col) of tiles 0..3
    tile_origin = origin.view(b, 1, 2) + cell.view(1, 4, 2) * (t_src + gap).view(b, 1, 1) + jitter  # B x 4 x 2
    # Output cell of every output pixel along one axis: 0, 1, or -1 inside the cross.
    pos = torch.arange(s, device=dev)
    which = torch.where(pos < t_out, 0, torch.where(pos >= t_out + g_out, 1, -1))
    local = torch.where(which == 1, pos - t_out - g_out, pos).float()  # pixel within its cell
    src_local = (local + 0.5) * (t_src / t_out)  # continuous source offset of the pixel centre in the tile
    cell_of = (which.clamp(min=0).view(s, 1) * 2 + which.clamp(min=0).view(1, s))  # S x S output cell index
    src_tile = perms.to(dev).gather(1, cell_of.view(1, -1).expand(b, -1)).view(b, s, s)  # B x S x S tile shown there
    o = tile_origin.gather(1, src_tile.view(b, -1, 1).expand(-1, -1, 2)).view(b, s, s, 2)
    sy = o[..., 0] + src_local.view(1, s, 1)
    sx = o[..., 1] + src_local.view(1, 1, s)
    if boxes is not None:  # the layout above is in the box's frame, scaled to S: map it onto the image
        bx = boxes.to(dev, torch.float32)
        scale = (bx[:, 2] / s).view(b, 1, 1)
        sy = bx[:, 0].view(b, 1, 1) + sy * scale
        sx = bx[:, 1].view(b, 1, 1) + sx * scale
    grid = torch.stack([sx, sy], dim=-1) * (2.0 / s) - 1.0  # align_corners=False coordinates
    inside = ((which.view(s, 1) >= 0) & (which.view(1, s) >= 0)).to(x.dtype)
    out = F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="border", align_corners=False)
    # Each tile loses its own mean (Noroozi & Favaro normalise tiles too): an image minus its mean lies
    # further from it near the border than in the centre, so otherwise the step from a tile's edge
    # into the cross would say whether that edge came from the image's inside or its outside.
    cell_mask = F.one_hot(cell_of, 4).to(x.dtype) * inside.unsqueeze(-1)  # S x S x 4
    cells = torch.einsum("bchw,hwk->bck", out, cell_mask) / cell_mask.sum((0, 1))
    out = out - torch.einsum("bck,hwk->bchw", cells, cell_mask)
    if detrend:
        # ... and its own linear trend (a least-squares plane, per channel): on an object whose brightness
        # falls off towards its edge every intact tile is darker on its outer side, and a swap turns
        # those sides inwards, which the frame statistic reads even after the content crop.
        centred = local - (t_out - 1) / 2.0
        ys = centred.view(s, 1).expand(s, s) * inside
        xs = centred.view(1, s).expand(s, s) * inside
        for coord in (xs, ys):
            basis = coord.unsqueeze(-1) * cell_mask  # S x S x 4
            slope = torch.einsum("bchw,hwk->bck", out, basis) / basis.pow(2).sum((0, 1)).clamp(min=1e-6)
            out = out - torch.einsum("bck,hwk->bchw", slope, basis)
    return out * inside


def corrupt_batch(x: torch.Tensor, family: str, variant: int) -> torch.Tensor:
    """A whole-image corruption (hflip, vflip, rotation) of every image of x (B x C x S x S), ``variant``
    picking the rotation (90/180/270 degrees); the tile families are permutations passed to ``tile``."""
    if family == "hflip":
        return x.flip(3)
    if family == "vflip":
        return x.flip(2)
    if family == "rotation":
        return torch.rot90(x, 1 + variant % 3, dims=(2, 3))
    raise ValueError(family)


def family_perm(family: str, variant: int) -> tuple:
    """The tile order of a family: a half swap, a quadrant permutation, or the identity (whole-image families)."""
    if family in HALF_SWAPS:
        return HALF_SWAPS[family]
    if family == "quadrant_shuffle":
        return QUADRANT_PERMS[variant % len(QUADRANT_PERMS)]
    return (0, 1, 2, 3)


class StructureTask(PretextTask):
    name = "structure"

    def __init__(self, structure_families=None, random_hflip: bool = False, **_):
        super().__init__()
        fams = list(structure_families) if structure_families else list(DEFAULT_FAMILIES)
        unknown = [f for f in fams if f not in ALL_FAMILIES]
        if unknown or not fams:
            raise bad_input(f"structure_families has {unknown or 'nothing'}; choose from {', '.join(ALL_FAMILIES)}.")
        if random_hflip and "hflip" in fams:
            raise bad_input("structure_families includes hflip, but this dataset's laterality is randomised (it was mirrored "
                            "to face one way at import, or laterality is 'random'), so a mirror would be both intact and "
                            "corrupted. Drop hflip, or import the dataset again with --flip no.")
        self.random_hflip = bool(random_hflip)
        self.families = fams
        self.head = nn.Linear(FEATURE_DIM, 2)

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        b = x.shape[0]
        if x.shape[-1] % 2 or x.shape[-1] < 16:
            raise bad_input(f"structure needs an even image_size of at least 16 (2 x 2 tiles), got {x.shape[-1]}.")
        if self.random_hflip:
            x = mirror_at_random(x, gen)
        boxes = content_crop(x, gen)
        order = torch.randperm(b, generator=gen)
        neg = order[: b // 2]
        fam = torch.randint(0, len(self.families), (b,), generator=gen)
        variant = torch.randint(0, 1000, (b,), generator=gen)
        family_idx = torch.full((b,), -1, dtype=torch.long)
        family_idx[neg] = fam[neg]
        perms = torch.tensor([family_perm(self.families[int(f)], int(v)) if f >= 0 else (0, 1, 2, 3)
                              for f, v in zip(family_idx.tolist(), variant.tolist())], dtype=torch.long).view(b, 4)
        out = tile(x, perms, gen, boxes=boxes)
        # one batched op per (family, variant) group rather than one per image: few kernel launches on a GPU
        groups: dict = {}
        for i in neg.tolist():
            f = self.families[int(fam[i])]
            if f in ("hflip", "vflip", "rotation"):
                groups.setdefault((f, int(variant[i]) % 3), []).append(i)
        for (f, v), members in groups.items():
            idx = torch.tensor(members, device=x.device)
            out[idx] = corrupt_batch(out[idx], f, v)
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            out = out.contiguous(memory_format=torch.channels_last)
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
        return {"structure_families": self.families, **({"random_hflip": True} if self.random_hflip else {})}

    def chance(self, val: dict) -> dict | None:
        # make_batch corrupts b // 2 images of every batch, so neither answer is right more than half the time
        # (up to half an image per odd-sized batch).
        return {"metric": "accuracy", "better": "higher", "value": 0.5, "basis": "a constant answer: half of each batch is intact"}
