"""Shortcut score: how well an *unlearned* baseline solves a pretext task on a dataset, measured before
the task is trained (issue 24, "a shortcut score for every pretext cell").

A pretext task that a trivial statistic solves teaches the encoder little: the network can reach a
high pretext accuracy by reading the statistic (where the bright side lies, where the dark ring around
a centred object went) instead of the image's structure. So before training, two baselines that learn
nothing about images are fitted on pretext samples of the run's own dataset, made exactly as the
training loop makes them (the same ``BatchMaker`` content crops and the task's ``make_batch``), and
scored on held-out samples:

- ``stats``: a logistic (softmax) regression on ``N_STATS`` = 24 cheap image statistics
  (``cheap_stats``: brightness, half, border-strip, frame, centre and quadrant statistics, gradient
  energy and anisotropy, the brightness centroid and the centre-line seam);
- ``random_init``: the same regression on the pooled 512-d features of a random-init ResNet-18
  (torchvision ``resnet18``, seeded, eval mode), the features every encoder starts from.

Fit samples come from the train split, held-out ones from the val split (disjoint source images):
``FIT_SAMPLES`` + ``HELD_OUT_SAMPLES`` (2:1), capped by a pretext run at half its network images
(``sample_counts``). At the demo size (32 px, 1,536 samples) it costs a few seconds of one CPU
thread, most of it the random-init forward pass.
Each score is stated as the task's own measure (rotation: 4-way accuracy, chance 0.25; structure:
ROC-AUC of intact against corrupted, chance 0.5, and the AUC per corruption family; inpainting: the
hole L1 of a constant fill predicted from the features, against the mean fill of the visible pixels,
the task's chance) and as ``normalised`` = how far it lies from chance (0) to perfect (1). A cell whose
``stats`` score is at least ``TRIVIAL_FRACTION`` of the way is marked ``trivial``: a trivial statistic
solves its task. The report's H1 section lists those cells (src-core/analysis/run-notes.ts).

tests/engine/test_shortcut.py checks it: near chance on 1/f noise for every task, high for rotation
on images with a bright border on one side. tests/engine/test_structure_shortcuts.py uses the same
statistics to check the structure task and the mammogram import convention.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .data import BatchMaker, Cache, subset

STAT_NAMES = [
    "mean", "std",
    "half_top", "half_bottom", "half_left", "half_right",
    "strip_top", "strip_bottom", "strip_left", "strip_right",
    "outer_frame", "inner_frame", "outer_minus_inner", "centre",
    "std_tl", "std_tr", "std_bl", "std_br",
    "grad_x", "grad_y", "grad_anisotropy",
    "centroid_x", "centroid_y", "centre_seam",
]
N_STATS = len(STAT_NAMES)  # 24
TRIVIAL_FRACTION = 0.9  # a stats score this far from chance to perfect marks the cell "solved by a trivial statistic"
FIT_SAMPLES = 2048  # pretext samples the baselines are fitted on (train split)
HELD_OUT_SAMPLES = 1024  # pretext samples they are scored on (val split)
BATCH = 64  # source images per make_batch call


def sample_counts(network_images: int | None) -> tuple[int, int]:
    """(fit, held-out) pretext samples for a run whose budget puts ``network_images`` through the
    network: ``FIT_SAMPLES`` + ``HELD_OUT_SAMPLES``, but never more than half the budget (so the
    measurement costs a fraction of the training: one forward pass against forward + backward) and
    never fewer than 768 (512 + 256), below which the scores say little."""
    total = FIT_SAMPLES + HELD_OUT_SAMPLES
    if network_images:
        total = max(768, min(total, network_images // 2))
    return total * 2 // 3, total - total * 2 // 3


def frame_width(s: int) -> int:
    """Width of the border strips and of each frame ring: an eighth of the side, at least one pixel."""
    return max(1, s // 8)


def outer_minus_inner(x: torch.Tensor) -> torch.Tensor:
    """B: mean of the outer frame (the ring ``frame_width`` wide along the border) minus the mean of the
    inner frame (the next ring inwards), of B x C x S x S (or B x S x S) images. A tile swap of a centred
    object on a dark background moves the dark ring inwards, which this one number sees."""
    g = x.float().mean(1) if x.dim() == 4 else x.float()
    k = frame_width(g.shape[-1])
    outer = _ring_mean(g, 0, k)
    inner = _ring_mean(g, k, 2 * k)
    return outer - inner


def _ring_mean(g: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """Mean of the square ring between a and b pixels in from the border of B x S x S images."""
    s = g.shape[-1]
    box = lambda m: g[:, m:s - m, m:s - m].sum((1, 2)) if s - 2 * m > 0 else torch.zeros(g.shape[0])  # noqa: E731
    n = lambda m: max(s - 2 * m, 0) ** 2  # noqa: E731
    return (box(a) - box(b)) / max(n(a) - n(b), 1)


def cheap_stats(x: torch.Tensor) -> np.ndarray:
    """B x 24 float64 statistics (``STAT_NAMES``) of B x C x S x S images, computed on their channel mean."""
    g = x.detach().float().cpu().mean(1)
    b, s, _ = g.shape
    h = s // 2
    k = frame_width(s)
    flat = g.reshape(b, -1)
    mean, std = flat.mean(1), flat.std(1)
    halves = [g[:, :h].mean((1, 2)), g[:, h:].mean((1, 2)), g[:, :, :h].mean((1, 2)), g[:, :, h:].mean((1, 2))]
    strips = [g[:, :k].mean((1, 2)), g[:, -k:].mean((1, 2)), g[:, :, :k].mean((1, 2)), g[:, :, -k:].mean((1, 2))]
    outer, inner = _ring_mean(g, 0, k), _ring_mean(g, k, 2 * k)
    q = s // 4
    centre = g[:, q:s - q, q:s - q].mean((1, 2))
    quad_std = [g[:, :h, :h].std((1, 2)), g[:, :h, h:].std((1, 2)), g[:, h:, :h].std((1, 2)), g[:, h:, h:].std((1, 2))]
    dx, dy = (g[:, :, 1:] - g[:, :, :-1]).abs(), (g[:, 1:] - g[:, :-1]).abs()
    gx, gy = dx.mean((1, 2)), dy.mean((1, 2))
    w = g - g.amin((1, 2), keepdim=True)
    total = w.sum((1, 2)).clamp(min=1e-6)
    pos = (torch.arange(s, dtype=torch.float32) + 0.5) / s - 0.5
    cx = (w.sum(1) * pos).sum(1) / total
    cy = (w.sum(2) * pos).sum(1) / total
    # the largest jump between neighbouring rows/columns within a pixel of the centre lines, relative
    # to the image's median jump: where the seam of a half swap lies
    jx, jy = dx.mean(1), dy.mean(2)
    c = h - 1
    rel = lambda j: j[:, max(c - 1, 0):c + 2].amax(1) / (j.median(1).values + 1e-6)  # noqa: E731
    seam = torch.maximum(rel(jx), rel(jy))
    cols = [mean, std, *halves, *strips, outer, inner, outer - inner, centre, *quad_std, gx, gy,
            (gx - gy) / (gx + gy + 1e-6), cx, cy, seam]
    return torch.stack(cols, 1).double().numpy()


def pretext_samples(task, batches: BatchMaker, idx: np.ndarray, n: int, seed: int, augment: bool = True) -> dict:
    """About ``n`` pretext samples made from the images ``idx`` exactly as the training loop makes them
    (content crop, augmentation, the task's transform), cycling over ``idx`` with fresh random draws
    when n exceeds it. Returns the batch keys concatenated on the CPU (``x``, ``y``, ``family``, ``mask``)."""
    out: dict = {}
    got, i, rnd = 0, 0, 0
    per = max(1, task.source_images(BATCH))
    if len(idx) == 0:
        return out
    while got < n:
        take = idx[np.arange(i, i + per) % len(idx)]
        gen = torch.Generator().manual_seed(seed * 1_000_003 + rnd)
        with torch.no_grad():
            b = task.make_batch(batches(np.sort(take), gen if augment else None), gen)
        for key in ("x", "y", "family", "mask", "target"):
            if key in b:
                out.setdefault(key, []).append(b[key].detach().cpu())
        got += b["x"].shape[0]
        i += per
        rnd += 1
    return {k: torch.cat(v)[:n] for k, v in out.items()}


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC-AUC of ``score`` for the boolean ``positive`` (Mann-Whitney, ties at their average rank)."""
    from scipy.stats import rankdata
    pos, neg = int(positive.sum()), int((~positive).sum())
    if not pos or not neg:
        return float("nan")
    r = rankdata(score)
    return float((r[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _standardise(fit: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = fit.mean(0), fit.std(0)
    sd[sd < 1e-9] = 1.0
    return (fit - mu) / sd, (held - mu) / sd


def classify(fit_f: np.ndarray, fit_y: np.ndarray, held_f: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Held-out class probabilities of a softmax (logistic) regression on standardised features: the
    mean cross-entropy plus ``l2`` times the squared weights, minimised full-batch by L-BFGS. Written in
    torch rather than scikit-learn's solver, which took 40 s on 2,048 x 512 random-init features on a
    busy 2-core machine; this takes well under a second."""
    a, b = _standardise(fit_f, held_f)
    xa, xb = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    y = torch.as_tensor(fit_y, dtype=torch.long)
    k = int(fit_y.max()) + 1
    w = torch.zeros(xa.shape[1], k, requires_grad=True)
    bias = torch.zeros(k, requires_grad=True)
    opt = torch.optim.LBFGS([w, bias], lr=1.0, max_iter=200, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xa @ w + bias, y) + l2 * w.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return torch.softmax(xb @ w + bias, 1).double().numpy()


def regress(fit_f: np.ndarray, fit_y: np.ndarray, held_f: np.ndarray) -> np.ndarray:
    """Held-out predictions of a ridge regression (alpha = 1) on standardised features."""
    from sklearn.linear_model import Ridge
    a, b = _standardise(fit_f, held_f)
    return Ridge(alpha=1.0).fit(a, fit_y).predict(b)


def _normalised(value: float, chance: float, perfect: float) -> float:
    return float(np.clip((value - chance) / (perfect - chance), -1.0, 1.0)) if perfect != chance else 0.0


def score_classification(task, fit: dict, held: dict, fit_f: np.ndarray, held_f: np.ndarray) -> dict:
    """Rotation: 4-way accuracy. Structure: AUC of corrupted against intact, and per family (each
    family's corrupted images against the intact ones)."""
    fit_y, held_y = fit["y"].numpy(), held["y"].numpy()
    proba = classify(fit_f, fit_y, held_f)
    if task.name == "structure":
        p = proba[:, 1]
        value = roc_auc(p, held_y == 1)
        fam = held["family"].numpy()
        intact = fam < 0
        per = {f: roc_auc(p[(fam == i) | intact], (fam == i)[(fam == i) | intact]) for i, f in enumerate(task.families)}
        return {"metric": "auc", "value": value, "chance": 0.5, "normalised": _normalised(value, 0.5, 1.0),
                "families": {f: v for f, v in per.items() if v == v}}
    acc = float((proba.argmax(1) == held_y).mean())
    chance = 1.0 / proba.shape[1]
    return {"metric": "accuracy", "value": acc, "chance": chance, "normalised": _normalised(acc, chance, 1.0)}


def score_inpainting(fit: dict, held: dict, fit_f: np.ndarray, held_f: np.ndarray) -> dict:
    """The hole L1 of a constant fill (per image) predicted from the features, against the task's
    chance: the mean of the visible pixels (``hole_l1_mean_fill``). 0 = no better than that fill."""
    def hole_mean(batch):
        m, t = batch["mask"], batch["target"].float().mean(1, keepdim=True)
        return ((t * m).sum((1, 2, 3)) / m.sum((1, 2, 3)).clamp(min=1)).numpy()

    def hole_l1(batch, fill):
        m, t = batch["mask"], batch["target"].float().mean(1, keepdim=True)
        err = ((t - torch.as_tensor(fill, dtype=torch.float32).view(-1, 1, 1, 1)).abs() * m).sum()
        return float(err / m.sum().clamp(min=1))

    vis = 1 - held["mask"]
    vis_mean = ((held["x"].float().mean(1, keepdim=True) * vis).sum((1, 2, 3)) / vis.sum((1, 2, 3)).clamp(min=1)).numpy()
    base = hole_l1(held, vis_mean)
    got = hole_l1(held, regress(fit_f, hole_mean(fit), held_f))
    return {"metric": "hole_l1", "value": got, "chance": base, "normalised": _normalised(got, base, 0.0)}


def random_init_features(x: torch.Tensor, seed: int, device) -> np.ndarray:
    """Pooled 512-d features of a seeded random-init ResNet-18 (eval mode) for B x 3 x S x S images."""
    from .models import Encoder
    out = []
    with torch.random.fork_rng(devices=[]):  # the caller's random stream is left as it was
        torch.manual_seed(seed)
        enc = Encoder().to(device).eval()
    with torch.no_grad():
        for i in range(0, len(x), 256):
            out.append(enc(x[i:i + 256].to(device).float()).cpu())
    return torch.cat(out).double().numpy()


def shortcut_score(task, cache: Cache, image_size: int, device, seed: int, augment: bool = True,
                   fit_samples: int = FIT_SAMPLES, held_out_samples: int = HELD_OUT_SAMPLES,
                   random_init: bool = True) -> dict:
    """Scores the unlearned baselines on ``task`` over ``cache`` (module doc). ``device`` runs the
    random-init ResNet-18; everything else runs on the CPU in seconds at demo size."""
    t0 = time.perf_counter()
    fit_idx = subset(cache.split("train"), fit_samples, seed)
    held_idx = subset(cache.split("val"), held_out_samples, seed + 1)
    with BatchMaker(cache, image_size, "cpu", crop_padding=True, threaded=False) as batches:
        fit = pretext_samples(task, batches, fit_idx, fit_samples, seed, augment)
        held = pretext_samples(task, batches, held_idx, held_out_samples, seed + 7919, augment)
    if not fit or not held:
        return {"skipped": "the train or val split is empty"}
    score = score_inpainting if task.name == "inpainting" else lambda *a: score_classification(task, *a)
    out = {"stats": score(fit, held, cheap_stats(fit["x"]), cheap_stats(held["x"]))}
    if random_init:
        out["random_init"] = score(fit, held, random_init_features(fit["x"], seed, device),
                                   random_init_features(held["x"], seed, device))
    out["trivial"] = bool(out["stats"]["normalised"] >= TRIVIAL_FRACTION)
    out.update(threshold=TRIVIAL_FRACTION, fit_samples=int(len(fit["x"])), held_out_samples=int(len(held["x"])),
               fit_images=int(len(fit_idx)), held_out_images=int(len(held_idx)), seconds=time.perf_counter() - t0)
    return out


def describe(score: dict, task_name: str) -> str:
    """One sentence for a log line: the stats and random-init scores against chance."""
    if "stats" not in score:
        return f"shortcut score skipped: {score.get('skipped')}"
    s = score["stats"]
    parts = [f"cheap statistics {s['metric']} {s['value']:.3f} (chance {s['chance']:.3f}, {s['normalised']:.2f} of the way to perfect)"]
    if "random_init" in score:
        r = score["random_init"]
        parts.append(f"random-init ResNet-18 probe {r['value']:.3f}")
    verdict = " -- a trivial statistic solves this task here" if score["trivial"] else ""
    return f"Shortcut score of {task_name}: " + "; ".join(parts) + verdict
