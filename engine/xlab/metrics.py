"""Classification metrics with scikit-learn (imported here only, so jobs that never score skip it)."""

from __future__ import annotations

import numpy as np

METRIC_NAMES = ("loss", "accuracy", "f1_weighted", "balanced_accuracy", "roc_auc", "ece", "brier")


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


def multilabel_metrics(targets, probs, names: list) -> dict:
    """targets: N x F multi-hot; probs: N x F sigmoid outputs, one column per finding of ``names``.

    ``per_finding_auc`` {finding: AUROC, or None when the split holds only one class of it} and
    ``mean_auc``, their mean over the findings with both classes present (the ChestX-ray14
    convention, Rajpurkar et al. 2017); ``roc_auc`` is the same mean, so model selection reads one
    name for every target. ``loss`` is the mean binary cross-entropy over image x finding pairs;
    ``accuracy`` the share of pairs right at threshold 0.5, ``balanced_accuracy`` the mean over
    findings of their balanced accuracy at 0.5, ``f1_weighted`` scikit-learn's support-weighted F1
    over findings at 0.5. There is no single confusion matrix (None)."""
    from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
    y = np.asarray(targets, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    pc = np.clip(p, 1e-12, 1 - 1e-12)
    per = {}
    for j, name in enumerate(names):
        per[name] = float(roc_auc_score(y[:, j], p[:, j])) if len(np.unique(y[:, j])) == 2 else None
    present = [v for v in per.values() if v is not None]
    pred = (p >= 0.5).astype(np.int64)
    bal = [float(balanced_accuracy_score(y[:, j], pred[:, j])) for j in range(y.shape[1]) if len(np.unique(y[:, j])) == 2]
    mean_auc = float(np.mean(present)) if present else None
    return {
        "loss": float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
        "accuracy": float((pred == y).mean()),
        "f1_weighted": float(f1_score(y, pred, average="weighted", zero_division=0)) if y.sum() else 0.0,
        "balanced_accuracy": float(np.mean(bal)) if bal else None,
        "roc_auc": mean_auc,
        "mean_auc": mean_auc,
        "per_finding_auc": per,
        "confusion_matrix": None,
    }
