"""The linear probe's feature standardisation: a channel constant on the train features gets scale 1
(as scikit-learn's StandardScaler), so a channel that wakes up on test is not blown up by 1e6."""

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from xlab.downstream.linear import standardiser


def test_a_constant_train_channel_is_not_divided_by_its_zero_std():
    train = torch.randn(200, 4, dtype=torch.float32)
    train[:, 0] = 0.0  # a ReLU channel dead on every train image
    train[:, 1] = 3.0  # constant but not zero
    test = torch.randn(50, 4)
    test[:, 0] = 2.0  # active on test
    test[:, 1] = 4.0
    mu, sd = standardiser(train)
    z = (test - mu) / sd
    assert torch.allclose(z[:, 0], torch.full((50,), 2.0)) and torch.allclose(z[:, 1], torch.full((50,), 1.0))
    assert z.abs().max() < 10


def test_matches_scikit_learn_on_ordinary_and_constant_channels():
    rng = np.random.default_rng(0)
    train = rng.normal(2.0, 3.0, size=(300, 6)).astype(np.float32)
    train[:, 2] = 7.5
    test = rng.normal(size=(40, 6)).astype(np.float32)
    mu, sd = standardiser(torch.from_numpy(train))
    # torch's std is the unbiased one, scikit-learn's the biased: compare on the same definition
    sk = StandardScaler().fit(train)
    scale = np.where(sk.scale_ == 1.0, 1.0, sk.scale_ * np.sqrt(300 / 299))
    np.testing.assert_allclose(mu.numpy(), sk.mean_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sd.numpy(), scale, rtol=1e-4)
    np.testing.assert_allclose(((torch.from_numpy(test) - mu) / sd).numpy()[:, 2], test[:, 2] - 7.5, rtol=1e-5)
