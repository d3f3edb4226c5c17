"""Downstream targets from a ChestX-ray14-layout label matrix (docs/architecture.md "Dataset cache").

binary: 0 = No Finding, 1 = any finding. 3class: 0 = No Finding, 1 = Pneumonia (whenever Pneumonia
is among the image's labels), 2 = any other finding. "A finding" is any label column other than
``No Finding`` that is set; a row with nothing set counts as No Finding.

multilabel14: the N x F multi-hot matrix of the findings themselves, one column per finding in the
cache's label order: the 14 ChestX-ray14 findings (every label column other than ``No Finding``;
a column the importer kept for a label outside the 15 official strings is left out, with a
warning, so the target stays the benchmark's 14). A cache with fewer findings (the test fixtures)
gets one column per finding it has.
"""

from __future__ import annotations

import numpy as np

from ..errors import bad_input

CLASS_NAMES = {"binary": ["No Finding", "Finding"], "3class": ["No Finding", "Pneumonia", "Other finding"]}
TARGETS = ("binary", "3class", "multilabel14")
CHESTXRAY14_FINDINGS = ("Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Effusion", "Emphysema", "Fibrosis", "Hernia",
                        "Infiltration", "Mass", "Nodule", "Pleural_Thickening", "Pneumonia", "Pneumothorax")


def is_multilabel(target: str) -> bool:
    return target == "multilabel14"


def finding_columns(label_names: list, warn=None) -> list:
    """Label columns of the findings (everything but ``No Finding``) in the cache's order; columns
    outside the 14 ChestX-ray14 findings are dropped when the cache holds all 14."""
    cols = [i for i, n in enumerate(label_names) if n != "No Finding"]
    if set(CHESTXRAY14_FINDINGS) <= {label_names[i] for i in cols}:
        extra = [label_names[i] for i in cols if label_names[i] not in CHESTXRAY14_FINDINGS]
        if extra and warn:
            warn(f"multilabel14 uses the 14 ChestX-ray14 findings; the extra label column(s) {extra} are left out of it.")
        cols = [i for i in cols if label_names[i] in CHESTXRAY14_FINDINGS]
    return cols


def make_targets(labels: np.ndarray, label_names: list, target: str, where="the dataset", warn=None) -> tuple[np.ndarray, list]:
    """(y, class names): y holds class indices (N) for binary/3class, multi-hot N x F for multilabel14."""
    if target not in TARGETS:
        raise bad_input(f"params.target is {target!r}; use one of {', '.join(TARGETS)}.")
    if "No Finding" not in label_names:
        raise bad_input(f"{where} has no 'No Finding' label (labels: {label_names[:6]}); downstream targets need a ChestX-ray14-style dataset.")
    lab = np.asarray(labels)
    nf = label_names.index("No Finding")
    findings = np.delete(lab, nf, axis=1).astype(bool)
    any_finding = findings.any(axis=1)
    if is_multilabel(target):
        cols = finding_columns(label_names, warn)
        if not cols:
            raise bad_input(f"{where} has no finding columns besides 'No Finding', so the multilabel14 target cannot be built; use target binary.")
        return lab[:, cols].astype(np.int64), [label_names[i] for i in cols]
    if target == "binary":
        return any_finding.astype(np.int64), CLASS_NAMES["binary"]
    if "Pneumonia" not in label_names:
        raise bad_input(f"{where} has no 'Pneumonia' label, so the 3class target cannot be built; use target binary.")
    pneu = lab[:, label_names.index("Pneumonia")].astype(bool)
    y = np.where(pneu, 1, np.where(any_finding, 2, 0)).astype(np.int64)
    return y, CLASS_NAMES["3class"]


def strata(y: np.ndarray) -> np.ndarray:
    """One class per image to stratify on: the class itself, or for multi-hot targets any finding (0/1)."""
    return y.any(axis=1).astype(np.int64) if y.ndim == 2 else y


def stratified_cap(indices: np.ndarray, y: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """At most ``cap`` of ``indices`` keeping the class proportions (seeded; ``y`` as from strata())."""
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


def pos_weights(y: np.ndarray) -> np.ndarray:
    """Multi-hot targets: negatives / positives per finding (BCEWithLogits ``pos_weight``); a finding
    without positives or without negatives in train gets 1 (there is nothing to balance)."""
    pos = y.sum(0).astype(np.float64)
    neg = len(y) - pos
    w = np.ones(y.shape[1])
    ok = (pos > 0) & (neg > 0)
    w[ok] = neg[ok] / pos[ok]
    return w
