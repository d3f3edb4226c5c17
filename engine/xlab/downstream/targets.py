"""Downstream targets from a ChestX-ray14-layout label matrix (docs/architecture.md "Dataset cache").

binary: 0 = No Finding, 1 = any finding. 3class: 0 = No Finding, 1 = Pneumonia (whenever Pneumonia
is among the image's labels), 2 = any other finding. "A finding" is any label column other than
``No Finding`` that is set; a row with nothing set counts as No Finding.
"""

from __future__ import annotations

import numpy as np

from ..errors import bad_input

CLASS_NAMES = {"binary": ["No Finding", "Finding"], "3class": ["No Finding", "Pneumonia", "Other finding"]}


def make_targets(labels: np.ndarray, label_names: list, target: str, where="the dataset") -> tuple[np.ndarray, list]:
    if target not in CLASS_NAMES:
        raise bad_input(f"params.target is {target!r}; use binary or 3class.")
    if "No Finding" not in label_names:
        raise bad_input(f"{where} has no 'No Finding' label (labels: {label_names[:6]}); downstream targets need a ChestX-ray14-style dataset.")
    lab = np.asarray(labels)
    nf = label_names.index("No Finding")
    findings = np.delete(lab, nf, axis=1).astype(bool)
    any_finding = findings.any(axis=1)
    if target == "binary":
        return any_finding.astype(np.int64), CLASS_NAMES["binary"]
    if "Pneumonia" not in label_names:
        raise bad_input(f"{where} has no 'Pneumonia' label, so the 3class target cannot be built; use target binary.")
    pneu = lab[:, label_names.index("Pneumonia")].astype(bool)
    y = np.where(pneu, 1, np.where(any_finding, 2, 0)).astype(np.int64)
    return y, CLASS_NAMES["3class"]


def stratified_cap(indices: np.ndarray, y: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """At most ``cap`` of ``indices`` keeping the class proportions (seeded)."""
    if cap is None or cap >= len(indices):
        return indices
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y[indices]):
        members = indices[y[indices] == c]
        k = max(1, int(round(cap * len(members) / len(indices))))
        keep.append(rng.choice(members, size=min(k, len(members)), replace=False))
    keep = np.concatenate(keep)
    if len(keep) > cap:
        keep = rng.choice(keep, size=cap, replace=False)
    return np.sort(keep)


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """n / (C * count_c); an absent class gets weight 0."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.zeros(n_classes)
    w[counts > 0] = len(y) / (n_classes * counts[counts > 0])
    return w
