"""Calibration of a downstream run's test probabilities: expected calibration error, Brier score and
the bins of a reliability diagram (``summary.test.calibration``).

Single-label targets (binary, 3class): top-label calibration (Guo et al. 2017, "On Calibration of
Modern Neural Networks"): each image's confidence is its largest class probability and it counts
as correct when that class is the true one; 15 equal-width confidence bins (m-1)/M < conf <= m/M,
ECE = sum over bins of n_m / N * |accuracy_m - confidence_m|. Brier score: the multi-class form of
Brier (1950), the mean over images of sum over classes of (p_c - y_c)^2 (0 perfect, 2 worst).

``multilabel14``: every image x finding pair is one binary prediction. The bins then hold the
predicted probability of the finding (``confidence``) against the share of pairs in the bin where
the finding is present (``accuracy``, the observed frequency): the reliability diagram of a
sigmoid output (as scikit-learn's ``calibration_curve``), ECE the same weighted gap over those
bins, Brier the mean over pairs of (p - y)^2.
"""

from __future__ import annotations

import numpy as np

N_BINS = 15


def _binned(confidence: np.ndarray, outcome: np.ndarray, n_bins: int) -> tuple[float, list]:
    """ECE and the bins of ``confidence`` (in [0, 1]) against ``outcome`` (0/1, the same shape)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin m holds (edges[m], edges[m+1]]; a confidence of exactly 0 goes to the first bin
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    n = len(confidence)
    ece, bins = 0.0, []
    for m in range(n_bins):
        sel = which == m
        k = int(sel.sum())
        conf = float(confidence[sel].mean()) if k else None
        acc = float(outcome[sel].mean()) if k else None
        if k:
            ece += k / n * abs(acc - conf)
        bins.append({"lo": float(edges[m]), "hi": float(edges[m + 1]), "n": k, "confidence": conf, "accuracy": acc})
    return float(ece), bins


def top_label_calibration(targets: np.ndarray, probs: np.ndarray, n_bins: int = N_BINS) -> dict:
    """targets: N class indices; probs: N x C rows summing to 1."""
    y = np.asarray(targets, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    onehot = np.eye(p.shape[1])[y]
    ece, bins = _binned(p.max(1), (p.argmax(1) == y).astype(np.float64), n_bins)
    brier = float(((p - onehot) ** 2).sum(1).mean())
    return {"ece": ece, "brier": brier, "bins": bins, "n_bins": n_bins, "kind": "top-label"}


def per_finding_calibration(targets: np.ndarray, probs: np.ndarray, n_bins: int = N_BINS) -> dict:
    """targets: N x F multi-hot; probs: N x F sigmoid outputs; every pair is one binary prediction."""
    y = np.asarray(targets, dtype=np.float64).ravel()
    p = np.asarray(probs, dtype=np.float64).ravel()
    ece, bins = _binned(p, y, n_bins)
    return {"ece": ece, "brier": float(((p - y) ** 2).mean()), "bins": bins, "n_bins": n_bins, "kind": "per-finding"}


def calibration(targets: np.ndarray, probs: np.ndarray, multilabel: bool) -> dict:
    return per_finding_calibration(targets, probs) if multilabel else top_label_calibration(targets, probs)
