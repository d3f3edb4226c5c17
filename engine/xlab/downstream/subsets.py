"""Label fractions (param ``label_fraction``): the labelled train subset of a label-efficiency run.

Drawn by patient: all images of a chosen patient are in, the others out (the split already keeps
every patient in one split, so val and test are untouched). Stratified: each patient belongs to
the stratum of the rarest class (in train) among its images (the target's class, or for
multilabel14 "any finding"), and every stratum contributes ceil(fraction * its patients), so every
class keeps a patient. Nested: within a stratum patients are ranked by a key that depends only on
the cache's content (``subset_key``: its file checksums, so two imports of the same data, on two
machines or data roots, draw the same subsets), the seed and the patient id (sha256 of them), and a
fraction takes the first
ceil(f * n); a smaller fraction takes a prefix of a larger one's list, so its subset lies inside
the larger one's. Nothing about the encoder enters, so every encoder of a study trains on the same
images. Applied after ``max_train_images`` (itself seeded and encoder-independent).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np


def _rank_key(cache_id: str, seed: int, patient: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{cache_id}|{seed}|{patient}".encode()).digest()[:8], "big")


def subset_key(meta: dict, fallback: str) -> str:
    """What ranks a cache's patients: its content (the sha256 of every cache file, from meta.json
    ``checksums``), or ``fallback`` (the cache's id) for a cache written before checksums existed."""
    sums = meta.get("checksums")
    if isinstance(sums, dict) and sums:
        text = "|".join(f"{k}={v}" for k, v in sorted(sums.items()))
        return "content:" + hashlib.sha256(text.encode()).hexdigest()
    return fallback


def indices_sha256(idx: np.ndarray) -> str:
    """sha256 of the sorted image indices written as decimal numbers joined by commas ("3,5,17")."""
    return hashlib.sha256(",".join(str(int(i)) for i in np.sort(idx)).encode()).hexdigest()


def label_subset(train_idx: np.ndarray, strata: np.ndarray, patients: np.ndarray | None, fraction: float, seed: int,
                 cache_id: str) -> tuple[np.ndarray, dict]:
    """(sorted subset of ``train_idx``, {"fraction", "n_images", "n_patients", "sha256"}).
    ``strata``: one class per image of the cache; ``patients``: patient per image, or None (every
    image its own patient)."""
    train_idx = np.sort(np.asarray(train_idx, dtype=np.int64))
    pat = np.asarray(patients)[train_idx].astype(np.int64) if patients is not None else train_idx
    cls = np.asarray(strata)[train_idx]
    if fraction >= 1.0:
        chosen = train_idx
    else:
        counts = np.bincount(cls)
        rarity = {c: (counts[c], c) for c in np.unique(cls)}  # rarer first; ties to the lower class
        stratum = {}
        for p_id, c in zip(pat.tolist(), cls.tolist()):
            if p_id not in stratum or rarity[c] < rarity[stratum[p_id]]:
                stratum[p_id] = c
        keep = set()
        for c in sorted(set(stratum.values())):
            members = sorted((p for p, s in stratum.items() if s == c), key=lambda p: (_rank_key(cache_id, seed, p), p))
            keep.update(members[:math.ceil(fraction * len(members))])
        chosen = train_idx[np.isin(pat, np.fromiter(keep, dtype=np.int64, count=len(keep)))]
    n_pat = len(np.unique(np.asarray(patients)[chosen])) if patients is not None else len(chosen)
    return chosen, {"fraction": float(fraction), "n_images": int(len(chosen)), "n_patients": int(n_pat), "sha256": indices_sha256(chosen)}
