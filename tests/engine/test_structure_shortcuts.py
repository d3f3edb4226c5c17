"""No shortcut in the structure task: unlearned seam and border detectors, applied to structure
batches after the real pretext augmentation, cannot tell intact from corrupted images.

Two image families: 1/f ("natural-like") noise, whose statistics are isotropic and stationary, so
that any detector above chance can only be reading the construction; and padded portrait images
(content in the middle, black bars left and right, as a mammogram fitted to a square), where the
bars' position gave a rotation away.
"""

import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from xlab.data import BatchMaker, Cache
from xlab.pretext import build_task
from xlab.pretext.structure import ALL_FAMILIES

N, CACHE_SIDE, SIZE = 1536, 40, 32
MAX_AUC = 0.6


def pink_noise(n: int, s: int, rng: np.random.Generator) -> np.ndarray:
    """n x s x s uint8 images with a 1/f amplitude spectrum; cut from a field twice as large, so that
    they are not periodic (a periodic image would hide the seam of a half swap)."""
    s, side = 2 * s, s
    f = np.fft.fftfreq(s)
    radius = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    radius[0, 0] = 1.0
    spec = (rng.normal(size=(n, s, s)) + 1j * rng.normal(size=(n, s, s))) / radius
    img = np.fft.ifft2(spec).real[:, :side, :side]
    img = (img - img.mean(axis=(1, 2), keepdims=True)) / img.std(axis=(1, 2), keepdims=True)
    return np.clip(128 + 40 * img, 1, 255).astype(np.uint8)


def padded_portraits(n: int, s: int, rng: np.random.Generator) -> np.ndarray:
    """Portrait content (0.6 of the width) centred on a black square, like a pad-square mammogram."""
    out = np.zeros((n, s, s), np.uint8)
    w = int(round(0.6 * s))
    x0 = (s - w) // 2
    out[:, :, x0:x0 + w] = pink_noise(n, s, rng)[:, :, :w]
    return out


def cache_of(images: np.ndarray) -> Cache:
    return Cache(dir=None, meta={}, images=images, labels=None, patients=None, splits={},
                 mean=torch.full((3,), 0.5), std=torch.full((3,), 0.2))


def structure_batches(images: np.ndarray, seed: int = 0):
    """The structure task's batches exactly as train_pretext builds them: augmented pretext batches."""
    task = build_task("structure", structure_families=ALL_FAMILIES)
    maker = BatchMaker(cache_of(images), SIZE, "cpu", crop_padding=True)
    xs, fams = [], []
    for i in range(0, len(images), 64):
        gen = torch.Generator().manual_seed(seed + i)
        b = task.make_batch(maker(np.arange(i, min(i + 64, len(images))), gen), gen)
        xs.append(b["x"].mean(1))
        fams.append(b["family"])
    return torch.cat(xs).numpy(), torch.cat(fams).numpy(), task.families


def jumps(x: np.ndarray, axis: int) -> np.ndarray:
    """B x (S-1): mean absolute difference between neighbouring columns (axis 2) or rows (axis 1),
    relative to the image's median difference."""
    d = np.abs(np.diff(x, axis=axis)).mean(axis=3 - axis)
    return d / (np.median(d, axis=1, keepdims=True) + 1e-6)


def centre_seam(x: np.ndarray) -> np.ndarray:
    """The largest relative jump within 2 pixels of the centre lines (where a half swap's seam lies)."""
    c = x.shape[-1] // 2 - 1
    return np.maximum(jumps(x, 1)[:, c - 2:c + 3].max(1), jumps(x, 2)[:, c - 2:c + 3].max(1))


def any_seam(x: np.ndarray) -> np.ndarray:
    return np.maximum(jumps(x, 1).max(1), jumps(x, 2).max(1))


def border_darkness(x: np.ndarray) -> np.ndarray:
    """Darker left/right borders than top/bottom ones: where the bars of a padded portrait lie."""
    k = 2
    tb = np.concatenate([x[:, :k, :], x[:, -k:, :]], axis=1).mean(axis=(1, 2))
    lr = np.concatenate([x[:, :, :k], x[:, :, -k:]], axis=2).mean(axis=(1, 2))
    return tb - lr


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC-AUC by ranks (Mann-Whitney, ties get their average rank), direction-free: max(AUC, 1 - AUC)."""
    ranks = rankdata(np.concatenate([pos, neg]))
    a = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    return max(a, 1 - a)


DETECTORS = {"centre_seam": centre_seam, "any_seam": any_seam, "border_darkness": border_darkness}


def detector_aucs(images: np.ndarray) -> dict:
    x, fam, families = structure_batches(images)
    intact = fam < 0
    return {(name, f): auc(det(x)[fam == i], det(x)[intact])
            for name, det in DETECTORS.items() for i, f in enumerate(families)}


@pytest.mark.parametrize("kind", ["pink_noise", "padded_portraits"])
def test_no_fixed_detector_tells_corrupted_from_intact(kind):
    rng = np.random.default_rng(3)
    images = pink_noise(N, CACHE_SIDE, rng) if kind == "pink_noise" else padded_portraits(N, CACHE_SIDE, rng)
    aucs = detector_aucs(images)
    worst = max(aucs, key=aucs.get)
    print(kind, {f"{d}/{f}": round(v, 3) for (d, f), v in aucs.items()})
    assert aucs[worst] <= MAX_AUC, f"{worst[0]} separates {worst[1]} from intact {kind} images with AUC {aucs[worst]:.3f}"


def test_the_detectors_do_see_a_seam_and_bars():
    """The detectors are not blind: a plain half swap and a rotated padded portrait are caught."""
    rng = np.random.default_rng(4)
    x = pink_noise(256, SIZE, rng).astype(np.float32)
    swapped = np.roll(x, SIZE // 2, axis=2)
    assert auc(centre_seam(swapped), centre_seam(x)) > 0.9
    p = padded_portraits(256, SIZE, rng).astype(np.float32)
    assert auc(border_darkness(np.rot90(p, 1, axes=(1, 2))), border_darkness(p)) > 0.9
