"""Dataset caches (docs/architecture.md, "Dataset cache") and on-device batches.

Grey images are *replicated* to three channels (``expand``, no copy) rather than summing the first
convolution's weights over RGB. The two are the same function for a grey input, but replication keeps
every encoder a plain torchvision ``resnet18`` with a 3-channel ``conv1``: an encoder pretrained on
colour natural images and one pretrained on grey mammograms have one architecture, so they can be
fused, compared and loaded by anyone with ``resnet18().load_state_dict(sd, strict=False)``. The extra
cost is the first convolution only.

Augmentation runs on tensors on the training device: random translation (reflect-padded crop) and
brightness/contrast jitter. No flips or rotations: chest radiographs have a laterality, and flips and
rotations are the very signals the rotation and structure pretext tasks learn to detect.

Pretext batches never show padding (``crop_padding``): black bars of a padded cache (a mammogram
cropped to its breast and fitted to a square, CT imported with ``--resize pad``) sit at a position
that gives away a 90-degree rotation or a swap to a one-line border statistic, so each image is
taken as a square crop, at a random place along its longer side, of the box that holds its content.

Input pipeline (docs/performance.md). The loop names the next step's indices (``prefetch``) and one
background thread gathers them from the memory map, one batch ahead, while the current step
computes: a row-by-row copy in sorted index order (sequential reads when the cache is not in the page
cache; measured about 5x faster than numpy fancy indexing of a memory map) straight into pinned
memory when the device is CUDA, then one ``non_blocking`` copy to the device. Everything after the
copy (float conversion, resize, content crop, augmentation, normalisation, the pretext transforms)
runs on the device; the content boxes of padded images are found in the gather thread from the
uint8 pixels, so no step waits on a device-to-host copy. A prefetched batch is the very gather the
step would otherwise do inline, so results do not depend on the pipeline (tests/engine/test_pipeline.py).
"""

from __future__ import annotations

import json
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .errors import bad_input

SPLITS = ("train", "val", "test")
AHEAD = 2  # gathers a BatchMaker keeps queued: the next step's, and one the loop named but did not use


@dataclass
class Cache:
    """An opened dataset cache; arrays are memory-mapped, never decoded again."""

    dir: Path  # the cache folder
    meta: dict  # meta.json
    images: np.ndarray  # uint8, N x H x W or N x H x W x 3 (memory-mapped)
    labels: np.ndarray | None  # uint8 N x L multi-hot (memory-mapped)
    patients: np.ndarray | None  # int64 N patient index
    splits: dict  # split name -> uint32 indices
    mean: torch.Tensor  # per-channel mean (3,), pixels in [0, 1]
    std: torch.Tensor  # per-channel std (3,)

    @property
    def n(self) -> int:
        return int(self.images.shape[0])

    @property
    def label_names(self) -> list:
        return list(self.meta.get("label_names") or [])

    def split(self, name: str) -> np.ndarray:
        if name not in self.splits:
            raise bad_input(f"The dataset in {self.dir} has no split-{name}.npy; import it again so it gets train/val/test splits.")
        return self.splits[name]

    def normalisation(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}


def _load(path: Path, what: str):
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise bad_input(f"{what} is missing: {path}. Import the dataset again.") from None
    except (ValueError, OSError) as e:
        raise bad_input(f"{what} is not a readable .npy file ({path}: {e}). Import the dataset again.") from None


def open_cache(dir_: str | Path, need_labels: bool = False) -> Cache:
    """Opens and checks a cache; every mismatch is a BAD_INPUT error naming the file."""
    d = Path(dir_)
    if not d.is_dir():
        raise bad_input(f"The dataset folder {d} does not exist. Import the dataset, or check the path in the job.")
    try:
        meta = json.loads((d / "meta.json").read_text())
    except FileNotFoundError:
        raise bad_input(f"{d} has no meta.json, so it is not a dataset cache (or its import did not finish). Import it again.") from None
    except json.JSONDecodeError as e:
        raise bad_input(f"{d / 'meta.json'} is not valid JSON ({e}). Import the dataset again.") from None
    images = _load(d / "images.npy", "The image array")
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] != 3):
        raise bad_input(f"{d / 'images.npy'} has shape {images.shape} and dtype {images.dtype}; expected uint8 N x H x W or N x H x W x 3. Import the dataset again.")
    n = images.shape[0]
    if n == 0:
        raise bad_input(f"{d / 'images.npy'} holds no images. Import a dataset with at least one readable image.")
    if "n" in meta and int(meta["n"]) != n:
        raise bad_input(f"meta.json says n={meta['n']} but images.npy holds {n} images in {d}. Import the dataset again.")
    labels = None
    if (d / "labels.npy").exists():
        labels = _load(d / "labels.npy", "The label array")
        names = meta.get("label_names") or []
        if labels.ndim != 2 or labels.shape[0] != n or (names and labels.shape[1] != len(names)):
            raise bad_input(f"{d / 'labels.npy'} has shape {labels.shape}, which does not match {n} images and {len(names)} label names. Import the dataset again.")
    elif need_labels:
        raise bad_input(f"{d} has no labels.npy; a downstream job needs labelled images. Import a labelled dataset.")
    patients = None
    if (d / "patients.npy").exists():
        patients = _load(d / "patients.npy", "The patient array")
        if patients.shape != (n,):
            raise bad_input(f"{d / 'patients.npy'} has shape {patients.shape}; expected ({n},). Import the dataset again.")
    splits = {}
    for s in SPLITS:
        p = d / f"split-{s}.npy"
        if p.exists():
            idx = np.asarray(_load(p, f"The {s} split"))
            if idx.ndim != 1 or (idx.size and (int(idx.max()) >= n)):
                raise bad_input(f"{p} holds indices outside 0..{n - 1} (or is not 1-D); the splits do not match the images. Import the dataset again.")
            splits[s] = idx.astype(np.int64)
    channels = 3 if images.ndim == 4 else 1
    mean = _stat(meta.get("mean"), channels, 0.5, d, "mean")
    std = _stat(meta.get("std"), channels, 0.25, d, "std")
    if (std <= 0).any():
        raise bad_input(f"meta.json in {d} has a non-positive std {std.tolist()}. Import the dataset again.")
    return Cache(d, meta, images, labels, patients, splits, mean, std)


