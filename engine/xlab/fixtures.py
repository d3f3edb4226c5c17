"""A tiny deterministic dataset-cache generator for tests, the smoke run and the bench.

The images carry a signal that needs a *learned* feature: a large soft disc sits in the upper half
and a scatter of small dots in the lower half. Locally the picture looks the same whichever way up
it is (a disc and dots are rotation-symmetric); only the global arrangement says where "up" is. So a
random-init encoder's pooled features hardly tell orientations apart, while an encoder pretrained to
predict rotations must encode the arrangement.

``labelled=True`` writes a downstream cache in the ChestX-ray14 label layout whose "findings" are the
orientation: upright = ``No Finding``; rotated 90 degrees = ``Pneumonia``; rotated 180 or 270 =
``Effusion``. The binary target (any finding) is then "not upright", the 3-class target tells the
three apart. Files follow docs/architecture.md "Dataset cache", format version 1.

    python -m xlab.fixtures OUT_DIR [--n 300] [--size 48] [--labelled] [--colour] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

LABEL_NAMES = ["No Finding", "Pneumonia", "Effusion"]


def _scene(rng: np.random.Generator, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    img = 0.35 + 0.1 * rng.standard_normal() + 0.04 * rng.standard_normal((size, size))
    r = size * rng.uniform(0.14, 0.2)
    cy, cx = rng.uniform(0.18, 0.3) * size, rng.uniform(0.3, 0.7) * size
    d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    img = img + 0.4 * np.clip((r - d) / 2.0 + 0.5, 0, 1)
    for _ in range(rng.integers(4, 8)):
        py, px = rng.uniform(0.6, 0.92) * size, rng.uniform(0.1, 0.9) * size
        img = img + 0.35 * np.exp(-((yy - py) ** 2 + (xx - px) ** 2) / (2 * (size * 0.025) ** 2))
    for _ in range(rng.integers(4, 9)):  # clutter: blobs anywhere, of any size and sign
        py, px, w = rng.uniform(0, size), rng.uniform(0, size), size * rng.uniform(0.04, 0.25)
        img = img + rng.uniform(-0.3, 0.3) * np.exp(-((yy - py) ** 2 + (xx - px) ** 2) / (2 * w ** 2))
    return np.clip(img, 0, 1)


def generate(n: int, size: int, seed: int = 0, labelled: bool = False, colour: bool = False):
    """Returns (images uint8, rotation quarter-turns per image)."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3) if colour else (n, size, size), dtype=np.uint8)
    turns = np.zeros(n, dtype=np.int64)
    for i in range(n):
        img = _scene(rng, size)
        if labelled:
            turns[i] = [0, 0, 1, 2, 3][i % 5] if i % 10 < 5 else [0, 1, 0, 2, 0][i % 5]
            img = np.rot90(img, k=int(turns[i]))
        if colour:
            tint = rng.uniform(0.7, 1.0, size=3)
            img = img[..., None] * tint
        images[i] = np.round(img * 255).astype(np.uint8)
    return images, turns


def write_cache(out_dir: str | Path, n: int = 300, size: int = 48, seed: int = 0, labelled: bool = False,
                colour: bool = False, name: str | None = None) -> Path:
    """Writes a complete cache (images, labels, patients, splits, meta.json) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images, turns = generate(n, size, seed, labelled, colour)
    if labelled:
        labels = np.zeros((n, len(LABEL_NAMES)), dtype=np.uint8)
        labels[turns == 0, 0] = 1
        labels[turns == 1, 1] = 1
        labels[turns >= 2, 2] = 1
        label_names = LABEL_NAMES
    else:
        labels = np.ones((n, 1), dtype=np.uint8)
        label_names = ["image"]
    patients = np.arange(n, dtype=np.int64) // 2  # two images per patient: splits must keep them together
    n_pat = int(patients.max()) + 1
    perm = np.random.default_rng(seed + 1).permutation(n_pat)
    cut1, cut2 = int(n_pat * 0.6), int(n_pat * 0.8)
    groups = {"train": perm[:cut1], "val": perm[cut1:cut2], "test": perm[cut2:]}
    files = {"images.npy": images, "labels.npy": labels, "patients.npy": patients}
    for s, pats in groups.items():
        files[f"split-{s}.npy"] = np.sort(np.flatnonzero(np.isin(patients, pats))).astype(np.uint32)
    checksums = {}
    for fname, arr in files.items():
        np.save(out / fname, arr)
        checksums[fname] = hashlib.sha256((out / fname).read_bytes()).hexdigest()
    train = images[files["split-train.npy"]].astype(np.float64) / 255.0
    axes = (0, 1, 2) if colour else None
    mean = np.atleast_1d(train.mean(axis=axes)).tolist()
    std = np.atleast_1d(train.std(axis=axes)).tolist()
    meta = {
        "format_version": 1, "id": f"fx-{seed:08x}", "name": name or out.name, "kind": "chestxray14" if labelled else "imagefolder",
        "source": "xlab.fixtures (synthetic)", "n": n, "height": size, "width": size, "channels": 3 if colour else 1,
        "label_names": label_names, "multi_label": labelled, "mean": mean, "std": std,
        "splits": {s: int(len(files[f"split-{s}.npy"])) for s in groups}, "resize_policy": "shorter-side-center-crop",
        "checksums": checksums, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Write a tiny synthetic dataset cache.")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--labelled", action="store_true")
    ap.add_argument("--colour", action="store_true")
    a = ap.parse_args(argv)
    print(write_cache(a.out, a.n, a.size, a.seed, a.labelled, a.colour))


if __name__ == "__main__":
    main()
