"""Classification metrics with scikit-learn (imported here only, so jobs that never score skip it)."""

from __future__ import annotations

import numpy as np

METRIC_NAMES = ("loss", "accuracy", "f1_weighted", "balanced_accuracy", "roc_auc")


def roc_auc(targets: np.ndarray, probs: np.ndarray) -> float | None:
    """Binary: AUC of the positive-class probability. Multi-class: one-vs-rest macro average over the
    classes present in ``targets`` (sklearn's ``multi_class='ovr'`` when all are present). None when
    fewer than two classes occur."""
    from sklearn.metrics import roc_auc_score
    present = np.unique(targets)
    if len(present) < 2:
        return None
    if probs.shape[1] == 2:
        return float(roc_auc_score(targets, probs[:, 1]))
    return float(np.mean([roc_auc_score(targets == c, probs[:, c]) for c in present]))


def classification_metrics(targets, probs) -> dict:
    """targets: N ints; probs: N x C probabilities (rows sum to 1). Returns the five metric names plus
    ``confusion_matrix`` (C x C list, rows = true class)."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score
    y = np.asarray(targets, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    c = p.shape[1]
    pred = p.argmax(1)
    loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))))
    return {
        "loss": loss,
        "accuracy": float(accuracy_score(y, pred)),
        "f1_weighted": float(f1_score(y, pred, average="weighted", labels=np.arange(c), zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "roc_auc": roc_auc(y, p),
        "confusion_matrix": confusion_matrix(y, pred, labels=np.arange(c)).tolist(),
    }


def scalar_metrics(m: dict) -> dict:
    """The metrics that fit a ``metric`` message (numbers or null)."""
    return {k: m[k] for k in METRIC_NAMES if k in m}
