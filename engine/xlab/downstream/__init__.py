"""The ``downstream`` job: linear / finetune / scratch on a labelled cache, with 1 encoder, 2-3
encoders (fusion), or none (scratch). Model selection on val, final metrics on test."""

from __future__ import annotations

import dataclasses
import json
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
from ..optim import OPTIMIZERS, SCHEDULES, make_optimizer
from ..protocol import Emitter
from .common import build_classifier, predict, score, write_test_outputs
from .linear import linear_probe, selection_value
from .normalise import input_map, member_normalisation
from .targets import class_weights, make_targets, stratified_cap

PROTOCOLS = ("linear", "finetune", "scratch")
IMBALANCE = ("weighted_loss", "balanced_sampler", "none")
HEAD_INIT = ("random", "linear_probe")
BATCHNORM = ("pretext", "adabn")
NORMALISATION = ("downstream", "pretraining")


def check_params(p: DownstreamParams) -> None:
    one_of(p.protocol, PROTOCOLS, "params.protocol")
    one_of(p.imbalance, IMBALANCE, "params.imbalance")
    one_of(p.head_init, HEAD_INIT, "params.head_init")
    one_of(p.batchnorm, BATCHNORM, "params.batchnorm")
    one_of(p.normalisation, NORMALISATION, "params.normalisation")
    if p.batchnorm == "adabn" and p.protocol != "linear":
        raise bad_input(f"params.batchnorm adabn applies to protocol linear (finetune re-estimates BatchNorm itself with head_init "
                        f"linear_probe, and trains it); this job is {p.protocol}: leave it at pretext.")
    if p.normalisation == "pretraining" and p.protocol == "scratch":
        raise bad_input("params.normalisation pretraining needs encoders (it hands each its pretraining mean/std); scratch has none: use downstream.")
    if p.head_init == "linear_probe" and p.protocol != "finetune":
        raise bad_input(f"params.head_init linear_probe applies to protocol finetune only (this job is {p.protocol}); leave it at random.")
    one_of(p.optimizer, OPTIMIZERS, "params.optimizer")
    one_of(p.schedule, SCHEDULES, "params.schedule")
    for name in ("image_size", "epochs", "batch_size", "lr_head", "max_steps_per_epoch", "max_train_images", "linear_steps_per_epoch"):
        positive(getattr(p, name), f"params.{name}")
    n = len(p.encoders)
    if p.protocol == "scratch" and n:
        raise bad_input(f"params.encoders lists {n} encoder(s) but protocol scratch starts from random weights; pass an empty list.")
    if p.protocol != "scratch" and not 1 <= n <= 3:
        raise bad_input(f"protocol {p.protocol} needs 1 encoder (or 2-3 for fusion), got {n}.")
    if not all(isinstance(e, str) for e in p.encoders):
        raise bad_input("params.encoders must be a list of encoder file paths.")
    if p.batch_size < 2:
        raise bad_input("params.batch_size must be at least 2 so BatchNorm can train.")


def run_downstream(job: Job, em: Emitter, device: Device) -> dict:
    p = parse_dataclass(DownstreamParams, job.params, "params", lambda m: em.log(m, "warning"))
    check_params(p)
    cache = open_cache(p.dataset_dir, need_labels=True)
    y, class_names = make_targets(cache.labels, cache.label_names, p.target, str(cache.dir))
    splits = {s: cache.split(s) for s in ("train", "val", "test")}
    for s, idx in splits.items():
        if len(idx) == 0:
            raise bad_input(f"The {s} split of {cache.dir} is empty; import the dataset with a non-empty {s} split.")
    splits["train"] = stratified_cap(splits["train"], y, p.max_train_images, job.seed)
    n_classes = len(class_names)
    train_counts = np.bincount(y[splits["train"]], minlength=n_classes)
    if (train_counts > 0).sum() < 2:
        raise bad_input(f"The train split holds only one class of the {p.target} target ({dict(zip(class_names, train_counts.tolist()))}); nothing can be learned.")
    cw = class_weights(y[splits["train"]], n_classes) if p.imbalance == "weighted_loss" else None
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
              "grey_to_rgb": "replicate"}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    if p.protocol == "linear" and p.batchnorm == "adabn":
        recalibrate_batchnorm(model.encoders, batches, splits["train"], max(p.batch_size, 64))
        em.log("BatchNorm statistics re-estimated on the downstream train images (AdaBN) before the linear probe.")
    if p.protocol == "linear":
        history, best, ips = linear_probe(model=model, batches=batches, splits=splits, y=y, p=p, device=device, em=em,
                                          class_w=cw, seed=job.seed)
        last_epoch, steps = p.epochs, p.linear_steps_per_epoch
    else:
        if p.head_init == "linear_probe" and not (run_dir / "last.pth").exists():  # a resumed run has its head in last.pth
            config["head_probe"] = init_head_by_probe(model, batches, splits, y, p, device, em, cw, job.seed)
        history, best, ips, steps = end_to_end(job, p, model, batches, splits, y, cw, device, em, run_dir, n_classes, config)
        last_epoch = p.epochs
    probs = predict(model, batches, splits["test"], max(p.batch_size, 256), device, em, "test").numpy()
    test = write_test_outputs(run_dir, splits["test"], y[splits["test"]], probs, class_names, em, last_epoch, steps)
    return {
        "target": p.target, "protocol": p.protocol, "mode": mode, "encoders": list(p.encoders), "class_names": class_names,
        "test": {k: v for k, v in test.items() if k != "confusion_matrix"}, "confusion_matrix": test["confusion_matrix"],
        "best": best, "history": history, "images_per_s": ips, "imbalance": p.imbalance, "class_weights": config["class_weights"],
        "n": {s: int(len(i)) for s, i in splits.items()}, "train_class_counts": train_counts.tolist(),
        "predictions": str(run_dir / "test_predictions.json"), "normalisation": cache.normalisation(),
        "head_init": p.head_init, "head_probe": config.get("head_probe"), "batchnorm": batchnorm_used(p),
        "input_normalisation": {"policy": p.normalisation, "members": member_norm},
    }


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