def _stat(value, channels: int, default: float, d: Path, name: str) -> torch.Tensor:
    if value is None:
        value = [default] * channels
    if isinstance(value, (int, float)):
        value = [value]
    if not isinstance(value, list) or len(value) not in (1, 3):
        raise bad_input(f"meta.json in {d} has {name}={value!r}; expected one value per channel. Import the dataset again.")
    t = torch.tensor([float(v) for v in value], dtype=torch.float32)
    return t.expand(3).clone() if t.numel() == 1 else t


def subset(indices: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """A seeded subset of at most ``cap`` indices, kept in sorted order."""
    if cap is None or cap >= len(indices):
        return indices
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(indices, size=cap, replace=False))


def pin_for(device) -> bool:
    """Whether gathers for ``device`` go to pinned memory: only CUDA has it (elsewhere it is an error or a waste)."""
    return torch.device(device).type == "cuda"


def gather(images: np.ndarray, idx: np.ndarray, pin: bool, boxes: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """uint8 pixels of ``idx`` as B x C x H x W on the CPU (pinned when ``pin``) and, with ``boxes``, their
    content boxes. Rows are copied in sorted index order into one buffer: sequential reads on disk."""
    out = torch.empty((len(idx), *images.shape[1:]), dtype=torch.uint8, pin_memory=pin)
    buf = out.numpy()
    for j in np.argsort(idx, kind="stable"):
        buf[j] = images[idx[j]]
    t = out.unsqueeze(1) if out.ndim == 3 else out.permute(0, 3, 1, 2)
    return t, content_boxes(t) if boxes else None


class BatchMaker:
    """Turns index lists into normalised ``B x 3 x S x S`` float tensors on the device.

    ``prefetch(idx)`` starts gathering ``idx`` in the background; the call that asks for the same
    indices takes that gather, any other call gathers inline. ``threaded=False`` never prefetches (the
    plain path the tests compare with). ``close()`` (or the end of a ``with`` block, or garbage
    collection) ends the gather thread."""

    def __init__(self, cache: Cache, image_size: int, device, channels_last: bool = False, crop_padding: bool = False,
                 threaded: bool = True):
        self.cache = cache
        self.crop_padding = crop_padding  # square crops inside each image's content box (pretext batches)
        self.size = int(image_size)
        self.device = device
        self.channels_last = channels_last
        self.mean = cache.mean.view(1, 3, 1, 1).to(device)
        self.inv_std = (1.0 / cache.std).view(1, 3, 1, 1).to(device)
        self.pin = pin_for(device)
        self.stats = {"prefetched": 0, "inline": 0}  # batches served from a prefetch / gathered inline
        self._pending: deque = deque()  # (indices, future) in the order the loop named them
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="xlab-gather") if threaded else None
        if self._pool is not None:  # a warm worker runs job after job: no thread may outlive its job's BatchMaker
            self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)

    def prefetch(self, idx: np.ndarray) -> None:
        """Starts gathering ``idx`` (the next step's indices) in the background; a no-op when unthreaded or closed."""
        if self._pool is None:
            return
        idx = np.array(idx, copy=True)
        self._pending.append((idx, self._pool.submit(gather, self.cache.images, idx, self.pin, self.crop_padding)))
        while len(self._pending) > AHEAD:
            self._pending.popleft()[1].cancel()

    def close(self) -> None:
        """Ends the gather thread (waiting for a gather in progress); later calls gather inline."""
        pool, self._pool = self._pool, None
        for _, fut in self._pending:
            fut.cancel()
        self._pending.clear()
        if pool is not None:
            self._finalizer.detach()
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "BatchMaker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _gathered(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = np.asarray(idx)
        for k, (want, fut) in enumerate(self._pending):
            if np.array_equal(want, idx):
                for _ in range(k + 1):  # earlier ones were named but skipped (an OOM retry changed the batch)
                    self._pending.popleft()
                self.stats["prefetched"] += 1
                return fut.result()  # an error of the gather is raised here, as it would be inline
        self.stats["inline"] += 1
        return gather(self.cache.images, idx, False, self.crop_padding)

    def raw(self, idx: np.ndarray) -> torch.Tensor:
        """uint8 pixels of ``idx`` as B x C x H x W on the device (one gather from the memory map)."""
        return self._gathered(idx)[0].to(self.device, non_blocking=True)

    def __call__(self, idx: np.ndarray, augment_gen: torch.Generator | None = None) -> torch.Tensor:
        cpu, boxes = self._gathered(idx)
        raw = cpu.to(self.device, non_blocking=True)
        x = raw.float().div_(255.0)
        if boxes is not None and not is_full(boxes, raw.shape[-2:]):
            full = is_full(boxes, raw.shape[-2:], per_image=True).to(x.device).view(-1, 1, 1, 1)
            cropped = square_crops(x, boxes, self.size, augment_gen)
            if x.shape[-1] != self.size or x.shape[-2] != self.size:
                x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
            x = torch.where(full, x, cropped)
        elif x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        if augment_gen is not None:
            x = augment(x, augment_gen)
        x = (x - self.mean) * self.inv_std  # broadcasting replicates grey to 3 channels
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def content_boxes(raw: torch.Tensor) -> torch.Tensor:
    """B x 4 (top, bottom, left, right; bottom/right exclusive) of the rows and columns of uint8 images
    B x C x H x W that hold any non-zero pixel: padding is exact zeros. An all-black image keeps its frame.
    On the CPU with numpy, in the gather thread: row maxima along the contiguous axis are 14x faster
    than torch's reductions over strided dimensions of a uint8 tensor (4 ms against 63 ms a 224 px batch of 256)."""
    a = raw.cpu().numpy()
    b, c, h, w = a.shape
    a = a[:, 0] if c == 1 else a.max(axis=1)  # B x H x W, the brightest channel
    rows, cols = a.max(axis=2) > 0, a.max(axis=1) > 0  # B x H, B x W
    box = np.stack([rows.argmax(1), h - rows[:, ::-1].argmax(1), cols.argmax(1), w - cols[:, ::-1].argmax(1)], 1)
    box[~rows.any(1)] = (0, h, 0, w)
    return torch.from_numpy(box.astype(np.int64))


