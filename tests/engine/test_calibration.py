"""Calibration (ECE, Brier, reliability bins) against hand-computed cases."""

import numpy as np
import pytest

from xlab.downstream.calibration import per_finding_calibration, top_label_calibration


def test_top_label_ece_and_brier_by_hand():
    probs = np.array([[0.9, 0.1], [0.15, 0.85], [0.38, 0.62], [0.45, 0.55], [0.12, 0.88]])
    y = np.array([0, 0, 1, 0, 0])
    c = top_label_calibration(y, probs)
    # confidences .9 (right) and .88 (wrong) share the bin (13/15, 14/15]: |0.5 - 0.89| with weight 2/5;
    # .85 wrong, .62 right, .55 wrong sit alone in their bins
    assert c["ece"] == pytest.approx((2 * 0.39 + 0.85 + 0.38 + 0.55) / 5)
    # Brier: sum over classes of (p - y)^2, averaged over images
    assert c["brier"] == pytest.approx((0.02 + 1.445 + 0.2888 + 0.605 + 1.5488) / 5)
    assert c["n_bins"] == 15 and len(c["bins"]) == 15 and c["kind"] == "top-label"
    b13 = c["bins"][13]
    assert b13["lo"] == pytest.approx(13 / 15) and b13["hi"] == pytest.approx(14 / 15)
    assert b13["n"] == 2 and b13["confidence"] == pytest.approx(0.89) and b13["accuracy"] == pytest.approx(0.5)
    assert c["bins"][0] == {"lo": 0.0, "hi": pytest.approx(1 / 15), "n": 0, "confidence": None, "accuracy": None}
    assert sum(b["n"] for b in c["bins"]) == 5


def test_perfectly_calibrated_and_certain_predictions_score_zero():
    y = np.array([0, 1, 2])
    c = top_label_calibration(y, np.eye(3))
    assert c["ece"] == 0.0 and c["brier"] == 0.0 and c["bins"][14]["n"] == 3


def test_per_finding_calibration_treats_every_image_finding_pair_as_binary():
    probs = np.array([[0.1, 0.7], [0.9, 0.3]])
    y = np.array([[0, 1], [1, 0]])
    c = per_finding_calibration(y, probs)
    # four pairs, each alone in its bin: |0 - .1|, |1 - .7|, |1 - .9|, |0 - .3|
    assert c["ece"] == pytest.approx((0.1 + 0.3 + 0.1 + 0.3) / 4)
    assert c["brier"] == pytest.approx((0.01 + 0.09 + 0.01 + 0.09) / 4)
    assert c["kind"] == "per-finding" and c["bins"][10]["accuracy"] == 1.0 and c["bins"][10]["confidence"] == pytest.approx(0.7)
