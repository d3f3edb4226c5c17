"""Domain similarity between dataset caches (H1): how close a pretraining set is to the downstream set.

Three distances, each computed on a seeded sample of cached images resized to one side length:

- ``frechet``: the Fréchet distance between Gaussians fitted to pooled ResNet-18 features
  (Heusel et al. 2017, the FID formula) under a *fixed random-init* encoder (``FEATURE_SEED``), so
  no downloaded weights are needed and every study measures with the same ruler. Random
  convolutional features still respond to texture, contrast and layout statistics.
- ``histogram_l1``: L1 distance between the grey-level histograms (64 bins, each summing to 1; range 0..2).
- ``spectrum_l2``: RMS difference between the mean radially averaged log power spectra (grey,
  mean-removed images), i.e. how differently the two sets distribute energy over spatial frequency.

All inputs are scaled to [0, 1] and normalised with one fixed mean/std (not each dataset's own),
so intensity differences between datasets stay visible to the feature distance.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .data import Cache, subset

FEATURE_SEED = 1234  # the seed of the fixed random-init feature encoder
FIXED_MEAN, FIXED_STD = 0.5, 0.25  # one normalisation for every dataset
HIST_BINS = 64


def sample_images(cache: Cache, n_images: int, image_size: int, seed: int, split: str | None = None) -> torch.Tensor:
    """A seeded sample of ``n_images`` images as float N x 3 x S x S in [0, 1] (grey replicated).
    Uses ``split`` when the cache has it, else every image."""
    pool = cache.split(split) if split and split in cache.splits else np.arange(cache.n, dtype=np.int64)
    idx = np.sort(subset(pool, n_images, seed))
    arr = np.asarray(cache.images[idx])
    x = torch.from_numpy(arr).float().div_(255.0)
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    if x.shape[-1] != image_size or x.shape[-2] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True)
    return x.expand(-1, 3, -1, -1).clamp(0, 1).contiguous()


def random_init_encoder(seed: int, device) -> torch.nn.Module:
    """A random-init ResNet-18 encoder in eval mode, the same weights for the same seed; the global RNG is left as it was."""
    from .models import Encoder
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    enc = Encoder()
    torch.random.set_rng_state(gen_state)
    return enc.to(device).eval()


def fixed_feature_encoder(device) -> torch.nn.Module:
    """The random-init ResNet-18 that defines the feature space (same weights on every call)."""
    return random_init_encoder(FEATURE_SEED, device)


@torch.no_grad()
def pooled_features(encoder: torch.nn.Module, x: torch.Tensor, device, batch_size: int = 64) -> np.ndarray:
    """Pooled features (N x 512, float64) of images in [0, 1] under the fixed normalisation."""
    out = []
    for i in range(0, x.shape[0], batch_size):
        b = ((x[i:i + batch_size] - FIXED_MEAN) / FIXED_STD).to(device)
        out.append(encoder(b).float().cpu())
    return torch.cat(out).double().numpy()


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) for feature matrices (rows = samples)."""
    from scipy import linalg
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(covmean).all():
        # Few samples make the covariances singular; a small ridge makes the square root exist.
        off = np.eye(s_a.shape[0]) * eps
        covmean = linalg.sqrtm((s_a + off) @ (s_b + off))
    covmean = np.real(covmean)
    d = float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))
    return max(d, 0.0)


def grey(x: torch.Tensor) -> np.ndarray:
    """N x S x S float64 grey images from N x 3 x S x S."""
    return x.mean(1).double().numpy()


def intensity_histogram(g: np.ndarray) -> np.ndarray:
    """Grey-level histogram over all pixels of the sample, summing to 1."""
    h, _ = np.histogram(g.ravel(), bins=HIST_BINS, range=(0.0, 1.0))
    return h / max(h.sum(), 1)


def radial_log_spectrum(g: np.ndarray) -> np.ndarray:
    """Mean over images of the radially averaged log10 power spectrum (one value per integer radius)."""
    n, h, w = g.shape
    centred = g - g.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fftshift(np.fft.fft2(centred), axes=(1, 2))) ** 2
    yy, xx = np.indices((h, w))
    r = np.hypot(yy - h // 2, xx - w // 2).astype(np.int64)
    r_max = min(h, w) // 2
    counts = np.bincount(r.ravel(), minlength=r_max + 1)[: r_max + 1]
    sums = np.stack([np.bincount(r.ravel(), weights=p.ravel(), minlength=r_max + 1)[: r_max + 1] for p in power])
    radial = sums / np.maximum(counts, 1)
    return np.log10(radial[:, 1:] + 1e-12).mean(0)  # radius 0 is the removed mean


def distances(ref: torch.Tensor, other: torch.Tensor, ref_feats: np.ndarray, other_feats: np.ndarray) -> dict:
    """The three distances between two image samples (and their features)."""
    g_ref, g_other = grey(ref), grey(other)
    return {
        "frechet": frechet_distance(ref_feats, other_feats),
        "histogram_l1": float(np.abs(intensity_histogram(g_ref) - intensity_histogram(g_other)).sum()),
        "spectrum_l2": float(np.sqrt(((radial_log_spectrum(g_ref) - radial_log_spectrum(g_other)) ** 2).mean())),
    }
