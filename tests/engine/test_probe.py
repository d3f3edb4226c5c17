"""The probe job: invariance profiles and dataset similarity (engine/xlab/probe.py, similarity.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from xlab import fixtures, probe, similarity as sim

ENGINE = Path(__file__).resolve().parents[2] / "engine"


class SortedPixels(nn.Module):
    """A 'feature' that is the sorted list of pixel values: blind to where pixels are, not to their values."""

    def forward(self, x):
        return torch.sort(x.flatten(1), dim=1).values


def test_transforms_move_pixels_as_named():
    x = torch.arange(16.0).view(1, 1, 4, 4).expand(1, 3, 4, 4)
    t = probe.TRANSFORMS
    assert torch.equal(t["rot90"](t["rot90"](x)), t["rot180"](x))
    assert torch.equal(t["hflip"](x)[0, 0, 0], torch.tensor([3.0, 2.0, 1.0, 0.0]))
    assert torch.equal(t["half_swap_lr"](x)[0, 0, 0], torch.tensor([2.0, 3.0, 0.0, 1.0]))
    assert torch.equal(t["half_swap_tb"](x)[0, 0, :, 0], torch.tensor([8.0, 12.0, 0.0, 4.0]))
    q = t["quadrant_shuffle"](x)[0, 0]
    # top-left quadrant (0,1,4,5) moved to top-right; every quadrant left its place
    assert torch.equal(q[:2, 2:], torch.tensor([[0.0, 1.0], [4.0, 5.0]]))
    for r in (slice(0, 2), slice(2, 4)):
        for c in (slice(0, 2), slice(2, 4)):
            assert not torch.equal(q[r, c], x[0, 0][r, c])
    m = t["mask"](x / 15)[0, 0]
    assert torch.allclose(m[1:3, 1:3], torch.full((2, 2), 0.5))
    assert torch.equal(m[0], (x / 15)[0, 0, 0])


def test_invariance_profile_known_answers():
    """A pixel-order-blind feature is fully invariant to every rearrangement and not to intensity changes."""
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.uniform(0.1, 0.7, size=(6, 3, 8, 8))).float()
    prof = probe.invariance_profile(SortedPixels(), images, torch.zeros(3), torch.ones(3), "cpu", batch_size=4)
    raw, inv = prof["raw"], prof["baselined"]
    for name in ("rot90", "rot180", "hflip", "vflip", "half_swap_lr", "half_swap_tb", "quadrant_shuffle"):
        assert raw[name] == pytest.approx(1.0, abs=1e-6), name
        assert inv[name] == pytest.approx(1.0, abs=1e-5), name
    # uniform(0.1, 0.7) pixels shifted by +0.2 keep a positive but smaller cosine
    assert raw["contrast"] < 0.999
    assert raw["mask"] < 1.0
    assert set(raw) == set(inv) == set(probe.TRANSFORMS)


class HalfSums(nn.Module):
    """Features [sum of the left half, sum of the right half] of channel 0: a 2-d feature whose cosines are easy to compute by hand."""

    def forward(self, x):
        w = x.shape[-1] // 2
        return torch.stack([x[:, 0, :, :w].sum((1, 2)), x[:, 0, :, w:].sum((1, 2))], dim=1)


def test_baselined_invariance_hand_computed():
    """x1 = left half bright -> f = [c, 0]; x2 = all bright -> f = [c, c].

    Unrelated pair: cos([c,0], [c,c]) = 1/sqrt(2) both ways, so mean cos(x, y) = 0.70711.
    hflip: x1 -> [0, c] (cos 0), x2 unchanged (cos 1): raw mean 0.5, baselined (0.5 - 0.70711) / (1 - 0.70711) = -0.70711.
    vflip moves nothing between the halves: raw 1, baselined 1.
    """
    x1 = torch.zeros(1, 3, 4, 4)
    x1[..., :2] = 1.0
    x2 = torch.ones(1, 3, 4, 4)
    prof = probe.invariance_profile(HalfSums(), torch.cat([x1, x2]), torch.zeros(3), torch.ones(3), "cpu", batch_size=1)
    r = 1 / np.sqrt(2)
    assert prof["unrelated"] == pytest.approx(r, abs=1e-6)
    assert prof["raw"]["hflip"] == pytest.approx(0.5, abs=1e-6)
    assert prof["baselined"]["hflip"] == pytest.approx((0.5 - r) / (1 - r), abs=1e-6)
    assert prof["baselined"]["hflip"] == pytest.approx(-0.707107, abs=1e-5)
    assert prof["baselined"]["vflip"] == pytest.approx(1.0, abs=1e-6)
    assert probe.baselined(0.97, 0.97) == 0.0
    assert np.isnan(probe.baselined(1.0, 1.0))


def test_random_init_features_share_a_component_the_baseline_removes():
    """Under a random-init ResNet-18 any two images have a raw cosine near 1; baselined, an unrelated image scores 0 by construction."""
    rng = np.random.default_rng(3)
    images = torch.from_numpy(rng.uniform(0, 1, size=(8, 3, 32, 32))).float()
    prof = probe.invariance_profile(sim.random_init_encoder(0, "cpu"), images, torch.full((3,), 0.5), torch.full((3,), 0.25), "cpu")
    assert prof["unrelated"] > 0.8
    assert all(v <= 1.0 + 1e-6 for v in prof["baselined"].values())
    # same seed, same weights
    a, b = sim.random_init_encoder(5, "cpu"), sim.random_init_encoder(5, "cpu")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_frechet_distance_known_values():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((400, 4))
    assert sim.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifted = a + np.array([3.0, 0.0, 0.0, 4.0])  # same covariance, mean moved by length 5
    assert sim.frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-6)
    scaled = a * 2.0  # mean 2mu, cov 4C: ||mu||^2 + Tr(C + 4C - 2*2C) = ||mu||^2 + Tr(C)
    expected = (a.mean(0) ** 2).sum() + np.trace(np.cov(a, rowvar=False))
    assert sim.frechet_distance(a, scaled) == pytest.approx(expected, rel=1e-6)


def test_low_level_statistics():
    flat = np.full((2, 16, 16), 0.5)
    h = sim.intensity_histogram(flat)
    assert h.sum() == pytest.approx(1.0) and h.max() == pytest.approx(1.0)
    noise = np.random.default_rng(2).uniform(0, 1, (4, 16, 16))
    yy = np.linspace(0, 1, 16)
    smooth = np.broadcast_to(np.sin(2 * np.pi * yy)[None, :, None] * 0.4 + 0.5, (4, 16, 16))
    # white noise spreads power over all radii; a smooth ramp puts it at the lowest frequency
    s_noise, s_smooth = sim.radial_log_spectrum(noise), sim.radial_log_spectrum(smooth)
    assert s_smooth[0] - s_smooth[-1] > s_noise[0] - s_noise[-1] + 3


def _run_worker(tmp: Path, params: dict, seed: int = 0) -> tuple[int, list[dict]]:
    job = {"v": 1, "kind": "probe", "run_id": "r-probe", "run_dir": str(tmp / "run"), "seed": seed, "device": "cpu", "threads": 1, "params": params}
    (tmp / "job.json").write_text(json.dumps(job))
    env = {**os.environ, "PYTHONPATH": str(ENGINE)}
    p = subprocess.run([sys.executable, "-m", "xlab.worker", "--job", str(tmp / "job.json")], capture_output=True, text=True, env=env, timeout=300)
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_invariance_job_through_the_worker(tmp_path):
    ds = fixtures.write_cache(tmp_path / "chest", n=60, size=32, labelled=True)
    torch.manual_seed(0)
    from xlab.models import Encoder
    enc_path = tmp_path / "encoder__rotation__x__s0.pth"
    torch.save({k: v for k, v in Encoder().net.state_dict().items() if not k.startswith("fc.")}, enc_path)
    rc, msgs = _run_worker(tmp_path, {"mode": "invariance", "encoder": str(enc_path), "dataset_dir": str(ds), "n_images": 8, "image_size": 32})
    assert rc == 0, msgs[-1]
    done = msgs[-1]
    assert done["type"] == "done"
    s = done["summary"]
    inv = s["invariance"]
    assert s["split"] == "val" and s["measure"] == "baselined"
    assert set(inv) == {"rot90", "rot180", "hflip", "vflip", "half_swap_lr", "half_swap_tb", "quadrant_shuffle", "mask", "brightness", "contrast"}
    assert all(v <= 1.0 + 1e-6 for v in inv.values())
    assert 0 < s["unrelated_cosine"] <= 1
    assert any(m["type"] == "metric" and m["split"] == "val" and "inv_rot90" in m["values"] for m in msgs)
    assert (tmp_path / "run" / "summary.json").exists()


def test_random_init_reference_through_the_worker(tmp_path):
    ds = fixtures.write_cache(tmp_path / "chest", n=60, size=32, labelled=True)
    rc, msgs = _run_worker(tmp_path, {"mode": "invariance", "reference": "random-init", "dataset_dir": str(ds), "n_images": 8, "image_size": 32})
    assert rc == 0, msgs[-1]
    s = msgs[-1]["summary"]
    assert s["reference"] == "random-init" and s["encoder"] is None
    assert set(s["invariance"]) == set(probe.TRANSFORMS)


def test_similarity_job_ranks_a_look_alike_closer(tmp_path):
    chest = fixtures.write_cache(tmp_path / "chest", n=60, size=32, labelled=True, seed=0)
    same = fixtures.write_cache(tmp_path / "same", n=60, size=32, seed=7)
    inverted = fixtures.write_cache(tmp_path / "inverted", n=60, size=32, seed=8)
    # the negative of the same kind of scene: other grey levels, same spatial frequencies
    np.save(inverted / "images.npy", 255 - np.load(inverted / "images.npy"))
    rc, msgs = _run_worker(tmp_path, {"mode": "similarity", "reference_dir": str(chest), "dataset_dirs": {"same": str(same), "inverted": str(inverted)}, "n_images": 24, "image_size": 32})
    assert rc == 0, msgs[-1]
    s = msgs[-1]["summary"]
    assert set(s["similarity"]) == {"same", "inverted"}
    for key in ("frechet", "histogram_l1", "spectrum_l2"):
        assert s["similarity"]["same"][key] >= 0
    assert s["similarity"]["same"]["histogram_l1"] < s["similarity"]["inverted"]["histogram_l1"]
    assert s["similarity"]["same"]["frechet"] < s["similarity"]["inverted"]["frechet"]
    # negation leaves the power spectrum of a mean-removed image unchanged
    assert s["similarity"]["inverted"]["spectrum_l2"] < 0.5
    assert "reference_self" in s


def test_bad_mode_is_refused_with_a_sentence(tmp_path):
    rc, msgs = _run_worker(tmp_path, {"mode": "colour"})
    assert rc == 2
    assert msgs[-1]["type"] == "error" and msgs[-1]["code"] == "BAD_INPUT"
    assert "params.mode" in msgs[-1]["message"]
