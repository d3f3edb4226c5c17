"""The default linear probe (downstream/lbfgs.py): L-BFGS reaches the optimum of its regularised
objective, the same one scikit-learn's LogisticRegression minimises at the same C (checked on
standardised features for binary, 3-class and class-weighted targets), and the C it keeps is the
one best on validation, chosen without the test split."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from xlab.downstream.lbfgs import DEFAULT_C_GRID, fit_c, l2_sweep, n_rows, objective_value
from xlab.downstream.linear import standardiser
from xlab.downstream.objective import Objective
from xlab.downstream.targets import class_weights


def _data(n, d, k, seed, imbalance=False):
    """Features with a linear signal, a few heavy-tailed and correlated channels (as ResNet features are)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + rng.standard_t(3, size=(n, d))
    w = rng.normal(size=(d, k))
    logits = x @ w * 0.4 + rng.normal(size=(n, k))
    if imbalance:
        logits[:, 0] += 2.0
    y = logits.argmax(1)
    return x.astype(np.float32), y


def _sk_objective(obj, x, t, coef, intercept, c):
    """Our objective at scikit-learn's solution (binary: one vector, as both parametrise it)."""
    w = torch.as_tensor(coef, dtype=torch.float64)
    b = torch.as_tensor(intercept, dtype=torch.float64)
    return objective_value(obj, x, t, w, b, c)


@pytest.mark.parametrize("k,weighted", [(2, False), (2, True), (3, False), (3, True)])
@pytest.mark.parametrize("c", [0.01, 1.0, 30.0])
def test_lbfgs_reaches_scikit_learns_optimum(k, weighted, c):
    x, y = _data(400, 24, k, seed=k * 10 + int(weighted), imbalance=weighted)
    mu, sd = standardiser(torch.from_numpy(x))
    z = ((torch.from_numpy(x) - mu) / sd).to(torch.float64)
    cw = class_weights(y, k) if weighted else None
    obj = Objective(False, [f"c{i}" for i in range(k)], cw)
    t = torch.as_tensor(y)
    fit = fit_c(obj, z, t, c, n_rows(obj), tol=1e-7, max_iter=5000)
    assert fit["converged"], fit["grad_max"]
    sk = LogisticRegression(C=c, tol=1e-10, max_iter=100_000, class_weight=(dict(enumerate(cw)) if weighted else None))
    sk.fit(z.numpy(), y)
    ours = objective_value(obj, z, t, fit["weight"], fit["bias"], c)
    theirs = _sk_objective(obj, z, t, sk.coef_, sk.intercept_, c)
    print(f"k={k} weighted={weighted} C={c}: ours {ours:.10f}, scikit-learn {theirs:.10f}, {fit['iterations']} iterations")
    assert ours <= theirs + 1e-7 * max(1.0, abs(theirs))
    assert abs(ours - theirs) <= 1e-6 * max(1.0, abs(theirs))
    np.testing.assert_allclose(fit["weight"].numpy(), sk.coef_, atol=2e-3 * max(1.0, np.abs(sk.coef_).max()))


def test_the_chosen_C_is_the_best_on_validation_and_never_reads_test():
    x, y = _data(900, 16, 2, seed=5)
    tr, va, te = np.arange(0, 500), np.arange(500, 700), np.arange(700, 900)
    mu, sd = standardiser(torch.from_numpy(x[tr]))
    z = {s: (torch.from_numpy(x[i]) - mu) / sd for s, i in (("train", tr), ("val", va))}
    obj = Objective(False, ["a", "b"], None)
    yt = {"train": torch.as_tensor(y[tr]), "val": torch.as_tensor(y[va])}
    grid = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    _, best, rec = l2_sweep(z, yt, y[va], obj, "roc_auc", grid, tol=1e-8)
    # An independent choice: scikit-learn at every C, scored on val with scikit-learn's AUC.
    val_auc = [roc_auc_score(y[va], LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(z["train"].numpy(), y[tr])
                             .predict_proba(z["val"].numpy())[:, 1]) for c in grid]
    want = grid[int(np.argmax(np.round(val_auc, 6)))]
    print(f"val AUC per C {dict(zip(grid, np.round(val_auc, 4)))}; chose C {rec['chosen']['C']}")
    assert rec["chosen"]["C"] == want and rec["selected_on"] == "val"
    assert [g["C"] for g in rec["grid"]] == grid and all(g["converged"] for g in rec["grid"])
    assert best["metrics"]["roc_auc"] == pytest.approx(max(val_auc), abs=1e-6)
    # The same call with the test split's labels scrambled (it is not an argument at all) and the
    # val split changed picks by val: a val set whose labels are flipped prefers a different C.
    _, _, flipped = l2_sweep(z, yt, 1 - y[va], obj, "roc_auc", grid, tol=1e-8)
    assert flipped["chosen"]["C"] != rec["chosen"]["C"] or len(set(np.round(val_auc, 6))) == 1


def test_default_grid_spans_half_decades_from_1e_minus_4_to_100():
    assert DEFAULT_C_GRID[0] == pytest.approx(1e-4) and DEFAULT_C_GRID[-1] == pytest.approx(100.0) and len(DEFAULT_C_GRID) == 13


def test_multilabel_probe_converges():
    rng = np.random.default_rng(2)
    x = torch.as_tensor(rng.normal(size=(300, 10)), dtype=torch.float64)
    y = (rng.random((300, 4)) < 0.3).astype(np.int64)
    obj = Objective(True, list("abcd"), np.full(4, 2.0))
    fit = fit_c(obj, x, torch.as_tensor(y), 1.0, n_rows(obj), tol=1e-8)
    assert fit["converged"] and fit["weight"].shape == (4, 10)


def test_max_iter_bounds_the_iterations_of_all_restarts_together():
    x, y = _data(300, 24, 3, seed=9)
    z = torch.as_tensor(x, dtype=torch.float64)
    obj = Objective(False, ["a", "b", "c"], None)
    fit = fit_c(obj, z, torch.as_tensor(y), 1e4, n_rows(obj), tol=1e-12, max_iter=7)
    assert fit["iterations"] <= 7 and not fit["converged"]
