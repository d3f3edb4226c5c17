"""Metrics and targets against hand-computed values on small known cases."""

import numpy as np
import pytest

from xlab.downstream.targets import class_weights, make_targets, stratified_cap
from xlab.metrics import classification_metrics
from xlab.optim import lr_factor


def test_binary_metrics_by_hand():
    y = [0, 0, 1, 1]
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.35, 0.65], [0.8, 0.2]])
    m = classification_metrics(y, probs)
    # predictions 0,1,1,0 -> TN=1 FP=1 TP=1 FN=1
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["balanced_accuracy"] == pytest.approx(0.5)
    assert m["f1_weighted"] == pytest.approx(0.5)
    assert m["confusion_matrix"] == [[1, 1], [1, 1]]
    # positives score 0.65, 0.2; negatives 0.1, 0.6: pairs won 0.65>0.1, 0.65>0.6, 0.2>0.1 -> 3/4
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.65, 0.2])))


def test_three_class_metrics_by_hand():
    y = [0, 0, 1, 2, 2, 2]
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3]])
    m = classification_metrics(y, probs)
    # predictions 0,1,1,2,2,0
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 1 + 2 / 3) / 3)
    f1 = [2 * 0.5 * 0.5 / 1.0, 2 * 0.5 * 1 / 1.5, 2 * 1 * (2 / 3) / (1 + 2 / 3)]  # per class: P,R -> F1
    assert m["f1_weighted"] == pytest.approx((2 * f1[0] + 1 * f1[1] + 3 * f1[2]) / 6)
    # one-vs-rest AUCs: class 0 {0.7,0.2} vs {0.1,0.1,0.3,0.5}: 4+2.5... computed pairwise
    def auc(pos, neg):
        return np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    p = probs
    aucs = [auc(p[[0, 1], 0], p[[2, 3, 4, 5], 0]), auc(p[[2], 1], p[[0, 1, 3, 4, 5], 1]), auc(p[[3, 4, 5], 2], p[[0, 1, 2], 2])]
    assert m["roc_auc"] == pytest.approx(np.mean(aucs))


def test_auc_is_none_with_one_class():
    assert classification_metrics([1, 1], np.array([[0.2, 0.8], [0.6, 0.4]]))["roc_auc"] is None


def test_targets_from_chestxray14_labels():
    names = ["Atelectasis", "No Finding", "Pneumonia", "Effusion"]
    labels = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 1], [0, 0, 0, 1]], dtype=np.uint8)
    yb, nb = make_targets(labels, names, "binary")
    assert yb.tolist() == [0, 1, 1, 1, 1] and nb == ["No Finding", "Finding"]
    y3, n3 = make_targets(labels, names, "3class")
    assert y3.tolist() == [0, 2, 1, 1, 2] and n3[1] == "Pneumonia"


def test_targets_need_chest_labels():
    from xlab.errors import JobError
    with pytest.raises(JobError, match="No Finding"):
        make_targets(np.zeros((2, 2), np.uint8), ["cat", "dog"], "binary")


def test_class_weights_and_cap():
    y = np.array([0] * 6 + [1] * 2)
    assert class_weights(y, 3).tolist() == pytest.approx([8 / 18, 8 / 6, 0.0])
    idx = np.arange(8)
    cap = stratified_cap(idx, y, 4, seed=0)
    assert len(cap) == 4 and (y[cap] == 1).sum() == 1


def test_lr_schedule():
    assert lr_factor(0, 100, "cosine") == pytest.approx(1.0)
    assert lr_factor(50, 100, "cosine") == pytest.approx(0.5)
    assert lr_factor(2, 100, "cosine", warmup_steps=4) == pytest.approx(0.75)
    assert lr_factor(70, 99, "step") == pytest.approx(0.01)
    assert lr_factor(70, 99, "constant") == 1.0
