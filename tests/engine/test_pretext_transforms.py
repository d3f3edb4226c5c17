"""The pretext transforms: structure tiling and corruptions (whole-image ones against a numpy reference),
rotation batches, inpainting masks within the requested area range, and the two unlearned inpainting
fills that the validation scores beside the network."""

import numpy as np
import pytest
import torch

from xlab.pretext import build_task
from xlab.pretext.inpainting import make_masks, mean_fill, smooth_fill
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

def test_mean_fill_puts_each_images_visible_mean_in_its_hole():
    x = torch.rand(4, 3, 32, 32)
    m = make_masks(4, 32, torch.Generator().manual_seed(3), "mixed", 0.1, 0.25, "cpu")
    f = mean_fill(x * (1 - m), m)
    assert torch.equal(f * (1 - m), x * (1 - m))  # visible pixels are kept
    for i in range(4):
        vis = m[i, 0] == 0
        for c in range(3):
            assert f[i, c][~vis].unique().numel() == 1
            assert float(f[i, c][~vis][0]) == pytest.approx(float(x[i, c][vis].mean()), abs=1e-5)


@pytest.mark.parametrize("size", [32, 33, 224])
def test_smooth_fill_interpolates_a_smooth_image_far_better_than_the_mean(size):
    """On a smooth ramp the push-pull fill lands near the truth inside the hole (a fill that learns
    nothing about content still beats the mean on smooth images), and it never touches visible pixels."""
    ar = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(ar, ar, indexing="ij")
    x = torch.stack([xx, yy, xx * yy]).unsqueeze(0).repeat(6, 1, 1, 1)
    m = make_masks(6, size, torch.Generator().manual_seed(4), "mixed", 0.1, 0.25, "cpu")
    hole_l1 = lambda y: float(((y - x).abs() * m).sum() / (m.sum() * 3))  # noqa: E731
    smooth, mean = smooth_fill(x * (1 - m), m), mean_fill(x * (1 - m), m)
    assert torch.equal(smooth * (1 - m), x * (1 - m))
    assert torch.isfinite(smooth).all()
    assert hole_l1(smooth) < 0.35 * hole_l1(mean), (hole_l1(smooth), hole_l1(mean))


def test_every_task_states_its_chance_level_and_the_margin_over_it():
    from xlab.pretext.base import margin_over_chance
    rot, struct, inp = build_task("rotation"), build_task("structure"), build_task("inpainting")
    assert margin_over_chance({"accuracy": 0.4}, rot.chance({}))["margin"] == pytest.approx(0.15)
    assert margin_over_chance({"accuracy": 0.4}, struct.chance({}))["margin"] == pytest.approx(-0.1)
    x = torch.randn(8, 3, 32, 32)
    batch = inp.make_batch(x, torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, out = inp.loss(batch)
    val = inp.summarise(inp.eval_counts(batch, out))
    # the mean fill's hole L1 is what a model that has learned nothing about content scores
    assert set(val) == {"hole_l1", "hole_l1_mean_fill", "hole_l1_smooth_fill"}
    c = margin_over_chance(val, inp.chance(val))
    assert c["better"] == "lower" and c["value"] == val["hole_l1_mean_fill"]
    assert c["margin"] == pytest.approx(val["hole_l1_mean_fill"] - val["hole_l1"])
    assert c["ratio"] == pytest.approx(val["hole_l1"] / val["hole_l1_mean_fill"])
