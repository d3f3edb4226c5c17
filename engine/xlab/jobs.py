"""Job files and their kind-specific params (docs/architecture.md, "Engine jobs and protocol").

Every params dataclass documents its fields; ``parse_params`` turns the job's ``params`` object into
one, rejecting wrong types and values with a sentence that names the field.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import bad_input


@dataclass
class Job:
    """The job file the supervisor writes."""

    kind: str  # job kind: pretext / extract / downstream / probe / bench
    run_id: str  # the run this job belongs to
    run_dir: str  # absolute run folder: checkpoints, logs, outputs
    seed: int = 0  # seed of every random choice in the job
    device: str = "auto"  # auto / cpu / cuda / cuda:N / mps
    deterministic: bool = False  # deterministic algorithms and exact resume (slower on GPU)
    threads: int = 0  # torch intra-op threads; 0 keeps torch's default
    params: dict = field(default_factory=dict)  # kind-specific, see the dataclasses below
    v: int = 1  # job format version


@dataclass
class PretextParams:
    """Params of a ``pretext`` job."""

    task: str  # rotation / inpainting / structure
    dataset_dir: str  # the pretraining cache folder
    image_size: int = 64  # network input side in pixels; the cache is resized on the device if it differs
    steps: int | None = None  # the budget: optimiser steps of the run, whatever the dataset size (studies set it)
    val_every_steps: int | None = None  # with steps: validate and checkpoint every N steps (default steps/4)
    warmup_steps: int = 0  # with steps: linear warm-up length in steps
    epochs: int = 10  # without steps: passes over the train split
    batch_size: int = 64  # network inputs per step (all tasks: rotation all4 draws batch/4 images and rotates them)
    optimizer: str = "adam"  # sgd / adam / adamw
    lr: float = 1e-3  # peak learning rate
    weight_decay: float = 1e-4  # decoupled for adamw, L2 otherwise
    schedule: str = "cosine"  # cosine / step / constant
    warmup_epochs: float = 0.0  # without steps: linear warm-up length in epochs
    max_steps_per_epoch: int | None = None  # without steps: caps an epoch
    checkpoint_every_steps: int | None = None  # inside a round, write last.pth only every N steps (a grid)
    checkpoint_every_s: float = 60.0  # at most one last.pth per N seconds, besides epoch ends and SIGTERM; 0: no limit
    max_train_images: int | None = None  # optional cap on the train split (seeded subset)
    max_val_images: int = 512  # validation images per epoch (seeded subset)
    augment: bool = True  # on-device translation + brightness/contrast jitter (never flips: see data.py)
    rotation_mode: str = "all4"  # rotation: all4 = the 4 rotations of batch/4 images per step; random = one each
    mask: dict = field(default_factory=dict)  # inpainting: {shape: rect|freeform|mixed, min_area, max_area}
    structure_families: list | None = None  # structure: corruption families; None = all (see pretext/structure.py)
    # rotation/structure: auto = mirror each image at random when the cache was mirrored at import to face
    # one way (meta.json laterality_flip); random = always; keep = never (train_pretext.laterality_of)
    laterality: str = "auto"
    shortcut_score: bool = True  # measure the unlearned baselines on the task before training (shortcut.py)
    snapshots: list | None = None  # with steps: fractions of the budget at which the encoder is saved (snapshots.py), e.g. [0.25, 0.5, 1.0]


@dataclass
class ExtractParams:
    """Params of an ``extract`` job."""

    out_dir: str  # where the encoder files go (the supervisor uses <run_dir>/encoders)
    checkpoint: str | None = None  # a pretext run's best.pth or last.pth (not needed with random_init)
    random_init: bool = False  # write a seeded random-init resnet18 instead (the probe's random-init reference, extract.py)
    pretext: str | None = None  # pretext task name; checked against the checkpoint when given
    dataset_name: str = "dataset"  # pretraining dataset name, used in the file name
    seed: int | None = None  # seed in the file name; defaults to the job seed


@dataclass
class DownstreamParams:
    """Params of a ``downstream`` job (one encoder, several = fusion, none = scratch)."""

    dataset_dir: str  # the downstream cache (ChestX-ray14 layout)
    target: str = "binary"  # binary (No Finding vs any) / 3class (No Finding / Pneumonia / other) / multilabel14 (one sigmoid per finding)
    protocol: str = "linear"  # linear (frozen) / knn (frozen, no training) / finetune / scratch
    encoders: list = field(default_factory=list)  # encoder .pth paths: 0 scratch, 1 single, 2-3 fusion
    image_size: int = 64  # network input side in pixels
    epochs: int = 10  # finetune/scratch: passes over train; linear with linear_solver sgd: head epochs over cached features
    batch_size: int = 64  # images per step (finetune/scratch) and per feature-extraction batch
    optimizer: str = "adam"  # sgd / adam / adamw
    lr_head: float = 1e-3  # head learning rate
    lr_encoder: float = 1e-4  # encoder learning rate (finetune); scratch uses lr_head for everything
    weight_decay: float = 1e-4  # weight decay of both groups
    schedule: str = "cosine"  # cosine / step / constant
    warmup_epochs: float = 0.0  # linear warm-up length
    imbalance: str = "weighted_loss"  # weighted_loss / balanced_sampler / none
    max_steps_per_epoch: int | None = None  # caps an epoch (finetune/scratch)
    max_train_images: int | None = None  # optional cap on the train split (seeded, stratified)
    linear_steps_per_epoch: int = 50  # linear_solver sgd: full-batch head steps per epoch on cached features
    linear_solver: str = "sgd"  # linear probes (and finetune's linear_probe head): lbfgs (L2 logistic regression to convergence over linear_c_grid, best C on val; downstream/lbfgs.py; what studies plan by default) or sgd (epochs x linear_steps_per_epoch steps of the job's optimiser; the default of a job file that does not say, so jobs written before lbfgs existed keep their meaning)
    linear_c_grid: list | None = None  # lbfgs: inverse L2 strengths C tried (scikit-learn's C); None: 10^-4..10^2 in half decades
    linear_max_iter: int = 1000  # lbfgs: L-BFGS iterations at most per C
    linear_tol: float = 1e-6  # lbfgs: converged when the largest gradient entry of the (sample-mean) objective is at most this
    augment: bool = True  # finetune/scratch: on-device translation + brightness/contrast jitter
    selection_metric: str = "roc_auc"  # validation metric that picks the best epoch (higher is better; loss: lower)
    head_init: str = "random"  # finetune: random head (plain fine-tuning), or linear_probe (LP-FT: a linear probe on frozen features first)
    batchnorm: str = "pretext"  # linear: pretext (BatchNorm statistics of the pretraining data) or adabn (re-estimated on the downstream train images first)
    knn_k: int = 20  # knn: neighbours that vote (DINO's eval_knn default)
    knn_temperature: float = 0.07  # knn: votes weighted exp(cosine / T)
    head_sweep_lrs: list | None = None  # linear: head learning rates of the sweep grid (None: lr_head only)
    head_sweep_weight_decays: list | None = None  # linear: head weight decays of the sweep grid (None: weight_decay only)
    label_fraction: float = 1.0  # share of the (capped) train patients with labels, in (0, 1]: nested, stratified, by patient
    normalisation: str = "downstream"  # input normalisation of every encoder: downstream (this dataset's mean/std) or pretraining (each member's own, from its .json sidecar)


PARAMS_BY_KIND: dict[str, type] = {"pretext": PretextParams, "extract": ExtractParams, "downstream": DownstreamParams}


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_type_ok(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is bool:
        return isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if tp in (list, dict) or origin in (list, dict):
        return isinstance(value, origin or tp)
    return True


def parse_dataclass(cls: type, raw: Any, where: str, warn=None):
    """Builds ``cls`` from a JSON object; unknown keys are reported through ``warn`` and ignored."""
    if not isinstance(raw, dict):
        raise bad_input(f"{where} must be a JSON object, got {type(raw).__name__}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if key not in fields:
            if warn:
                warn(f"{where}.{key} is not a known field and is ignored.")
            continue
        if value is None and fields[key].default is not dataclasses.MISSING and fields[key].default is not None:
            continue  # null means "use the default"
        if not _type_ok(value, hints[key]):
            raise bad_input(f"{where}.{key} has the wrong type ({json.dumps(value)[:60]}); expected {hints[key]}.")
        values[key] = float(value) if hints[key] is float else value
    missing = [n for n, f in fields.items() if f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING and n not in values]
    if missing:
        raise bad_input(f"{where} is missing {', '.join(missing)}.")
    return cls(**values)


def load_job(text: str, warn=None) -> Job:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise bad_input(f"The job is not valid JSON ({e}). Pass a job file written by the lab service.") from None
    job = parse_dataclass(Job, raw, "job", warn)
    if job.v != 1:
        raise bad_input(f"Job format version {job.v} is not supported by this engine (it reads version 1); update the app.")
    if not Path(job.run_dir).is_absolute():
        raise bad_input(f"job.run_dir must be an absolute path, got {job.run_dir!r}.")
    return job


def one_of(value: str, allowed: tuple, name: str) -> str:
    if value not in allowed:
        raise bad_input(f"{name} is {value!r}; use one of {', '.join(allowed)}.")
    return value


def positive(value, name: str):
    if value is not None and value <= 0:
        raise bad_input(f"{name} must be positive, got {value}.")
    return value
