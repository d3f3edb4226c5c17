"""kNN on frozen features (DINO's weighted vote) against hand-computed cases."""

import math

import numpy as np
import pytest
import torch

from xlab.downstream.knn import knn_scores

# four train images in a 2-D feature space and one query (2, 1); cosines worked out by hand:
# a=(1,0): 2/sqrt5   b=(0,1): 1/sqrt5   c=(1,1): 3/sqrt10   d=(-1,0): -2/sqrt5
TRAIN = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
LABELS = np.array([0, 1, 1, 0])
QUERY = torch.tensor([[2.0, 1.0]])


def test_two_nearest_vote_with_exp_of_cosine_over_temperature():
    # k=2: c (class 1) and a (class 0) are nearest; weights exp(cos / T) with T = 0.5
    probs = knn_scores(TRAIN, LABELS, QUERY, k=2, temperature=0.5, n_out=2, multilabel=False)
    wc, wa = math.exp((3 / math.sqrt(10)) / 0.5), math.exp((2 / math.sqrt(5)) / 0.5)
    assert probs[0] == pytest.approx([wa / (wa + wc), wc / (wa + wc)], abs=1e-6)


def test_a_third_neighbour_adds_its_vote_and_the_scale_of_features_does_not_matter():
    probs = knn_scores(TRAIN * 7.0, LABELS, QUERY * 0.1, k=3, temperature=0.5, n_out=2, multilabel=False)
    wc, wa, wb = (math.exp(c / 0.5) for c in (3 / math.sqrt(10), 2 / math.sqrt(5), 1 / math.sqrt(5)))
    assert probs[0, 1] == pytest.approx((wc + wb) / (wa + wb + wc), abs=1e-6)
    assert probs.sum(1) == pytest.approx([1.0])


def test_a_small_temperature_gives_the_nearest_neighbour_and_k_above_n_uses_all():
    assert knn_scores(TRAIN, LABELS, QUERY, k=2, temperature=0.001, n_out=2, multilabel=False)[0, 1] == pytest.approx(1.0)
    every = knn_scores(TRAIN, LABELS, QUERY, k=50, temperature=1.0, n_out=3, multilabel=False)
    w = [math.exp(c) for c in (2 / math.sqrt(5), 1 / math.sqrt(5), 3 / math.sqrt(10), -2 / math.sqrt(5))]
    assert every[0] == pytest.approx([(w[0] + w[3]) / sum(w), (w[1] + w[2]) / sum(w), 0.0], abs=1e-6)


def test_multilabel_scores_are_the_weighted_share_of_neighbours_with_each_finding():
    findings = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    s = knn_scores(TRAIN, findings, QUERY, k=2, temperature=0.5, n_out=2, multilabel=True)
    wc, wa = math.exp((3 / math.sqrt(10)) / 0.5), math.exp((2 / math.sqrt(5)) / 0.5)
    assert s[0] == pytest.approx([1.0, wc / (wa + wc)], abs=1e-6)  # both neighbours have finding 0; only c has finding 1
