"""Linear protocol: encoders frozen in eval mode (BatchNorm statistics never move). Features of every
split are computed once; the head is trained on them full-batch, which costs milliseconds, so the
linear probe of a study is dominated by one forward pass over the images."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..optim import lr_factor, make_optimizer, set_lr
from .common import predict


def linear_probe(*, model, batches, splits: dict, y: np.ndarray, p, device, em, class_w: np.ndarray | None, seed: int):
    """Trains ``model.head`` on cached features; leaves the best-on-val head (standardisation folded
    in) in the model. Returns (history, best, images_per_s of feature extraction)."""
    import time
    for par in model.encoders.parameters():
        par.requires_grad_(False)
    t0 = time.perf_counter()
    feats = {s: predict(model, batches, idx, max(p.batch_size, 256), device, em, "features", features=True)
             for s, idx in splits.items()}
    n_img = sum(len(i) for i in splits.values())
    ips = n_img / max(time.perf_counter() - t0, 1e-9)
    mu, sd = standardiser(feats["train"])
    z = {s: (f - mu) / sd for s, f in feats.items()}
    yt = {s: torch.as_tensor(y[idx]) for s, idx in splits.items()}
    torch.manual_seed(seed)
    head = torch.nn.Linear(z["train"].shape[1], model.head.out_features)
    opt = make_optimizer(p.optimizer, [{"params": head.parameters(), "lr": p.lr_head, "name": "head"}], p.weight_decay)
    w = torch.as_tensor(class_w, dtype=torch.float32) if class_w is not None else None
    total = p.epochs * p.linear_steps_per_epoch
    history, best = [], None
    for epoch in range(p.epochs):
        for s in range(p.linear_steps_per_epoch):
            set_lr(opt, lr_factor(epoch * p.linear_steps_per_epoch + s, total, p.schedule,
                                  int(p.warmup_epochs * p.linear_steps_per_epoch)))
            loss = F.cross_entropy(head(z["train"]), yt["train"], weight=w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            val_probs = torch.softmax(head(z["val"]), 1).numpy()
        from ..metrics import classification_metrics, scalar_metrics
        vm = scalar_metrics(classification_metrics(yt["val"].numpy(), val_probs))
        em.metric("train", epoch + 1, p.linear_steps_per_epoch, {"loss": float(loss)})
        em.metric("val", epoch + 1, p.linear_steps_per_epoch, vm)
        history.append({"epoch": epoch + 1, "train_loss": float(loss), "val": vm})
        value = selection_value(vm, p.selection_metric)
        if best is None or value > best["value"]:
            best = {"value": value, "epoch": epoch + 1, "metrics": vm,
                    "head": {k: v.clone() for k, v in head.state_dict().items()}}
    with torch.no_grad():  # fold the standardisation into the head: the model takes images again
        wgt, b = best["head"]["weight"], best["head"]["bias"]
        model.head.weight.copy_(wgt / sd)
        model.head.bias.copy_(b - (wgt * (mu / sd)).sum(1))
    best.pop("head")
    return history, best, ips


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
    return float(v)
