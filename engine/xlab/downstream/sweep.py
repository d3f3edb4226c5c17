"""The linear-head sweep: one head per (learning rate, weight decay) grid point, all trained on the
same frozen features, the one best on validation kept (params ``head_sweep_lrs`` and
``head_sweep_weight_decays``; a missing list means the job's single ``lr_head`` / ``weight_decay``).
Every point is judged by its best epoch's validation value of the selection metric; ties go to the
earlier grid point (learning rates in the given order, then weight decays). Test images are never
seen here: the run scores test once, with the chosen head."""

from __future__ import annotations

from .linear import fit_head
from .objective import Objective


def grid(p) -> list[tuple[float, float]]:
    lrs = p.head_sweep_lrs or [p.lr_head]
    wds = p.head_sweep_weight_decays if p.head_sweep_weight_decays is not None else [p.weight_decay]
    return [(float(lr), float(wd)) for lr in lrs for wd in wds]


def wants_sweep(p) -> bool:
    return p.head_sweep_lrs is not None or p.head_sweep_weight_decays is not None


def make_sweep(p, objective: Objective, seed: int, em=None):
    """The ``sweep`` callable linear_probe takes: returns (history, best, record) of the chosen point,
    record = {"grid": [{"lr", "weight_decay", "val", "best_epoch"}], "chosen": {"lr", "weight_decay"}, "selected_on": "val"}."""

    def sweep(z, yt, y_val):
        points, chosen = [], None
        for lr, wd in grid(p):
            history, best = fit_head(z, yt, y_val, objective, p, lr, wd, seed)
            points.append({"lr": lr, "weight_decay": wd, "val": best["metrics"], "best_epoch": best["epoch"]})
            if chosen is None or best["value"] > chosen[2]["value"]:
                chosen = (lr, wd, best, history)
        lr, wd, best, history = chosen
        if em is not None:
            em.log(f"Head sweep over {len(points)} grid point(s): chose lr {lr:g}, weight decay {wd:g} "
                   f"(val {p.selection_metric} {best['value']:.4f} at epoch {best['epoch']}).")
        return history, best, {"grid": points, "chosen": {"lr": lr, "weight_decay": wd}, "selected_on": "val"}

    return sweep
