"""The default linear probe: L2-regularised softmax / logistic regression on standardised frozen
features, fitted to convergence with full-batch L-BFGS for every point of a grid of regularisation
strengths C, the one best on validation kept (the protocol of the CLIP and DINO linear evaluations).

Why not a fixed head schedule: a head trained ``epochs x linear_steps_per_epoch`` Adam steps with
one weight decay is under-fitted, and the amount of under-fitting differs between encoders
(pretrained features want a weaker regulariser than random ones), so one fixed head setting is not
a neutral comparison. Here every encoder gets the optimum of the same objective at the C its own
validation split prefers; its budget is a convergence tolerance, not the fine-tuning epochs.

The objective of one grid point, with n train images, per-image weight s_i (the class weight of its
label under imbalance ``weighted_loss``, else 1) and C the inverse regularisation strength::

    L(W, b) = (1/n) * sum_i s_i * loss_i(W, b) + ||W||^2 / (2 C n)

which is scikit-learn's ``LogisticRegression(C=C)`` objective ``C * sum_i s_i loss_i + ||W||^2 / 2``
divided by C n (the bias is not penalised in either): the same minimiser, and C means the same
thing. Binary targets are fitted as one logistic vector (as scikit-learn does) and written into the
2-output head as (-v/2, +v/2), which gives the same softmax; 3-class targets use the full K-row
multinomial parametrisation (as scikit-learn does); multilabel14 sums one logistic loss per finding
(``pos_weight`` as the BCE of the fine-tuning head). Ties on validation go to the stronger
regulariser (the smaller C). Test features are never seen here."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..metrics import scalar_metrics
from .objective import Objective

#: C = 10^-4 ... 10^2 in half decades: the audit of issue 24 found the best C near 0.1 for random
#: init and near 3 for pretrained features on the demo; the grid brackets both by two decades.
DEFAULT_C_GRID = [round(10 ** (k / 2), 6) for k in range(-8, 5)]
#: Above this many feature values (n x D) the fit runs in float32 (memory), else in float64.
FLOAT64_MAX_VALUES = 40_000_000


def _sample_weights(objective: Objective, t: torch.Tensor) -> torch.Tensor | None:
    if objective.weight is None or objective.multilabel:
        return None
    w = torch.as_tensor(objective.weight, dtype=torch.float64)
    return w[t]


def _reduce(values: torch.Tensor, sw: torch.Tensor | None) -> torch.Tensor:
    return (values * sw.to(values.dtype)).mean() if sw is not None else values.mean()


def data_loss(objective: Objective, x: torch.Tensor, t: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
              sw: torch.Tensor | None) -> torch.Tensor:
    """(1/n) sum_i s_i loss_i for the parameters of one fit (binary: ``weight`` is 1 x D)."""
    logits = x @ weight.T + bias
    if objective.multilabel:
        pw = None if objective.weight is None else torch.as_tensor(objective.weight, dtype=x.dtype)
        per = F.binary_cross_entropy_with_logits(logits, t.to(x.dtype), pos_weight=pw, reduction="none").sum(1)
        return per.mean()
    if weight.shape[0] == 1:  # binary: one logistic vector for class 1
        per = F.binary_cross_entropy_with_logits(logits[:, 0], t.to(x.dtype), reduction="none")
    else:
        per = F.cross_entropy(logits, t, reduction="none")
    return _reduce(per, sw)


def objective_value(objective: Objective, x: torch.Tensor, t: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, c: float) -> float:
    """The regularised objective L(W, b) above, for tests and the run record."""
    n = x.shape[0]
    with torch.no_grad():
        return float(data_loss(objective, x, t, weight, bias, _sample_weights(objective, t)) + (weight ** 2).sum() / (2 * c * n))


def fit_c(objective: Objective, x: torch.Tensor, t: torch.Tensor, c: float, n_rows: int, init=None,
          max_iter: int = 1000, tol: float = 1e-6) -> dict:
    """Minimises L(W, b) for one C with L-BFGS (strong Wolfe line search), from ``init`` (W, b) or
    zeros. Converged = the largest absolute entry of the gradient of L is at most ``tol`` (L is the
    sample-mean scaling scikit-learn's lbfgs solver also minimises, so ``tol`` is its ``tol``). Returns {"weight", "bias", "loss", "iterations", "grad_max", "converged"}."""
    n, d = x.shape
    w = torch.zeros(n_rows, d, dtype=x.dtype) if init is None else init[0].clone()
    b = torch.zeros(n_rows, dtype=x.dtype) if init is None else init[1].clone()
    w.requires_grad_(True)
    b.requires_grad_(True)
    sw = _sample_weights(objective, t)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, max_eval=max_iter * 2, tolerance_grad=tol,
                            tolerance_change=1e-15 if x.dtype == torch.float64 else 1e-9, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = data_loss(objective, x, t, w, b, sw) + (w ** 2).sum() / (2 * c * n)
        loss.backward()
        return loss

    iterations = 0
    for _ in range(4):  # L-BFGS can stop on a tiny change of the loss first: a fresh memory goes on from there
        for group in opt.param_groups:  # the restarts share one budget of max_iter iterations
            group["max_iter"] = max_iter - iterations
            group["max_eval"] = 2 * (max_iter - iterations)
        opt.step(closure)
        iterations += int(opt.state[opt._params[0]].get("n_iter", 0))
        loss = closure()
        grad_max = max(float(w.grad.abs().max()), float(b.grad.abs().max()))
        if grad_max <= tol or iterations >= max_iter:
            break
        opt.state.clear()
    loss = float(loss.detach())
    return {"weight": w.detach(), "bias": b.detach(), "loss": loss, "iterations": iterations,
            "grad_max": grad_max, "converged": bool(grad_max <= tol)}


def head_rows(objective: Objective, weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The fitted parameters as the rows of the model's head (binary: (-v/2, +v/2))."""
    if weight.shape[0] == 1 and not objective.multilabel and objective.n_out == 2:
        return torch.cat([-weight / 2, weight / 2]), torch.cat([-bias / 2, bias / 2])
    return weight, bias


def n_rows(objective: Objective) -> int:
    return 1 if (not objective.multilabel and objective.n_out == 2) else objective.n_out


def l2_sweep(z: dict, yt: dict, y_val: np.ndarray, objective: Objective, selection_metric: str, c_grid: list | None = None,
             max_iter: int = 1000, tol: float = 1e-6, log=None):
    """Fits every C of ``c_grid`` (ascending, warm-started from the previous C) on ``z["train"]`` and
    scores each on ``z["val"]`` only. Returns (history, best, record): best = {"value", "epoch": 1,
    "metrics", "head"} with the head rows in the model's layout; record = {"solver": "lbfgs",
    "grid": [{"C", "val", "value", "loss", "iterations", "grad_max", "converged"}], "chosen": {"C"},
    "selected_on": "val", "at_edge", "converged"}."""
    from .linear import selection_value  # linear.py imports this module

    grid = sorted(float(c) for c in (c_grid or DEFAULT_C_GRID))
    xt, xv = z["train"], z["val"]
    dtype = torch.float64 if xt.numel() <= FLOAT64_MAX_VALUES else torch.float32
    xt, xv = xt.to(dtype), xv.to(dtype)
    t = yt["train"]
    rows = n_rows(objective)
    points, chosen, init = [], None, None
    for c in grid:
        fit = fit_c(objective, xt, t, c, rows, init, max_iter, tol)
        init = (fit["weight"], fit["bias"])
        hw, hb = head_rows(objective, fit["weight"], fit["bias"])
        with torch.no_grad():
            val_probs = objective.probs(xv @ hw.T + hb).numpy()
        vm = scalar_metrics(objective.metrics(y_val, val_probs))
        value = selection_value(vm, selection_metric)
        points.append({"C": c, "val": vm, "value": value, "loss": fit["loss"], "iterations": fit["iterations"],
                       "grad_max": fit["grad_max"], "converged": fit["converged"]})
        if chosen is None or value > chosen["value"]:  # strictly better: ties keep the smaller C
            chosen = {"value": value, "C": c, "metrics": vm, "head": {"weight": hw.float(), "bias": hb.float()},
                      "train_loss": fit["loss"]}
    at_edge = len(grid) > 1 and chosen["C"] in (grid[0], grid[-1])
    all_converged = all(p["converged"] for p in points)
    if log is not None:
        c_text = f"{chosen['C']:g}"
        log(f"Linear probe (L-BFGS to convergence) over {len(grid)} C value(s): chose C {c_text} "
            f"(val {selection_metric} {chosen['value']:.4f}).", "info")
        if at_edge:
            log(f"The chosen C {c_text} is at the edge of the grid ({grid[0]:g}..{grid[-1]:g}); a wider grid may fit better.", "warning")
        if not all_converged:
            bad = [f"{p['C']:g}" for p in points if not p["converged"]]
            log(f"L-BFGS stopped at max_iter {max_iter} before the gradient tolerance for C {', '.join(bad)}.", "warning")
    history = [{"epoch": 1, "train_loss": chosen["train_loss"], "val": chosen["metrics"]}]
    best = {"value": chosen["value"], "epoch": 1, "metrics": chosen["metrics"], "head": chosen["head"]}
    record = {"solver": "lbfgs", "grid": [{k: v for k, v in p.items()} for p in points], "chosen": {"C": chosen["C"]},
              "selected_on": "val", "at_edge": at_edge, "converged": all_converged, "tol": tol, "max_iter": max_iter,
              "precision": "float64" if dtype == torch.float64 else "float32"}
    for p in record["grid"]:
        if isinstance(p["value"], float) and not math.isfinite(p["value"]):
            p["value"] = None
    return history, best, record
