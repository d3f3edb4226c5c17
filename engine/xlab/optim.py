"""Optimisers and the learning-rate schedule as a pure function of the step."""

from __future__ import annotations

import math

import torch

from .errors import bad_input

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine", "step", "constant")


def make_optimizer(name: str, groups: list[dict], weight_decay: float) -> torch.optim.Optimizer:
    """``groups``: [{"params": ..., "lr": base lr, "name": ...}]; each group keeps its base lr in ``base_lr``."""
    for g in groups:
        g["base_lr"] = g["lr"]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=groups[0]["lr"], momentum=0.9, weight_decay=weight_decay, nesterov=True)
    if name == "adam":
        return torch.optim.Adam(groups, lr=groups[0]["lr"], weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=groups[0]["lr"], weight_decay=weight_decay)
    raise bad_input(f"optimizer is {name!r}; use one of {', '.join(OPTIMIZERS)}.")


def lr_factor(step: int, total_steps: int, schedule: str, warmup_steps: int = 0) -> float:
    """Multiplier of the base lr at ``step`` (0-based) out of ``total_steps``."""
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "step":
        return 0.1 ** int(progress * 3 - 1e-9) if progress > 0 else 1.0  # /10 at 1/3 and 2/3
    raise bad_input(f"schedule is {schedule!r}; use one of {', '.join(SCHEDULES)}.")


def set_lr(opt: torch.optim.Optimizer, factor: float) -> None:
    for g in opt.param_groups:
        g["lr"] = g["base_lr"] * factor


def scale_base_lr(opt: torch.optim.Optimizer, scale: float) -> None:
    """After an OOM halves the batch, the lr follows (linear scaling rule)."""
    for g in opt.param_groups:
        g["base_lr"] *= scale
