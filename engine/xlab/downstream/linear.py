"""Linear protocol: encoders frozen in eval mode (BatchNorm statistics never move). Features of every
split are computed once (features.py caches them per encoder) and standardised with the train
split's statistics. The head is then fitted on them full-batch, which costs well under a second, so
the linear probe of a study is dominated by one forward pass over the images.

Two solvers (params.linear_solver): ``lbfgs`` (the default, lbfgs.py) fits an L2-regularised
softmax / logistic regression to convergence for every C of a grid and keeps the best on validation;
``sgd`` trains the head ``epochs x linear_steps_per_epoch`` steps with the job's optimiser and
schedule, optionally over a head sweep (sweep.py) of learning rates x weight decays."""

from __future__ import annotations

import time

import numpy as np
import torch

from ..metrics import scalar_metrics
from ..optim import lr_factor, make_optimizer, set_lr
from .common import predict
from .lbfgs import l2_sweep
from .objective import Objective


def fit_head(z: dict, yt: dict, y_val: np.ndarray, objective: Objective, p, lr: float, weight_decay: float, seed: int):
    """Trains one linear head on standardised features ``z`` ({train, val}: N x D) with the job's
    optimiser and schedule. Returns (history, best): best = {"value", "epoch", "metrics", "head"}
    (the head's state at its best validation epoch)."""
    torch.manual_seed(seed)
    head = torch.nn.Linear(z["train"].shape[1], objective.n_out)
    opt = make_optimizer(p.optimizer, [{"params": head.parameters(), "lr": lr, "name": "head"}], weight_decay)
    total = p.epochs * p.linear_steps_per_epoch
    history, best = [], None
    for epoch in range(p.epochs):
        for s in range(p.linear_steps_per_epoch):
            set_lr(opt, lr_factor(epoch * p.linear_steps_per_epoch + s, total, p.schedule,
                                  int(p.warmup_epochs * p.linear_steps_per_epoch)))
            loss = objective.loss(head(z["train"]), yt["train"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            val_probs = objective.probs(head(z["val"])).numpy()
        vm = scalar_metrics(objective.metrics(y_val, val_probs))
        history.append({"epoch": epoch + 1, "train_loss": float(loss), "val": vm})
        value = selection_value(vm, p.selection_metric)
        if best is None or value > best["value"]:
            best = {"value": value, "epoch": epoch + 1, "metrics": vm,
                    "head": {k: v.clone() for k, v in head.state_dict().items()}}
    return history, best


def linear_probe(*, model, batches, splits: dict, y: np.ndarray, p, device, em, objective: Objective, seed: int,
                 feats: dict | None = None, sweep=None):
    """Trains ``model.head`` on frozen features (``feats`` {split: N x D} when the caller has them,
    else one pass here); leaves the best-on-val head (standardisation folded in) in the model and
    sends its epochs as train/val metrics (one "epoch" for lbfgs: the chosen C's fit). With
    ``p.linear_solver`` sgd, ``sweep(z, yt, y_val) -> (history, best, record)`` replaces the single fit
    (sweep.py). Returns (history, best, images_per_s of feature extraction or None, the lbfgs or sweep
    record or None)."""
    for par in model.encoders.parameters():
        par.requires_grad_(False)
    ips = None
    if feats is None:
        t0 = time.perf_counter()
        feats = {s: predict(model, batches, idx, max(p.batch_size, 256), device, em, "features", features=True)
                 for s, idx in splits.items() if s in ("train", "val")}
        ips = sum(len(f) for f in feats.values()) / max(time.perf_counter() - t0, 1e-9)
    mu, sd = standardiser(feats["train"])
    z = {s: (feats[s] - mu) / sd for s in ("train", "val")}
    yt = {s: objective.targets(y[splits[s]]) for s in ("train", "val")}
    y_val = y[splits["val"]]
    record = None
    if p.linear_solver == "lbfgs":
        history, best, record = l2_sweep(z, yt, y_val, objective, p.selection_metric, p.linear_c_grid, p.linear_max_iter,
                                         p.linear_tol, em.log)
    elif sweep is not None:
        history, best, record = sweep(z, yt, y_val)
    else:
        history, best = fit_head(z, yt, y_val, objective, p, p.lr_head, p.weight_decay, seed)
    steps = record["grid"][[g["C"] for g in record["grid"]].index(record["chosen"]["C"])]["iterations"] \
        if p.linear_solver == "lbfgs" else p.linear_steps_per_epoch
    for h in history:  # the global step of the head's optimiser, so each epoch has its own x on a step axis
        em.metric("train", h["epoch"], h["epoch"] * steps, {"loss": h["train_loss"]})
        em.metric("val", h["epoch"], h["epoch"] * steps, h["val"])
    with torch.no_grad():  # fold the standardisation into the head: the model takes images again
        wgt, b = best["head"]["weight"], best["head"]["bias"]
        model.head.weight.copy_(wgt / sd)
        model.head.bias.copy_(b - (wgt * (mu / sd)).sum(1))
    best.pop("head")
    return history, best, ips, record


def standardiser(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and scale of the train features. A feature (nearly) constant on train gets
    scale 1, as scikit-learn's StandardScaler does: dividing by its tiny std instead (the earlier
    clamp at 1e-6) multiplied whatever the feature did on val/test by up to 1e6 (|z| of 4e4 seen)."""
    mu = train.mean(0)
    sd = train.std(0)
    tiny = sd <= 1e-6 * torch.maximum(mu.abs(), torch.ones_like(mu))
    return mu, torch.where(tiny, torch.ones_like(sd), sd)


def selection_value(metrics: dict, name: str) -> float:
    """Higher is better; ``loss`` is negated; a missing AUC falls back to balanced accuracy."""
    if name == "loss":
        return -metrics["loss"]
    v = metrics.get(name)
    if v is None:
        v = metrics.get("balanced_accuracy", 0.0)
    return float(v if v is not None else 0.0)