def is_full(boxes: torch.Tensor, hw, per_image: bool = False):
    full = (boxes == torch.tensor([0, hw[0], 0, hw[1]], device=boxes.device)).all(1)
    return full if per_image else bool(full.all())


def square_crops(x: torch.Tensor, boxes: torch.Tensor, size: int, gen: torch.Generator | None) -> torch.Tensor:
    """The largest square inside each content box, at a random place along its longer side (centred
    without ``gen``), resampled to ``size`` x ``size``."""
    b, _, h, w = x.shape
    bf = boxes.float().cpu()
    bh, bw = bf[:, 1] - bf[:, 0], bf[:, 3] - bf[:, 2]
    side = torch.minimum(bh, bw)
    r = torch.rand(b, 2, generator=gen) if gen is not None else torch.full((b, 2), 0.5)
    y0 = bf[:, 0] + r[:, 0] * (bh - side)
    x0 = bf[:, 2] + r[:, 1] * (bw - side)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = side / w
    theta[:, 0, 2] = (2 * x0 + side) / w - 1
    theta[:, 1, 1] = side / h
    theta[:, 1, 2] = (2 * y0 + side) / h - 1
    # the B x S x S x 2 grid is built on the device: at 224 px it is 100 MB a batch, too much for a host copy
    grid = F.affine_grid(theta.to(x.device, x.dtype), [b, x.shape[1], size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def augment(x: torch.Tensor, gen: torch.Generator, max_shift: float = 0.125, jitter: float = 0.2) -> torch.Tensor:
    """Random translation by up to ``max_shift`` of the side (reflect padding) and brightness/contrast
    jitter of +-``jitter``; x is B x C x S x S in [0, 1]. Random numbers come from ``gen`` (CPU)."""
    b, _, s, _ = x.shape
    pad = max(1, int(round(s * max_shift)))
    xp = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    shifts = torch.randint(0, 2 * pad + 1, (b, 2), generator=gen)
    base = torch.arange(s)
    rows = (shifts[:, 0:1] + base).to(x.device)  # B x S
    cols = (shifts[:, 1:2] + base).to(x.device)
    c = x.shape[1]
    xp = xp.gather(2, rows.view(b, 1, s, 1).expand(b, c, s, xp.shape[3]))
    x = xp.gather(3, cols.view(b, 1, 1, s).expand(b, c, s, s))
    factors = (1 + (torch.rand(b, 2, generator=gen) * 2 - 1) * jitter).to(x.device)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * factors[:, 0].view(b, 1, 1, 1) + mean * factors[:, 1].view(b, 1, 1, 1)
    return x.clamp_(0, 1)
