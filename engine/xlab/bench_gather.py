"""The gather rate of the input pipeline (docs/performance.md): images per second that the background
gather of BatchMaker (data.gather, through prefetch) delivers from a page-cached memory-mapped cache,
against the rates a GPU consumes. Part of ``python -m xlab.bench``.

The cache is generated in a temporary folder (uint8, grey, ``n`` images of ``size`` px), read once so
it sits in the page cache, and deleted afterwards. Batches are random draws without replacement, as
a shuffled epoch takes them. One gather thread is what BatchMaker uses; the same gathers split over
more threads are measured too, to show whether one is enough.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .data import BatchMaker, Cache

# Images per second a GPU consumes at 224 px (ResNet-18, bf16 autocast, channels_last): training on an
# H100-class GPU, and the forward pass only of frozen-feature extraction.
GPU_NEEDS = {"ResNet-18 training (H100)": 10_000, "frozen-feature extraction (H100)": 30_000}


def page_cached_cache(dir_: Path, n: int, size: int, seed: int = 0) -> Cache:
    """A grey uint8 cache of ``n`` random images, written in chunks and read once (page-cached)."""
    import torch
    path = dir_ / "images.npy"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size))
    rng = np.random.default_rng(seed)
    for i in range(0, n, 1000):
        mm[i:i + 1000] = rng.integers(0, 256, (min(1000, n - i), size, size), dtype=np.uint8)
    mm.flush()
    del mm
    images = np.load(path, mmap_mode="r")
    with open(path, "rb") as f:  # read once: the whole file is in the page cache
        while f.read(1 << 24):
            pass
    one = torch.ones(3) * 0.5
    return Cache(dir_, {"n": n}, images, None, None, {}, one, one * 0.5)


def pipeline_rate(cache: Cache, batch: int, batches: int, crop_padding: bool, seed: int = 1) -> float:
    """Images/s of BatchMaker's gather thread: each batch is named one ahead and taken from the queue
    (``BatchMaker._gathered``, what a step waits for), nothing else runs."""
    rng = np.random.default_rng(seed)
    draws = [rng.choice(cache.n, size=batch, replace=False) for _ in range(batches + 1)]
    with BatchMaker(cache, cache.images.shape[1], "cpu", crop_padding=crop_padding) as bm:
        bm._gathered(draws[0])  # thread start-up
        t0 = time.perf_counter()
        bm.prefetch(draws[1])
        for k in range(1, batches + 1):
            if k < batches:
                bm.prefetch(draws[k + 1])
            bm._gathered(draws[k])
        return batch * batches / (time.perf_counter() - t0)


def threads_rate(cache: Cache, batch: int, batches: int, threads: int, seed: int = 1) -> float:
    """Images/s of ``threads`` threads each gathering whole batches (data.gather) at the same time."""
    from .data import gather
    rng = np.random.default_rng(seed)
    draws = [rng.choice(cache.n, size=batch, replace=False) for _ in range(batches)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda d: gather(cache.images, d, False, False), draws[:threads]))  # start-up
        t0 = time.perf_counter()
        list(pool.map(lambda d: gather(cache.images, d, False, False), draws))
        return batch * batches / (time.perf_counter() - t0)


def gather_results(n: int = 20_000, size: int = 224, batch: int = 256, batches: int = 40, log=print) -> list[dict]:
    """Bench rows: the one-thread pipeline rate (plain, and with the content boxes pretext batches
    need) beside each GPU rate, and what two threads give."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="xlab-gather-") as t:
        log(f"gather: writing a {n} x {size} x {size} uint8 cache ({n * size * size / 2**30:.2f} GiB) and reading it into the page cache")
        cache = page_cached_cache(Path(t), n, size)
        plain = pipeline_rate(cache, batch, batches, crop_padding=False)
        boxes = pipeline_rate(cache, batch, batches, crop_padding=True)
        two = threads_rate(cache, batch, batches, 2)
        one = threads_rate(cache, batch, batches, 1)
        del cache
    for what, rate in GPU_NEEDS.items():
        rows.append({"name": f"gather {size}px b{batch}, 1 thread, vs {what}", "value": round(plain, 0), "unit": "img/s",
                     "reference": rate, "ratio": round(plain / rate, 3)})
    rows.append({"name": f"gather {size}px b{batch} + content boxes (pretext), 1 thread, vs training", "value": round(boxes, 0),
                 "unit": "img/s", "reference": GPU_NEEDS["ResNet-18 training (H100)"],
                 "ratio": round(boxes / GPU_NEEDS["ResNet-18 training (H100)"], 3)})
    rows.append({"name": f"gather {size}px b{batch}: 2 threads vs 1", "value": round(two, 0), "unit": "img/s",
                 "reference": round(one, 0), "ratio": round(two / one, 3)})
    log(f"gather {size}px b{batch}: {plain:,.0f} img/s one thread ({boxes:,.0f} with content boxes); "
        f"{two:,.0f} img/s with 2 threads against {one:,.0f} with 1 | a GPU needs "
        + ", ".join(f"{v:,} ({k})" for k, v in GPU_NEEDS.items()))
    return rows
