"""The ``downstream`` job: linear / knn / finetune / scratch on a labelled cache, with 1 encoder, 2-3
encoders (fusion), or none (scratch), for the binary, 3class or multilabel14 target. Model
selection on val, final metrics (with calibration) on test, once."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..checkpoints import load as load_checkpoint
from ..data import BatchMaker, open_cache
from ..device import Device
from ..errors import bad_input
from ..jobs import DownstreamParams, Job, one_of, parse_dataclass, positive
from ..loop import LoopSpec, TrainLoop
from ..metrics import scalar_metrics
from ..optim import OPTIMIZERS, SCHEDULES, make_optimizer
from ..protocol import Emitter
from .common import build_classifier, predict, write_test_outputs
from .features import frozen_features, rows
from .knn import knn_scores
from .linear import linear_probe, selection_value
from .normalise import input_map, member_normalisation
from .objective import Objective
from .subsets import label_subset, subset_key
from .sweep import make_sweep, wants_sweep
from .targets import TARGETS, class_weights, is_multilabel, make_targets, pos_weights, strata, stratified_cap

PROTOCOLS = ("linear", "knn", "finetune", "scratch")
FROZEN = ("linear", "knn")  # protocols on frozen features: one (cached) feature pass, no encoder training
IMBALANCE = ("weighted_loss", "balanced_sampler", "none")
HEAD_INIT = ("random", "linear_probe")
BATCHNORM = ("pretext", "adabn")
NORMALISATION = ("downstream", "pretraining")
LINEAR_SOLVERS = ("lbfgs", "sgd")
CHEXNET = {"chexnet_mean_auroc": 0.841, "note": "CheXNet (Rajpurkar et al. 2017) used a different split"}


def check_params(p: DownstreamParams) -> None:
    one_of(p.target, TARGETS, "params.target")
    one_of(p.protocol, PROTOCOLS, "params.protocol")
    one_of(p.imbalance, IMBALANCE, "params.imbalance")
    one_of(p.head_init, HEAD_INIT, "params.head_init")
    one_of(p.batchnorm, BATCHNORM, "params.batchnorm")
    one_of(p.normalisation, NORMALISATION, "params.normalisation")
    one_of(p.linear_solver, LINEAR_SOLVERS, "params.linear_solver")
    positive(p.linear_max_iter, "params.linear_max_iter")
    positive(p.linear_tol, "params.linear_tol")
    if p.linear_c_grid is not None and not (p.linear_c_grid and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in p.linear_c_grid)):
        raise bad_input(f"params.linear_c_grid must be a non-empty list of positive numbers (inverse L2 strengths C), "
                        f"got {json.dumps(p.linear_c_grid)[:80]}.")
    if p.batchnorm == "adabn" and p.protocol not in FROZEN:
        raise bad_input(f"params.batchnorm adabn applies to protocol linear or knn (finetune re-estimates BatchNorm itself with head_init "
                        f"linear_probe, and trains it); this job is {p.protocol}: leave it at pretext.")
    if p.normalisation == "pretraining" and p.protocol == "scratch":
        raise bad_input("params.normalisation pretraining needs encoders (it hands each its pretraining mean/std); scratch has none: use downstream.")
    if p.head_init == "linear_probe" and p.protocol != "finetune":
        raise bad_input(f"params.head_init linear_probe applies to protocol finetune only (this job is {p.protocol}); leave it at random.")
    one_of(p.optimizer, OPTIMIZERS, "params.optimizer")
    one_of(p.schedule, SCHEDULES, "params.schedule")
    for name in ("image_size", "epochs", "batch_size", "lr_head", "max_steps_per_epoch", "max_train_images", "linear_steps_per_epoch",
                 "knn_k", "knn_temperature"):
        positive(getattr(p, name), f"params.{name}")
    if not 0 < p.label_fraction <= 1:
        raise bad_input(f"params.label_fraction must be in (0, 1] (the share of train patients whose labels are used), got {p.label_fraction}.")
    for name, low in (("head_sweep_lrs", "positive"), ("head_sweep_weight_decays", "non-negative")):
        values = getattr(p, name)
        if values is None:
            continue
        if p.protocol != "linear":
            raise bad_input(f"params.{name} sweeps the head of protocol linear; this job is {p.protocol}: leave it out (null).")
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and (v > 0 if low == "positive" else v >= 0)
                                 for v in values):
            raise bad_input(f"params.{name} must be a non-empty list of {low} numbers, got {json.dumps(values)[:80]}.")
    if p.linear_solver == "lbfgs" and (p.head_sweep_lrs is not None or p.head_sweep_weight_decays is not None):
        raise bad_input("params.head_sweep_lrs / head_sweep_weight_decays sweep the SGD head (linear_solver sgd); linear_solver lbfgs "
                        "sweeps linear_c_grid instead. Set linear_solver sgd, or leave the head sweep out.")
    n = len(p.encoders)
    if p.protocol == "scratch" and n:
        raise bad_input(f"params.encoders lists {n} encoder(s) but protocol scratch starts from random weights; pass an empty list.")
    if p.protocol != "scratch" and not 1 <= n <= 3:
        raise bad_input(f"protocol {p.protocol} needs 1 encoder (or 2-3 for fusion), got {n}.")
    if not all(isinstance(e, str) for e in p.encoders):
        raise bad_input("params.encoders must be a list of encoder file paths.")
    if p.batch_size < 2:
        raise bad_input("params.batch_size must be at least 2 so BatchNorm can train.")


class Stopwatch:
    """Seconds spent inside ``with watch:`` blocks, summed (summary.train_seconds)."""

    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._t0


def train_subset(p: DownstreamParams, cache, y: np.ndarray, class_names: list, train: np.ndarray, seed: int, em: Emitter):
    """The train images the run learns from: the max_train_images cap, then the label fraction.
    Returns (capped train, labelled train, label_subset record)."""
    st = strata(y)
    capped = stratified_cap(train, st, p.max_train_images, seed)
    if cache.patients is None and p.label_fraction < 1:
        em.log(f"{cache.dir} has no patients.npy, so the label_fraction subset treats every image as its own patient; images of one "
               "patient may then be split between labelled and unlabelled.", "warning")
    sub, info = label_subset(capped, st, cache.patients, p.label_fraction, seed, subset_key(cache.meta, str(cache.meta.get("id") or cache.dir.name)))
    if is_multilabel(p.target):
        missing = [name for name, c in (("no finding", 0), ("any finding", 1)) if (c in st[capped]) and (c not in st[sub])]
    else:
        missing = [class_names[c] for c in np.unique(y[capped]) if c not in y[sub]]
    if missing:
        raise bad_input(f"label_fraction {p.label_fraction:g} leaves no labelled train image of {', '.join(missing)} "
                        f"({info['n_images']} images of {info['n_patients']} patients remain of {len(capped)}). "
                        "Raise label_fraction (or max_train_images), or use a dataset with more images of that class.")
    if p.label_fraction < 1:
        em.log(f"Label fraction {p.label_fraction:g}: {info['n_images']} of {len(capped)} train images "
               f"({info['n_patients']} patients), subset sha256 {info['sha256'][:12]}.")
    return capped, sub, info


def make_objective(p: DownstreamParams, y_train: np.ndarray, class_names: list) -> Objective:
    multilabel = is_multilabel(p.target)
    weight = None
    if p.imbalance == "weighted_loss":
        weight = pos_weights(y_train) if multilabel else class_weights(y_train, len(class_names))
    return Objective(multilabel, class_names, weight)


def run_downstream(job: Job, em: Emitter, device: Device) -> dict:
    p = parse_dataclass(DownstreamParams, job.params, "params", lambda m: em.log(m, "warning"))
    check_params(p)
    watch = Stopwatch()
    cache = open_cache(p.dataset_dir, need_labels=True)
    y, class_names = make_targets(cache.labels, cache.label_names, p.target, str(cache.dir), lambda m: em.log(m, "warning"))
    multilabel = is_multilabel(p.target)
    splits = {s: cache.split(s) for s in ("train", "val", "test")}
    for s, idx in splits.items():
        if len(idx) == 0:
            raise bad_input(f"The {s} split of {cache.dir} is empty; import the dataset with a non-empty {s} split.")
    full_train = splits["train"]
    capped, splits["train"], subset_info = train_subset(p, cache, y, class_names, full_train, job.seed, em)
    n_classes = len(class_names)
    ytr = y[splits["train"]]
    train_counts = ytr.sum(0) if multilabel else np.bincount(ytr, minlength=n_classes)
    if multilabel and len(np.unique(strata(ytr))) < 2:
        raise bad_input(f"The train split holds {'only images with findings' if strata(ytr).all() else 'no image with a finding'}, "
                        "so no finding can be learned against its absence.")
    if not multilabel and (train_counts > 0).sum() < 2:
        raise bad_input(f"The train split holds only one class of the {p.target} target ({dict(zip(class_names, train_counts.tolist()))}); nothing can be learned.")
    objective = make_objective(p, ytr, class_names)
    cw = objective.weight
    torch.manual_seed(job.seed)
    classifier = build_classifier(p.encoders, n_classes)
    member_norm = member_normalisation(p, cache)
    if p.normalisation == "pretraining":
        classifier.set_input_maps([input_map(cache.normalisation(), m) for m in member_norm])
    model = device.prepare_model(classifier)
    batches = BatchMaker(cache, p.image_size, device.torch_device, device.channels_last)
    run_dir = Path(job.run_dir)
    mode = "fusion" if len(p.encoders) > 1 else "single" if p.encoders else "scratch"
    config = {"params": dataclasses.asdict(p), "seed": job.seed, "normalisation": cache.normalisation(), "class_names": class_names,
              "train_class_counts": train_counts.tolist(), "class_weights": cw.tolist() if cw is not None else None, "mode": mode,
              "grey_to_rgb": "replicate", "multilabel": multilabel, "label_subset": subset_info}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    extra = {}
    if p.protocol in FROZEN:
        history, best, ips, steps, probs = frozen_protocol(p, model, batches, splits, full_train, capped, y, objective, cache, member_norm,
                                                           device, em, watch, job.seed, extra)
        last_epoch = (p.epochs if p.linear_solver == "sgd" else 1) if p.protocol == "linear" else 0
    else:
        if p.head_init == "linear_probe" and not (run_dir / "last.pth").exists():  # a resumed run has its head in last.pth
            with watch:
                config["head_probe"] = init_head_by_probe(model, batches, splits, y, p, device, em, objective, job.seed)
                config["head_probe"]["test"] = scalar_metrics(objective.metrics(
                    y[splits["test"]], predict(model, batches, splits["test"], inference_batch(p.batch_size, device, p.image_size, len(p.encoders)), device,
                                               activation=objective.probs).numpy()))
            (run_dir / "config.json").write_text(json.dumps(config, indent=2))  # a resumed run reads its start here
        elif p.head_init == "linear_probe":
            config["head_probe"] = json.loads((run_dir / "config.json").read_text()).get("head_probe") \
                if (run_dir / "config.json").exists() else None
        history, best, ips, steps = end_to_end(job, p, model, batches, splits, y, objective, device, em, run_dir, config, watch)
        last_epoch = p.epochs
        with watch:
            probs = predict(model, batches, splits["test"], inference_batch(p.batch_size, device, p.image_size, len(p.encoders)), device, em, "test",
                            activation=objective.probs).numpy()
    with watch:
        test = write_test_outputs(run_dir, splits["test"], y[splits["test"]], probs, objective, em, last_epoch, steps)
    summary = {
        "target": p.target, "protocol": p.protocol, "mode": mode, "encoders": list(p.encoders), "class_names": class_names,
        "multilabel": multilabel, "test": {k: v for k, v in test.items() if k != "confusion_matrix"},
        "confusion_matrix": test["confusion_matrix"], "best": best, "history": history, "images_per_s": ips, "imbalance": p.imbalance,
        "class_weights": config["class_weights"], "n": {s: int(len(i)) for s, i in splits.items()},
        "train_class_counts": train_counts.tolist(), "predictions": str(run_dir / "test_predictions.json"),
        "normalisation": cache.normalisation(), "head_init": p.head_init, "head_probe": config.get("head_probe"),
        "batchnorm": batchnorm_used(p), "input_normalisation": {"policy": p.normalisation, "members": member_norm},
        "label_subset": subset_info, "split_type": cache.meta.get("split_source"), **extra, "train_seconds": round(watch.seconds, 3),
    }
    if p.protocol == "finetune" and config.get("head_probe"):
        summary["start"] = start_check(config["head_probe"], best, test, p.selection_metric, em)
    if multilabel:
        summary["reference"] = dict(CHEXNET)
    return summary


def inference_batch(batch_size: int, device, image_size: int, encoders: int = 1) -> int:
    """Batch of the passes without gradients (frozen features, validation and test predictions). On
    the CPU it is the job's batch size: a larger batch is no faster there and costs memory (a floor
    of 256 took 2.5 GB at 224 px). On a CUDA device it grows up to 256 as far as half the free
    device memory allows (about 20 input-sized buffers per image and encoder for a ResNet-18 forward
    without gradients), never below the job's batch."""
    batch = max(1, int(batch_size))
    if device.type != "cuda":
        return batch
    try:
        free, _total = torch.cuda.mem_get_info(device.torch_device)
    except (RuntimeError, AssertionError):  # no memory query on this build or device
        return batch
    per_image = 20 * 3 * image_size * image_size * 4 * max(1, encoders)
    return max(batch, min(256, int(free // 2 // per_image)))


def start_check(probe: dict, best: dict, test: dict, metric: str, em: Emitter) -> dict:
    """Where a fine-tuning run that started from a linear probe began and whether it ended below
    that start: on the selection metric of validation (the model kept is the best fine-tuning epoch
    on val) and on the same metric of test. ``below`` is true when either ends lower; the run log
    says so as a warning, and the report lists such runs."""
    out = {"source": "linear_probe", "metric": metric, "C": probe.get("C"), "val": probe.get("val"), "test": probe.get("test")}
    rows = {}
    for split, start, end in (("val", (probe.get("val") or {}).get(metric), (best.get("metrics") or {}).get(metric)),
                              ("test", (probe.get("test") or {}).get(metric), test.get(metric))):
        if isinstance(start, (int, float)) and isinstance(end, (int, float)):
            rows[split] = {"start": float(start), "end": float(end), "delta": float(end) - float(start)}
    out["compare"] = rows
    out["below"] = any(r["delta"] < 0 for r in rows.values())
    if out["below"]:
        parts = ", ".join(f"{s} {r['end']:.3f} against {r['start']:.3f}" for s, r in rows.items() if r["delta"] < 0)
        em.log(f"Fine-tuning ended below its starting linear probe ({metric}: {parts}); more fine-tuning steps or a smaller "
               "encoder learning rate may be needed, and the linear probe is the better model of this encoder here.", "warning")
    return out


def frozen_protocol(p, model, batches, splits, full_train, capped, y, objective, cache, member_norm, device, em, watch, seed, extra):
    """linear and knn: one feature pass per encoder and split (cached, see features.py), then the head
    (or the sweep of heads) or the kNN vote. Returns (history, best, images_per_s, steps, test probs)
    and puts "features", "head_sweep" or "knn" into ``extra``."""
    adabn = p.batchnorm == "adabn"
    with watch:
        if adabn:
            recalibrate_batchnorm(model.encoders, batches, splits["train"], max(p.batch_size, 64))
            em.log("BatchNorm statistics re-estimated on the downstream train images (AdaBN) before the frozen-feature protocol.")
        # The train pass covers the whole train split (so probes of other targets and label fractions
        # share it) unless max_train_images leaves less than half of it, where the capped images suffice.
        train_pass = splits["train"] if adabn else full_train if len(capped) * 2 >= len(full_train) else capped
        passes = {"train": train_pass, "val": splits["val"], "test": splits["test"]}
        feats, info = frozen_features(model=model, batches=batches, passes=passes, encoder_paths=p.encoders, member_norm=member_norm,
                                      cache=cache, image_size=p.image_size, batchnorm=p.batchnorm, batch_size=inference_batch(p.batch_size, device, p.image_size, len(p.encoders)),
                                      device=device, em=em, use_cache=not adabn)
        f = {s: feats[s][rows(passes[s], splits[s])] for s in passes}
    ips = info["computed"] / info["seconds"] if info["computed"] and info["seconds"] > 0 else None
    extra["features"] = {"computed_images": info["computed"], "reused_images": info["reused"], "seconds": round(info["seconds"], 3),
                         "cached": not adabn}
    if p.protocol == "knn":
        with watch:
            ytr = y[splits["train"]]
            score = lambda q: knn_scores(f["train"], ytr, q, p.knn_k, p.knn_temperature, objective.n_out, objective.multilabel)  # noqa: E731
            vm = scalar_metrics(objective.metrics(y[splits["val"]], score(f["val"])))
            em.metric("val", 0, 0, vm)
            probs = score(f["test"])
        k = min(p.knn_k, len(splits["train"]))
        if k < p.knn_k:
            em.log(f"knn_k {p.knn_k} is more than the {len(splits['train'])} labelled train images; every one of them votes.", "warning")
        extra["knn"] = {"k": k, "temperature": p.knn_temperature}
        return [], {"value": selection_value(vm, p.selection_metric), "epoch": 0, "metrics": vm}, ips, 0, probs
    with watch:
        sweep = make_sweep(p, objective, seed, em) if wants_sweep(p) else None
        history, best, _, record = linear_probe(model=model, batches=batches, splits=splits, y=y, p=p, device=device, em=em,
                                                objective=objective, seed=seed, feats=f, sweep=sweep)
        with torch.no_grad():
            logits = F.linear(f["test"], model.head.weight.detach().float().cpu(), model.head.bias.detach().float().cpu())
            probs = objective.probs(logits).numpy()
    if record is not None:
        extra["linear_fit" if record.get("solver") == "lbfgs" else "head_sweep"] = record
    return history, best, ips, p.linear_steps_per_epoch if p.linear_solver == "sgd" else 1, probs


def batchnorm_used(p: DownstreamParams) -> str:
    """Which BatchNorm statistics the reported model ran with, in words the results can show."""
    if p.protocol == "linear":
        return "adabn" if p.batchnorm == "adabn" else "pretext"
    if p.protocol == "finetune" and p.head_init == "linear_probe":
        return "adabn, then trained"
    return "trained"



class _LogsOnly:
    """Passes logs and progress on, drops metrics: the probe's epochs are not the run's epochs."""

    def __init__(self, em: Emitter):
        self._em = em

    def metric(self, *args, **kwargs) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._em, name)


@torch.no_grad()
def recalibrate_batchnorm(encoders, batches, idx, batch_size: int) -> None:
    """AdaBN (Li et al., 2016): re-estimate every BatchNorm's running mean and variance on the
    downstream train images (a cumulative average over one pass in train mode, no weights change).
    Pretext running statistics describe the pretraining images (mammograms, CT, photographs); a head
    fitted on features normalised with them meets differently scaled features as soon as fine-tuning
    runs in train mode, and its logits explode. After this pass eval-mode features match train-mode
    ones on chest images, so the probe's head carries over."""
    bns = [m for m in encoders.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over the pass
    encoders.train()
    for i in range(0, len(idx), batch_size):
        x = batches(idx[i:i + batch_size])
        for enc in encoders:
            enc(x)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    encoders.eval()


def init_head_by_probe(model, batches, splits, y, p, device, em: Emitter, objective: Objective, seed: int) -> dict:
    """LP-FT (Kumar et al., ICLR 2022, "Fine-Tuning can Distort Pretrained Features"): train the head
    as a linear probe on frozen features first, then fine-tune everything from there, so the first
    fine-tuning steps do not push a random head's large gradients into the pretrained encoder.
    BatchNorm statistics are re-estimated on the downstream train images first (see
    recalibrate_batchnorm; measured on the demo, without it the loss reached thousands). The probe
    sees train and val only (its C is chosen on val) and uses the job's head settings; returns its best val
    result (the caller scores test with it once, as the fine-tuning run's recorded start)."""
    recalibrate_batchnorm(model.encoders, batches, splits["train"], max(p.batch_size, 64))
    _, best, _, record = linear_probe(model=model, batches=batches, splits={s: splits[s] for s in ("train", "val")}, y=y, p=p,
                                 device=device, em=_LogsOnly(em), objective=objective, seed=seed)
    for par in model.encoders.parameters():  # the probe froze them
        par.requires_grad_(True)
    chosen = f"C {record['chosen']['C']:g}" if record and record.get("solver") == "lbfgs" else f"probe epoch {best['epoch']}"
    em.log(f"Head initialised by a linear probe on frozen features (val {p.selection_metric} {abs(best['value']):.3f} at "
           f"{chosen}); fine-tuning the whole network from there.")
    out = {"epoch": best["epoch"], "val": best["metrics"], "solver": p.linear_solver}
    if record and record.get("solver") == "lbfgs":
        out["C"] = record["chosen"]["C"]
    return out


def end_to_end(job, p, model, batches, splits, y, objective: Objective, device, em, run_dir, config, watch: Stopwatch):
    """finetune (encoder lr + head lr) and scratch (one lr), through the shared TrainLoop. ``watch``
    gets the time of the training steps and of validation."""
    enc_lr = p.lr_encoder if p.protocol == "finetune" else p.lr_head
    if p.protocol == "scratch" and p.lr_encoder and p.lr_encoder != p.lr_head:
        enc_lr = p.lr_encoder
    groups = [{"params": list(model.encoders.parameters()), "lr": enc_lr, "name": "encoder"},
              {"params": list(model.head.parameters()), "lr": p.lr_head, "name": "head"}]
    opt = make_optimizer(p.optimizer, groups, p.weight_decay)
    ytr = objective.targets(y)
    sample_w = None
    if p.imbalance == "balanced_sampler":  # multilabel14 balances images with and without a finding
        st = strata(y[splits["train"]])
        sample_w = 1.0 / np.bincount(st)[st]

    def step_fn(idx, gen):
        x = batches(idx, gen if p.augment else None)
        t = ytr[idx].to(device.torch_device, non_blocking=True)
        with device.autocast():
            out = model(x)
        return objective.loss(out, t), len(idx)

    def validate(epoch):
        with watch:
            probs = predict(model, batches, splits["val"], inference_batch(p.batch_size, device, p.image_size, len(p.encoders)), device, activation=objective.probs).numpy()
            vm = scalar_metrics(objective.metrics(y[splits["val"]], probs))
        return vm, selection_value(vm, p.selection_metric)

    arch = {"protocol": p.protocol, "encoders": len(p.encoders), "classes": objective.n_out, "image_size": p.image_size}
    spec = LoopSpec(epochs=p.epochs, batch_size=p.batch_size, seed=job.seed, schedule=p.schedule, warmup_epochs=p.warmup_epochs,
                    max_steps_per_epoch=p.max_steps_per_epoch, select_mode="max", sample_weights=sample_w)
    loop = TrainLoop(emitter=em, device=device, model=model, optimizer=opt, run_dir=run_dir, kind="downstream", arch=arch,
                     config=config, train_idx=splits["train"], spec=spec, step_fn=step_fn, validate_fn=validate,
                     prefetch=batches.prefetch)
    loop.try_resume()
    resumed_seconds = loop.state.all_seconds
    state = loop.run()
    watch.seconds += state.all_seconds - resumed_seconds  # the optimiser steps of this process
    best_path = run_dir / "best.pth"
    if best_path.exists():
        model.load_state_dict(load_checkpoint(best_path)["model"])
    return state.history, state.best, loop.images_per_s(), loop.steps_per_epoch()
