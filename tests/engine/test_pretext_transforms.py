"""The pretext transforms: structure corruptions (batched == per image, never the identity),
rotation batches, inpainting masks within the requested area range."""

import numpy as np
import pytest
import torch

from xlab.pretext import build_task
from xlab.pretext.inpainting import make_masks
from xlab.pretext.structure import ALL_FAMILIES, QUADRANT_PERMS, corrupt_batch


def reference(img: np.ndarray, family: str, variant: int) -> np.ndarray:
    """The corruption of one C x S x S image written out with numpy slicing, independently of the engine."""
    h = img.shape[-1] // 2
    if family == "hflip":
        return img[:, :, ::-1]
    if family == "vflip":
        return img[:, ::-1, :]
    if family == "half_swap_lr":
        return np.concatenate([img[:, :, h:], img[:, :, :h]], axis=2)
    if family == "half_swap_tb":
        return np.concatenate([img[:, h:, :], img[:, :h, :]], axis=1)
    if family == "quadrant_shuffle":
        q = [img[:, :h, :h], img[:, :h, h:], img[:, h:, :h], img[:, h:, h:]]
        q = [q[i] for i in QUADRANT_PERMS[variant % len(QUADRANT_PERMS)]]
        return np.concatenate([np.concatenate(q[:2], axis=2), np.concatenate(q[2:], axis=2)], axis=1)
    if family == "rotation":  # counter-clockwise quarter turns, as np.rot90 on (rows, cols)
        return np.rot90(img, 1 + variant % 3, axes=(1, 2))
    raise ValueError(family)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_corruptions_match_the_reference_per_image_and_change_the_image(family):
    x = torch.randn(3, 3, 8, 8)
    for v in range(len(QUADRANT_PERMS)):
        batched = corrupt_batch(x, family, v)
        want = np.stack([reference(xi, family, v) for xi in x.numpy()])
        assert np.array_equal(batched.numpy(), want), (family, v)
        assert not torch.equal(batched, x)


def test_structure_batch_is_balanced_and_labels_match():
    task = build_task("structure", structure_families=ALL_FAMILIES)
    x = torch.randn(16, 3, 8, 8)
    b = task.make_batch(x, torch.Generator().manual_seed(0))
    assert int(b["y"].sum()) == 8
    changed = (b["x"] != x).flatten(1).any(1)
    assert torch.equal(changed, b["y"].bool())


def test_rotation_all4_batch():
    task = build_task("rotation")
    x = torch.randn(2, 3, 8, 8)
    b = task.make_batch(x, torch.Generator().manual_seed(0))
    assert b["y"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert torch.equal(b["x"][6], torch.rot90(x[0], 3, dims=(1, 2)))


@pytest.mark.parametrize("shape", ["rect", "freeform", "mixed"])
def test_masks_are_binary_and_near_the_area_range(shape):
    m = make_masks(64, 32, torch.Generator().manual_seed(1), shape, 0.1, 0.25, "cpu")
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    frac = m.flatten(1).mean(1)
    assert 0.05 < frac.mean() < 0.35 and (frac > 0).all()
