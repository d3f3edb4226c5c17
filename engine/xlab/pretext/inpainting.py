"""Inpainting — Context Encoders (Pathak, Krähenbühl, Donahue, Darrell & Efros, "Context Encoders:
Feature Learning by Inpainting", CVPR 2016), with a U-Net-like decoder fed by skip connections from
the encoder stages (Ronneberger et al., 2015).

Input: normalised images B x 3 x S x S with the hole set to 0 (the dataset mean). Output: the
reconstruction B x 3 x S x S. Loss: L1 inside the hole only, divided by the number of hole pixels
(times channels), so the loss does not depend on the hole size.

``mask`` options (recorded in the run): ``shape`` rect | freeform | mixed (default mixed: each image
draws one), ``min_area`` / ``max_area`` fraction of the image (default 0.1 / 0.25). Rectangles have
a random aspect ratio in [0.5, 2] and whole-pixel sides; free-form masks are 3 thick strokes grown
until they cover the drawn area. Every mask's area lies in [min_area, max_area] (to the pixel).

Validation also scores two fills that learn nothing, on the same holes, so a run's hole L1 can be
read against them: ``hole_l1_mean_fill`` fills each hole with the mean of the image's visible pixels
(per channel; the level any sensible model reaches first, the task's "chance"), and
``hole_l1_smooth_fill`` with a push-pull interpolation of the visible pixels around the hole (Gortler
et al., "The Lumigraph", SIGGRAPH 1996: a pyramid of masked averages, each hole pixel taken from the
finest level that saw visible pixels), classic smooth inpainting with no learned content.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import bad_input
from ..models import UNetDecoder
from .base import PretextTask


def make_masks(b: int, s: int, gen: torch.Generator, shape: str, min_area: float, max_area: float, device) -> torch.Tensor:
    """B x 1 x S x S float masks, 1 = hole. The random parameters come from ``gen`` on the CPU (a few
    numbers per image); the pixel work runs on ``device``."""
    area = min_area + torch.rand(b, generator=gen) * (max_area - min_area)
    use_rect = torch.ones(b, dtype=torch.bool) if shape == "rect" else torch.zeros(b, dtype=torch.bool) \
        if shape == "freeform" else torch.rand(b, generator=gen) < 0.5
    aspect = torch.exp((torch.rand(b, generator=gen) * 2 - 1) * math.log(2))
    r_y0, r_x0 = torch.rand(b, generator=gen), torch.rand(b, generator=gen)
    k = 3
    r_p0 = torch.rand(b, k, 2, generator=gen)
    r_d = torch.rand(b, k, 2, generator=gen)
    area, use_rect, aspect, r_y0, r_x0, r_p0, r_d = (t.to(device) for t in (area, use_rect, aspect, r_y0, r_x0, r_p0, r_d))
    ar = torch.arange(s, dtype=torch.float32, device=device)
    yy, xx = torch.meshgrid(ar, ar, indexing="ij")
    # Whole pixels, so the hole's area is the drawn one: at most / at least these many pixels.
    lo, hi = math.ceil(min_area * s * s), math.floor(max_area * s * s)
    h = (torch.sqrt(area * aspect) * s).round().clamp(1, s)
    w = (area * s * s / h).round().clamp(torch.ceil(lo / h), torch.floor(hi / h)).clamp(1, s)
    y0 = (r_y0 * (s - h + 1)).floor()
    x0 = (r_x0 * (s - w + 1)).floor()
    rect = ((yy >= y0.view(b, 1, 1)) & (yy < (y0 + h).view(b, 1, 1)) & (xx >= x0.view(b, 1, 1)) & (xx < (x0 + w).view(b, 1, 1)))
    p0 = r_p0 * s
    p1 = (p0 + (r_d * 2 - 1) * s * 0.5).clamp(0, s - 1)
    pts = torch.stack([yy, xx], dim=-1).view(1, 1, s * s, 2)
    d = p1 - p0
    t = (((pts - p0.unsqueeze(2)) * d.unsqueeze(2)).sum(-1) / (d.pow(2).sum(-1, keepdim=True) + 1e-6)).clamp(0, 1)
    closest = p0.unsqueeze(2) + t.unsqueeze(-1) * d.unsqueeze(2)
    dist = (pts - closest).norm(dim=-1).min(dim=1).values.view(b, s * s)
    # The strokes are thickened until they cover the drawn area: the k nearest pixels to the strokes
    # (a thickness set from the stroke length alone missed the range on 30% of masks, up to 0.50).
    k = (area * s * s).round().clamp(lo, hi).long()
    rank = dist.argsort(dim=1).argsort(dim=1)
    free = (rank < k.view(b, 1)).view(b, s, s)
    return torch.where(use_rect.view(b, 1, 1), rect, free).float().unsqueeze(1)


def mean_fill(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """x (B x C x S x S) with each hole (m = 1) set to the mean of that image's visible pixels, per channel."""
    vis = 1 - m
    mean = (x * vis).sum((2, 3), keepdim=True) / vis.sum((2, 3), keepdim=True).clamp(min=1.0)
    return x * vis + mean * m


