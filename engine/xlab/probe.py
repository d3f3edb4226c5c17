"""The ``probe`` job: measurements for H1 that need the engine (docs/architecture.md, "Engine jobs").

``mode: invariance`` measures how far an encoder's pooled features move when a downstream image is
transformed, on the validation split (the test images judge the downstream runs and are not
touched here). Raw cosine similarity of post-ReLU pooled features is near 1 for *any* two images
(about 0.97 under a random-init ResNet-18: every feature is non-negative and they share a large
common component), so the raw value says little. The reported invariance is baselined against an
unrelated image y (the image half the sample away, a fixed derangement):

    invariance_T = (mean cos(x, T(x)) - mean cos(x, y)) / (1 - mean cos(x, y))

1 = the encoder ignores the change, 0 = the change moves the features as far as swapping in an
unrelated image, below 0 = further. Ratio of means (not a mean of per-image ratios), so one image
whose unrelated partner happens to be close cannot blow the value up. ``reference: "random-init"``
measures a randomly initialised ResNet-18 instead of an encoder file: the reference row, showing
what architecture alone gives. Transforms act on pixels in [0, 1] before normalisation:
quarter/half rotations, flips, half swaps, a quadrant shuffle, a masked centre, brightness and
contrast changes. The encoder runs in eval mode (BatchNorm statistics fixed).

``mode: similarity`` measures the distance of each pretraining dataset to the downstream dataset
(similarity.py): Fréchet distance of fixed random-init features, grey-level histogram L1 and radial
power-spectrum L2. It also reports the distance between two disjoint samples of the downstream set
itself (``reference_self``), the floor below which a distance means nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import cancel
from .data import BatchMaker, open_cache, subset
from .errors import bad_input
from .jobs import Job, one_of, parse_dataclass, positive
from .protocol import Emitter, Progress
from . import similarity as sim


@dataclass
class ProbeParams:
    """Params of a ``probe`` job."""

    mode: str  # invariance / similarity
    image_size: int = 64  # network input side in pixels
    n_images: int = 64  # images measured (a seeded subset)
    batch_size: int = 32  # images per forward pass
    encoder: str | None = None  # invariance: the encoder .pth (or .safetensors) written by an extract run
    reference: str | None = None  # invariance: "random-init" measures a seeded random-init ResNet-18 instead of `encoder`
    dataset_dir: str | None = None  # invariance: the downstream cache whose images are transformed
    split: str = "val"  # invariance: split the images come from (validation: test images stay untouched)
    dataset_dirs: dict = field(default_factory=dict)  # similarity: pretraining caches by dataset name
    reference_dir: str | None = None  # similarity: the downstream cache everything is compared with


def _quadrant_shuffle(x: torch.Tensor) -> torch.Tensor:
    """Moves each quadrant one place clockwise (TL->TR->BR->BL->TL): every quadrant leaves its place."""
    h2, w2 = x.shape[-2] // 2, x.shape[-1] // 2
    out = x.clone()
    tl, tr = x[..., :h2, :w2], x[..., :h2, w2:2 * w2]
    bl, br = x[..., h2:2 * h2, :w2], x[..., h2:2 * h2, w2:2 * w2]
    out[..., :h2, w2:2 * w2] = tl
    out[..., h2:2 * h2, w2:2 * w2] = tr
    out[..., h2:2 * h2, :w2] = br
    out[..., :h2, :w2] = bl
    return out


def _mask_centre(x: torch.Tensor) -> torch.Tensor:
    """Fills the central square of half the side (a quarter of the area) with each image's mean."""
    s_h, s_w = x.shape[-2], x.shape[-1]
    out = x.clone()
    mean = x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x)
    sl = (..., slice(s_h // 4, s_h // 4 + s_h // 2), slice(s_w // 4, s_w // 4 + s_w // 2))
    out[sl] = mean[sl]
    return out


def _contrast(x: torch.Tensor, factor: float) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * factor + mean).clamp(0, 1)


TRANSFORMS = {
    "rot90": lambda x: torch.rot90(x, 1, (2, 3)),
    "rot180": lambda x: torch.rot90(x, 2, (2, 3)),
    "hflip": lambda x: torch.flip(x, (3,)),
    "vflip": lambda x: torch.flip(x, (2,)),
    "half_swap_lr": lambda x: torch.roll(x, x.shape[-1] // 2, dims=3),
    "half_swap_tb": lambda x: torch.roll(x, x.shape[-2] // 2, dims=2),
    "quadrant_shuffle": _quadrant_shuffle,
    "mask": _mask_centre,
    "brightness": lambda x: (x + 0.2).clamp(0, 1),
    "contrast": lambda x: _contrast(x, 0.5),
}


def load_probe_encoder(path: str, device) -> torch.nn.Module:
    """An encoder file as an ``Encoder`` in eval mode on ``device``."""
    from .extract import load_encoder
    from .models import Encoder
    enc = Encoder()
    missing, unexpected = enc.net.load_state_dict(load_encoder(path), strict=False)
    if [k for k in missing if not k.startswith("fc.")] or unexpected:
        raise bad_input(f"The encoder file {path} does not match resnet18 (missing {missing[:3]}, unexpected {unexpected[:3]}). Extract it again.")
    return enc.to(device).eval()


def baselined(transformed: float, unrelated: float) -> float:
    """(cos(x, T x) - cos(x, y)) / (1 - cos(x, y)): 1 invariant, 0 as far as an unrelated image."""
    if unrelated >= 1.0:
        return float("nan")  # every image maps to the same direction: invariance is undefined
    return (transformed - unrelated) / (1.0 - unrelated)


def unrelated_partner(n: int) -> np.ndarray:
    """The unrelated image of each position: the one half the sample away (no image is its own partner)."""
    if n < 2:
        raise bad_input("An invariance probe needs at least 2 images (one image has no unrelated partner); raise params.n_images.")
    return (np.arange(n) + max(1, n // 2)) % n


@torch.no_grad()
def invariance_profile(encoder: torch.nn.Module, images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, device,
                       batch_size: int = 32, on_batch=None) -> dict:
    """Invariance of ``encoder`` to each transform over ``images`` (N x 3 x S x S in [0, 1]).

    Returns ``{"baselined": {name: value}, "raw": {name: mean cos(x, T x)}, "unrelated": mean cos(x, y)}``.
    """
    m = mean.view(1, 3, 1, 1).to(device)
    s = std.view(1, 3, 1, 1).to(device)
    sums = {name: 0.0 for name in TRANSFORMS}
    n = images.shape[0]
    partner = torch.from_numpy(unrelated_partner(n))
    base_all = []
    for i in range(0, n, batch_size):
        if cancel.requested():
            raise cancel.cancelled_error()
        x = images[i:i + batch_size].to(device)
        base = encoder((x - m) / s).float()
        base_all.append(base.cpu())
        for name, t in TRANSFORMS.items():
            feats = encoder((t(x) - m) / s).float()
            sums[name] += F.cosine_similarity(base, feats, dim=1).sum().item()
        if on_batch:
            on_batch(i // batch_size, x.shape[0])
    feats = torch.cat(base_all)
    unrelated = F.cosine_similarity(feats, feats[partner], dim=1).mean().item()
    raw = {name: v / n for name, v in sums.items()}
    return {"baselined": {name: baselined(v, unrelated) for name, v in raw.items()}, "raw": raw, "unrelated": unrelated}


def _downstream_images(p: ProbeParams, seed: int):
    cache = open_cache(p.dataset_dir)
    pool = cache.split(p.split)
    idx = np.sort(subset(pool, p.n_images, seed))
    images = BatchMaker(cache, p.image_size, "cpu").raw(idx).float().div_(255.0)
    if images.shape[-1] != p.image_size or images.shape[-2] != p.image_size:
        images = F.interpolate(images, size=(p.image_size, p.image_size), mode="bilinear", align_corners=False, antialias=True)
    return cache, images.expand(-1, 3, -1, -1).clamp(0, 1).contiguous()


def run_invariance(p: ProbeParams, job: Job, em: Emitter, device) -> dict:
    if p.reference not in (None, "random-init"):
        raise bad_input(f"params.reference must be \"random-init\" or absent, got {p.reference!r}.")
    if not (p.encoder or p.reference) or not p.dataset_dir:
        raise bad_input("An invariance probe needs params.encoder (an encoder .pth) or params.reference \"random-init\", and params.dataset_dir (the downstream cache).")
    encoder = sim.random_init_encoder(job.seed, device.torch_device) if p.reference else load_probe_encoder(p.encoder, device.torch_device)
    cache, images = _downstream_images(p, job.seed)
    steps = (images.shape[0] + p.batch_size - 1) // p.batch_size
    progress = Progress(em, "features", epochs=1)
    t_passes = time.perf_counter()
    profile = invariance_profile(encoder, images, cache.mean, cache.std, device.torch_device, p.batch_size,
                                 lambda step, b: progress.update(1, step + 1, steps, b * (1 + len(TRANSFORMS)), None, force=step + 1 == steps))
    passes_s = time.perf_counter() - t_passes
    inv = profile["baselined"]
    em.metric("val", 0, 0, {f"inv_{k}": v for k, v in inv.items() if np.isfinite(v)})
    what = p.reference or p.encoder
    em.log(f"invariance of {what} on {images.shape[0]} {p.split} images (unrelated-image cosine {profile['unrelated']:.3f}): "
           + ", ".join(f"{k} {v:.3f}" for k, v in inv.items()))
    return {"invariance": {k: (v if np.isfinite(v) else None) for k, v in inv.items()}, "invariance_raw": profile["raw"],
            "unrelated_cosine": profile["unrelated"], "measure": "baselined", "n_images": int(images.shape[0]),
            "encoder": p.encoder, "reference": p.reference, "split": p.split, "train_seconds": passes_s}


def run_similarity(p: ProbeParams, job: Job, em: Emitter, device) -> dict:
    if not p.reference_dir or not p.dataset_dirs:
        raise bad_input("A similarity probe needs params.reference_dir (the downstream cache) and params.dataset_dirs ({name: cache folder}).")
    for name, d in p.dataset_dirs.items():
        if not isinstance(d, str):
            raise bad_input(f"params.dataset_dirs[{name!r}] must be a cache folder path, got {d!r}.")
    dev = device.torch_device
    encoder = sim.fixed_feature_encoder(dev)
    passes_s = [0.0]  # seconds inside the feature passes: the probe's evaluation steps

    def features(images):
        t = time.perf_counter()
        out = sim.pooled_features(encoder, images, dev, p.batch_size)
        passes_s[0] += time.perf_counter() - t
        return out
    ref_cache = open_cache(p.reference_dir)
    ref = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed, "train")
    ref_feats = features(ref)
    out = {}
    total = len(p.dataset_dirs) + 1
    progress = Progress(em, "features", epochs=1)
    for step, (name, d) in enumerate(sorted(p.dataset_dirs.items()), start=1):
        if cancel.requested():
            raise cancel.cancelled_error()
        other = sim.sample_images(open_cache(d), p.n_images, p.image_size, job.seed, "train")
        out[name] = sim.distances(ref, other, ref_feats, features(other))
        progress.update(1, step, total, other.shape[0], None, force=True)
        em.log(f"similarity {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in out[name].items()))
    # Two other samples of the reference itself: the distance that sampling noise alone produces.
    a = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed + 1, "test")
    b = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed + 2, "val")
    reference_self = sim.distances(a, b, features(a), features(b))
    progress.update(1, total, total, a.shape[0], None, force=True)
    return {"similarity": out, "reference_self": reference_self, "n_images": p.n_images, "image_size": p.image_size,
            "feature_encoder": f"resnet18 random init, seed {sim.FEATURE_SEED}", "train_seconds": passes_s[0]}


def run_probe(job: Job, em: Emitter, device) -> dict:
    """Entry point registered as job kind ``probe`` in worker.py."""
    p = parse_dataclass(ProbeParams, job.params, "params", lambda m: em.log(m, "warning"))
    one_of(p.mode, ("invariance", "similarity"), "params.mode")
    positive(p.n_images, "params.n_images")
    positive(p.batch_size, "params.batch_size")
    if p.image_size < 16:
        raise bad_input(f"params.image_size must be at least 16 pixels for a ResNet-18, got {p.image_size}.")
    return run_invariance(p, job, em, device) if p.mode == "invariance" else run_similarity(p, job, em, device)
