"""Frozen features of the downstream images, computed once per encoder and split and shared by every
job that needs them (linear probes of any target or label fraction, kNN, the head sweep).

Each member encoder runs in eval mode (BatchNorm statistics of its pretraining) on its own input
normalisation; its pooled 512-d features of one split's images are written to
``<encoder file's folder>/features/<key>.npy`` (float32, N x 512, renamed into place so a reader
never sees half a file). ``key`` is the sha256 over everything the features depend on: the encoder
file's sha256, the dataset cache (folder, meta.json's sha256 with the file checksums in it, and the
size and mtime of images.npy), the image size, the member's input normalisation, the BatchNorm mode
and the split's indices. A later job with the same key loads the file ("features reused") and gets
the same numbers bit for bit. AdaBN runs re-estimate BatchNorm on the job's own train images, so
their features belong to that job alone and are never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from ..models import FEATURE_DIM
from ..protocol import Emitter, Progress

FORMAT = 1  # bump when the way features are computed changes, so old files stop matching


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_fingerprint(cache) -> dict:
    """What identifies the cache's pixels: its folder, meta.json (with the files' checksums) and images.npy's size and mtime."""
    images = cache.dir / "images.npy"
    st = images.stat()
    return {"dir": str(Path(cache.dir).resolve()), "meta_sha256": file_sha256(cache.dir / "meta.json"),
            "images_size": st.st_size, "images_mtime_ns": st.st_mtime_ns}


def feature_key(encoder_sha256: str, dataset: dict, image_size: int, normalisation: dict, batchnorm: str, idx: np.ndarray) -> str:
    spec = {"format": FORMAT, "encoder_sha256": encoder_sha256, "dataset": dataset, "image_size": int(image_size),
            "normalisation": {k: [round(float(v), 8) for v in normalisation[k]] for k in ("mean", "std")}, "batchnorm": batchnorm,
            "indices_sha256": hashlib.sha256(np.ascontiguousarray(idx, dtype="<i8").tobytes()).hexdigest(), "n": int(len(idx))}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


@torch.no_grad()
def _member_pass(model, member: int, batches, idx: np.ndarray, batch_size: int, device, progress: Progress | None, done: list) -> torch.Tensor:
    """Pooled features of encoder ``member`` (with its input map) for ``idx``, N x 512 float32 on the CPU."""
    enc = model.encoders[member]
    enc.eval()
    maps = model.input_maps
    out = []
    for i in range(0, len(idx), batch_size):
        x = batches(idx[i:i + batch_size])
        if maps is not None:
            s, b = maps[member]
            x = x * s.to(x.device, x.dtype) + b.to(x.device, x.dtype)
        with device.autocast():
            out.append(enc(x).float().cpu())
        done[0] += 1
        if progress:
            progress.update(1, done[0], done[1], len(x), None, force=done[0] == done[1], remaining_steps=done[1] - done[0])
    return torch.cat(out) if out else torch.zeros(0, FEATURE_DIM)


def _save_atomic(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        np.save(f, arr)
    os.replace(tmp, path)


def frozen_features(*, model, batches, passes: dict, encoder_paths: list, member_norm: list, cache, image_size: int,
                    batchnorm: str, batch_size: int, device, em: Emitter, use_cache: bool) -> tuple[dict, dict]:
    """Features of every split in ``passes`` ({split: sorted indices}), the members concatenated
    (N x 512 * members). Returns (features by split, {"computed": images run through an encoder,
    "reused": images loaded, "seconds": time of the passes})."""
    import time
    t0 = time.perf_counter()
    dataset = dataset_fingerprint(cache) if use_cache else None
    plan = []  # (split, member, path or None)
    for m, enc_path in enumerate(encoder_paths):
        sha = file_sha256(enc_path) if use_cache else None
        for split, idx in passes.items():
            path = None
            if use_cache:
                key = feature_key(sha, dataset, image_size, member_norm[m], batchnorm, idx)
                path = Path(enc_path).parent / "features" / f"{key}.npy"
            plan.append((split, m, path))
    found = {}
    for split, m, path in plan:
        if path is not None and path.is_file():
            try:
                arr = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                arr = None  # a damaged file is computed again and replaced
            if arr is not None and arr.shape == (len(passes[split]), FEATURE_DIM):
                found[(split, m)] = torch.from_numpy(np.array(arr, dtype=np.float32))
    todo = [(s, m, path) for s, m, path in plan if (s, m) not in found]
    steps = sum((len(passes[s]) + batch_size - 1) // batch_size for s, _, _ in todo)
    progress, done = Progress(em, "features", 1), [0, steps]
    computed = 0
    for split, m, path in todo:
        feats = _member_pass(model, m, batches, passes[split], batch_size, device, progress, done)
        computed += len(passes[split])
        found[(split, m)] = feats
        if path is not None:
            try:
                _save_atomic(path, feats.numpy())
            except OSError as e:  # a read-only encoder folder costs the reuse, not the run
                em.log(f"Features of {Path(encoder_paths[m]).name} on {split} could not be cached in {path.parent} ({e.strerror}); "
                       "the next job computes them again.", "warning")
    fresh = {(s, m) for s, m, _ in todo}
    reused = [(s, m) for s, m, _ in plan if (s, m) not in fresh]
    if reused:
        em.log("features reused: " + ", ".join(f"{Path(encoder_paths[m]).name} {s} ({len(passes[s])} images)" for s, m in reused)
               + f" from {Path(encoder_paths[reused[0][1]]).parent / 'features'}.")
    out = {s: torch.cat([found[(s, m)] for m in range(len(encoder_paths))], dim=1) for s in passes}
    info = {"computed": computed, "reused": sum(len(passes[s]) for s, _ in reused), "seconds": time.perf_counter() - t0}
    return out, info


def rows(pass_idx: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Positions of ``idx`` in the sorted ``pass_idx`` (every one must be there)."""
    pos = np.searchsorted(pass_idx, idx)
    if len(idx) and (pos.max() >= len(pass_idx) or not np.array_equal(pass_idx[pos], idx)):
        raise ValueError("feature rows requested for images outside the feature pass")
    return pos
