"""The pretext transforms: structure tiling and corruptions (whole-image ones against a numpy reference),
rotation batches, inpainting masks within the requested area range."""

import numpy as np
import pytest
import torch

from xlab.pretext import build_task
from xlab.pretext.inpainting import make_masks
from xlab.pretext.structure import ALL_FAMILIES, HALF_SWAPS, QUADRANT_PERMS, corrupt_batch, gap_px, tile


def reference(img: np.ndarray, family: str, variant: int) -> np.ndarray:
    """A whole-image corruption of one C x S x S image written out with numpy, independently of the engine."""
    if family == "hflip":
        return img[:, :, ::-1]
    if family == "vflip":
        return img[:, ::-1, :]
    if family == "rotation":  # counter-clockwise quarter turns, as np.rot90 on (rows, cols)
        return np.rot90(img, 1 + variant % 3, axes=(1, 2))
    raise ValueError(family)


@pytest.mark.parametrize("family", ["hflip", "vflip", "rotation"])
def test_whole_image_corruptions_match_the_reference_and_change_the_image(family):
    x = torch.randn(3, 3, 8, 8)
    for v in range(3):
        batched = corrupt_batch(x, family, v)
        want = np.stack([reference(xi, family, v) for xi in x.numpy()])
        assert np.array_equal(batched.numpy(), want), (family, v)
        assert not torch.equal(batched, x)


def cells(out: torch.Tensor) -> list:
    """The four output tiles TL, TR, BL, BR of tile()'s layout."""
    s = out.shape[-1]
    t, g = (s - gap_px(s)) // 2, gap_px(s)
    return [out[..., :t, :t], out[..., :t, t + g:], out[..., t + g:, :t], out[..., t + g:, t + g:]]


@pytest.mark.parametrize("perm", [*HALF_SWAPS.values(), *QUADRANT_PERMS])
def test_tile_families_place_the_same_tiles_elsewhere(perm):
    x = torch.randn(4, 3, 32, 32)
    whole = tile(x, torch.tensor([(0, 1, 2, 3)] * 4), torch.Generator().manual_seed(5))
    moved = tile(x, torch.tensor([perm] * 4), torch.Generator().manual_seed(5))
    for k, src in enumerate(perm):
        assert torch.allclose(cells(moved)[k], cells(whole)[src], atol=1e-5), (perm, k)


def test_quadrant_permutations_leave_out_the_identity_and_the_half_swaps():
    assert len(QUADRANT_PERMS) == 21
    assert (0, 1, 2, 3) not in QUADRANT_PERMS and not set(HALF_SWAPS.values()) & set(QUADRANT_PERMS)


def test_every_image_is_tiled_and_the_batch_is_balanced():
    task = build_task("structure", structure_families=ALL_FAMILIES)
    x = torch.randn(16, 3, 32, 32)
    b = task.make_batch(x, torch.Generator().manual_seed(0))
    assert int(b["y"].sum()) == 8 and torch.equal(b["y"].bool(), b["family"] >= 0)
    centre = b["x"][..., 15:17, :]  # the cross runs through every image, intact ones too
    assert torch.count_nonzero(centre) == 0 and (b["x"][b["y"] == 0] != x[b["y"] == 0]).any()


def test_rotation_all4_batch():
    task = build_task("rotation")
    x = torch.randn(2, 3, 8, 8)
    b = task.make_batch(x, torch.Generator().manual_seed(0))
    assert b["y"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert torch.equal(b["x"][6], torch.rot90(x[0], 3, dims=(1, 2)))


@pytest.mark.parametrize("shape", ["rect", "freeform", "mixed"])
@pytest.mark.parametrize("size", [32, 64])
def test_masks_are_binary_and_inside_the_area_range(shape, size):
    """1,000 masks, every one with its hole area in [min_area, max_area]."""
    m = make_masks(1000, size, torch.Generator().manual_seed(1), shape, 0.1, 0.25, "cpu")
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    frac = m.flatten(1).mean(1)
    assert frac.min() >= 0.1 and frac.max() <= 0.25, (float(frac.min()), float(frac.max()))
    assert frac.std() > 0.02  # the area is drawn, not fixed