"""multilabel14: the 14 findings as targets, per-finding AUROC and their mean against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from multilabel_cache import CHEST_LABELS, write_chest14_cache
from xlab.data import open_cache
from xlab.downstream.objective import Objective
from xlab.downstream.targets import make_targets, pos_weights
from xlab.metrics import multilabel_metrics


def test_per_finding_auroc_and_mean_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = (rng.random((80, 5)) < [0.5, 0.2, 0.1, 0.0, 0.3]).astype(int)  # finding 3 never occurs
    p = np.clip(y * 0.3 + rng.random((80, 5)) * 0.7, 0, 1)
    names = list("ABCDE")
    m = multilabel_metrics(y, p, names)
    for j, name in enumerate(names):
        expected = roc_auc_score(y[:, j], p[:, j]) if 0 < y[:, j].sum() < len(y) else None
        assert m["per_finding_auc"][name] == (pytest.approx(expected) if expected is not None else None)
    both = [j for j in range(5) if 0 < y[:, j].sum() < len(y)]
    assert m["mean_auc"] == pytest.approx(roc_auc_score(y[:, both], p[:, both], average="macro"))
    assert m["roc_auc"] == m["mean_auc"]
    bce = -np.mean(y * np.log(p.clip(1e-12, 1 - 1e-12)) + (1 - y) * np.log((1 - p).clip(1e-12, 1 - 1e-12)))
    assert m["loss"] == pytest.approx(bce)
    assert m["accuracy"] == pytest.approx(((p >= 0.5) == y).mean())


def test_the_target_is_every_finding_column_in_cache_order(tmp_path):
    cache = open_cache(write_chest14_cache(tmp_path / "c14", n=60), need_labels=True)
    y, names = make_targets(cache.labels, cache.label_names, "multilabel14")
    assert names == [n for n in CHEST_LABELS if n != "No Finding"] and len(names) == 14
    assert y.shape == (60, 14) and np.array_equal(y[:, names.index("Pneumonia")], cache.labels[:, CHEST_LABELS.index("Pneumonia")])


def test_a_label_column_outside_the_fourteen_is_left_out_with_a_warning():
    names = CHEST_LABELS + ["Tuberculosis"]
    labels = np.zeros((3, len(names)), np.uint8)
    warned = []
    y, findings = make_targets(labels, names, "multilabel14", warn=warned.append)
    assert len(findings) == 14 and "Tuberculosis" not in findings and "Tuberculosis" in warned[0]


def test_pos_weight_is_negatives_over_positives_per_finding_and_bce_uses_it():
    import torch
    y = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]])
    w = pos_weights(y)
    assert w.tolist() == [3.0, 1.0, 1 / 3]  # finding 1 has no positives: nothing to balance
    obj = Objective(True, ["a", "b", "c"], w)
    logits = torch.zeros(4, 3)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float32),
                                                                    pos_weight=torch.tensor(w, dtype=torch.float32))
    assert float(obj.loss(logits, obj.targets(y))) == pytest.approx(float(expected))
    assert torch.allclose(obj.probs(torch.tensor([[0.0, 2.0, -2.0]])), torch.sigmoid(torch.tensor([[0.0, 2.0, -2.0]])))