def smooth_fill(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """x with each hole filled by push-pull interpolation of the visible pixels (see the module doc)."""
    vis = 1 - m
    if x.shape[-1] <= 1 or x.shape[-2] <= 1 or bool((vis > 0).all()):
        return mean_fill(x, m)
    # Pull: masked 2 x 2 averages (ceil_mode: odd sides keep their last row/column).
    w = F.avg_pool2d(vis, 2, ceil_mode=True)
    coarse = F.avg_pool2d(x * vis, 2, ceil_mode=True) / w.clamp(min=1e-6)
    coarse = smooth_fill(coarse, (w <= 0).to(x.dtype))
    # Push: every pixel without visible data takes the upsampled coarser estimate.
    up = F.interpolate(coarse, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return x * vis + up * m


class InpaintingTask(PretextTask):
    name = "inpainting"

    def __init__(self, mask: dict | None = None, **_):
        super().__init__()
        mask = dict(mask or {})
        self.shape = mask.get("shape", "mixed")
        self.min_area = float(mask.get("min_area", 0.1))
        self.max_area = float(mask.get("max_area", 0.25))
        if self.shape not in ("rect", "freeform", "mixed"):
            raise bad_input(f"mask.shape is {self.shape!r}; use rect, freeform or mixed.")
        if not 0 < self.min_area <= self.max_area < 1:
            raise bad_input(f"mask areas must satisfy 0 < min_area <= max_area < 1, got {self.min_area} and {self.max_area}.")
        self.decoder = UNetDecoder(out_channels=3)

    def make_batch(self, x: torch.Tensor, gen: torch.Generator) -> dict:
        m = make_masks(x.shape[0], x.shape[-1], gen, self.shape, self.min_area, self.max_area, x.device)
        return {"x": x * (1 - m), "mask": m, "target": x}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder.stages(x), x.shape[-2:])

    def loss(self, batch: dict):
        out = self(batch["x"])
        m = batch["mask"]
        hole = m.sum() * out.shape[1]
        loss = ((out.float() - batch["target"]).abs() * m).sum() / hole.clamp(min=1.0)
        return loss, out

    def eval_counts(self, batch: dict, out: torch.Tensor) -> dict:
        m, target = batch["mask"], batch["target"]
        hole_err = lambda y: float(((y.float() - target).abs() * m).sum())  # noqa: E731
        return {"l1_sum": hole_err(out), "hole": float(m.sum() * out.shape[1]),
                "mean_fill_sum": hole_err(mean_fill(batch["x"].float(), m)),
                "smooth_fill_sum": hole_err(smooth_fill(batch["x"].float(), m))}

    def summarise(self, sums: dict) -> dict:
        hole = max(sums["hole"], 1.0)
        res = {"hole_l1": sums["l1_sum"] / hole}
        if "mean_fill_sum" in sums:
            res["hole_l1_mean_fill"] = sums["mean_fill_sum"] / hole
            res["hole_l1_smooth_fill"] = sums["smooth_fill_sum"] / hole
        return res

    def chance(self, val: dict) -> dict | None:
        if "hole_l1_mean_fill" not in val:
            return None
        return {"metric": "hole_l1", "better": "lower", "value": val["hole_l1_mean_fill"],
                "basis": "each hole filled with the mean of its image's visible pixels (hole_l1_mean_fill)",
                "smooth_fill": val.get("hole_l1_smooth_fill")}

    def options(self) -> dict:
        return {"mask": {"shape": self.shape, "min_area": self.min_area, "max_area": self.max_area}}

    def save_preview(self, batch: dict, out: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, path) -> None:
        """input / mask / output / target rows for up to 6 images, as one PNG."""
        from torchvision.utils import save_image
        k = min(6, out.shape[0])
        m, s = mean.view(1, 3, 1, 1).to(out.device), std.view(1, 3, 1, 1).to(out.device)
        den = lambda t: (t[:k].float() * s + m).clamp(0, 1)  # noqa: E731
        filled = den(batch["x"]) * (1 - batch["mask"][:k]) + den(out) * batch["mask"][:k]
        rows = [den(batch["x"]), batch["mask"][:k].expand(-1, 3, -1, -1), filled, den(batch["target"])]
        save_image(torch.cat(rows).cpu(), str(path), nrow=k, padding=1)