def init_head_by_probe(model, batches, splits, y, p, device, em: Emitter, cw, seed: int) -> dict:
    """LP-FT (Kumar et al., ICLR 2022, "Fine-Tuning can Distort Pretrained Features"): train the head
    as a linear probe on frozen features first, then fine-tune everything from there, so the first
    fine-tuning steps do not push a random head's large gradients into the pretrained encoder.
    BatchNorm statistics are re-estimated on the downstream train images first (see
    recalibrate_batchnorm; measured on the demo, without it the loss reached thousands). The probe
    sees train and val only and uses the job's head settings; returns its best val result."""
    recalibrate_batchnorm(model.encoders, batches, splits["train"], max(p.batch_size, 64))
    _, best, _ = linear_probe(model=model, batches=batches, splits={s: splits[s] for s in ("train", "val")}, y=y, p=p,
                              device=device, em=_LogsOnly(em), class_w=cw, seed=seed)
    for par in model.encoders.parameters():  # the probe froze them
        par.requires_grad_(True)
    em.log(f"Head initialised by a linear probe on frozen features (val {p.selection_metric} {abs(best['value']):.3f} at probe "
           f"epoch {best['epoch']}); fine-tuning the whole network from there.")
    return {"epoch": best["epoch"], "val": best["metrics"]}


def end_to_end(job, p, model, batches, splits, y, cw, device, em, run_dir, n_classes, config):
    """finetune (encoder lr + head lr) and scratch (one lr), through the shared TrainLoop."""
    enc_lr = p.lr_encoder if p.protocol == "finetune" else p.lr_head
    if p.protocol == "scratch" and p.lr_encoder and p.lr_encoder != p.lr_head:
        enc_lr = p.lr_encoder
    groups = [{"params": list(model.encoders.parameters()), "lr": enc_lr, "name": "encoder"},
              {"params": list(model.head.parameters()), "lr": p.lr_head, "name": "head"}]
    opt = make_optimizer(p.optimizer, groups, p.weight_decay)
    weight = torch.as_tensor(cw, dtype=torch.float32, device=device.torch_device) if cw is not None else None
    ytr = torch.as_tensor(y)
    sample_w = None
    if p.imbalance == "balanced_sampler":
        counts = np.bincount(y[splits["train"]], minlength=n_classes)
        sample_w = 1.0 / counts[y[splits["train"]]]

    def step_fn(idx, gen):
        x = batches(idx, gen if p.augment else None)
        t = ytr[idx].to(device.torch_device, non_blocking=True)
        with device.autocast():
            out = model(x)
        return F.cross_entropy(out.float(), t, weight=weight), len(idx)

    def validate(epoch):
        probs = predict(model, batches, splits["val"], max(p.batch_size, 256), device).numpy()
        from ..metrics import scalar_metrics
        vm = scalar_metrics(score(y[splits["val"]], probs))
        return vm, selection_value(vm, p.selection_metric)

    arch = {"protocol": p.protocol, "encoders": len(p.encoders), "classes": n_classes, "image_size": p.image_size}
    spec = LoopSpec(epochs=p.epochs, batch_size=p.batch_size, seed=job.seed, schedule=p.schedule, warmup_epochs=p.warmup_epochs,
                    max_steps_per_epoch=p.max_steps_per_epoch, select_mode="max", sample_weights=sample_w)
    loop = TrainLoop(emitter=em, device=device, model=model, optimizer=opt, run_dir=run_dir, kind="downstream", arch=arch,
                     config=config, train_idx=splits["train"], spec=spec, step_fn=step_fn, validate_fn=validate,
                     prefetch=batches.prefetch)
    loop.try_resume()
    state = loop.run()
    best_path = run_dir / "best.pth"
    if best_path.exists():
        model.load_state_dict(load_checkpoint(best_path)["model"])
    return state.history, state.best, loop.images_per_s(), loop.steps_per_epoch()
