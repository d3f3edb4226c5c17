"""The ``probe`` job: measurements for H1 that need the engine (docs/architecture.md, "Engine jobs").

``mode: invariance`` measures how far an encoder's pooled features move when a downstream image is
transformed: the mean cosine similarity between the features of an image and of its transformed
copy (1 = the encoder ignores the change, i.e. is invariant to it). Transforms act on pixels in
[0, 1] before normalisation: quarter/half rotations, flips, half swaps, a quadrant shuffle, a masked
centre, brightness and contrast changes. The encoder runs in eval mode (BatchNorm statistics fixed).

``mode: similarity`` measures the distance of each pretraining dataset to the downstream dataset
(similarity.py): Fréchet distance of fixed random-init features, grey-level histogram L1 and radial
power-spectrum L2. It also reports the distance between two disjoint samples of the downstream set
itself (``reference_self``), the floor below which a distance means nothing.
"""

from __future__ import annotations

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
    dataset_dir: str | None = None  # invariance: the downstream cache whose images are transformed
    split: str = "test"  # invariance: split the images come from
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


@torch.no_grad()
def invariance_profile(encoder: torch.nn.Module, images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, device,
                       batch_size: int = 32, on_batch=None) -> dict:
    """Mean cosine similarity between features of ``images`` (N x 3 x S x S in [0, 1]) and of each transform."""
    m = mean.view(1, 3, 1, 1).to(device)
    s = std.view(1, 3, 1, 1).to(device)
    sums = {name: 0.0 for name in TRANSFORMS}
    n = images.shape[0]
    for i in range(0, n, batch_size):
        if cancel.requested():
            raise cancel.cancelled_error()
        x = images[i:i + batch_size].to(device)
        base = encoder((x - m) / s).float()
        for name, t in TRANSFORMS.items():
            feats = encoder((t(x) - m) / s).float()
            sums[name] += F.cosine_similarity(base, feats, dim=1).sum().item()
        if on_batch:
            on_batch(i // batch_size, x.shape[0])
    return {name: v / n for name, v in sums.items()}


def _downstream_images(p: ProbeParams, seed: int):
    cache = open_cache(p.dataset_dir)
    pool = cache.split(p.split)
    idx = np.sort(subset(pool, p.n_images, seed))
    images = BatchMaker(cache, p.image_size, "cpu").raw(idx).float().div_(255.0)
    if images.shape[-1] != p.image_size or images.shape[-2] != p.image_size:
        images = F.interpolate(images, size=(p.image_size, p.image_size), mode="bilinear", align_corners=False, antialias=True)
    return cache, images.expand(-1, 3, -1, -1).clamp(0, 1).contiguous()


def run_invariance(p: ProbeParams, job: Job, em: Emitter, device) -> dict:
    if not p.encoder or not p.dataset_dir:
        raise bad_input("An invariance probe needs params.encoder (an encoder .pth) and params.dataset_dir (the downstream cache).")
    encoder = load_probe_encoder(p.encoder, device.torch_device)
    cache, images = _downstream_images(p, job.seed)
    steps = (images.shape[0] + p.batch_size - 1) // p.batch_size
    progress = Progress(em, "features", epochs=1)
    profile = invariance_profile(encoder, images, cache.mean, cache.std, device.torch_device, p.batch_size,
                                 lambda step, b: progress.update(1, step + 1, steps, b * (1 + len(TRANSFORMS)), None, force=step + 1 == steps))
    em.metric("test", 0, 0, {f"inv_{k}": v for k, v in profile.items()})
    em.log(f"invariance of {p.encoder} on {images.shape[0]} images: " + ", ".join(f"{k} {v:.3f}" for k, v in profile.items()))
    return {"invariance": profile, "n_images": int(images.shape[0]), "encoder": p.encoder, "split": p.split}


def run_similarity(p: ProbeParams, job: Job, em: Emitter, device) -> dict:
    if not p.reference_dir or not p.dataset_dirs:
        raise bad_input("A similarity probe needs params.reference_dir (the downstream cache) and params.dataset_dirs ({name: cache folder}).")
    for name, d in p.dataset_dirs.items():
        if not isinstance(d, str):
            raise bad_input(f"params.dataset_dirs[{name!r}] must be a cache folder path, got {d!r}.")
    dev = device.torch_device
    encoder = sim.fixed_feature_encoder(dev)
    ref_cache = open_cache(p.reference_dir)
    ref = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed, "train")
    ref_feats = sim.pooled_features(encoder, ref, dev, p.batch_size)
    out = {}
    total = len(p.dataset_dirs) + 1
    progress = Progress(em, "features", epochs=1)
    for step, (name, d) in enumerate(sorted(p.dataset_dirs.items()), start=1):
        if cancel.requested():
            raise cancel.cancelled_error()
        other = sim.sample_images(open_cache(d), p.n_images, p.image_size, job.seed, "train")
        out[name] = sim.distances(ref, other, ref_feats, sim.pooled_features(encoder, other, dev, p.batch_size))
        progress.update(1, step, total, other.shape[0], None, force=True)
        em.log(f"similarity {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in out[name].items()))
    # Two other samples of the reference itself: the distance that sampling noise alone produces.
    a = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed + 1, "test")
    b = sim.sample_images(ref_cache, p.n_images, p.image_size, job.seed + 2, "val")
    reference_self = sim.distances(a, b, sim.pooled_features(encoder, a, dev, p.batch_size), sim.pooled_features(encoder, b, dev, p.batch_size))
    progress.update(1, total, total, a.shape[0], None, force=True)
    return {"similarity": out, "reference_self": reference_self, "n_images": p.n_images, "image_size": p.image_size,
            "feature_encoder": f"resnet18 random init, seed {sim.FEATURE_SEED}"}


def run_probe(job: Job, em: Emitter, device) -> dict:
    """Entry point registered as job kind ``probe`` in worker.py."""
    p = parse_dataclass(ProbeParams, job.params, "params", lambda m: em.log(m, "warning"))
    one_of(p.mode, ("invariance", "similarity"), "params.mode")
    positive(p.n_images, "params.n_images")
    positive(p.batch_size, "params.batch_size")
    if p.image_size < 16:
        raise bad_input(f"params.image_size must be at least 16 pixels for a ResNet-18, got {p.image_size}.")
    return run_invariance(p, job, em, device) if p.mode == "invariance" else run_similarity(p, job, em, device)
