"""The ``pretext`` job: trains one pretext task on one dataset cache and leaves best.pth (weights) and,
until the lab records the run done, last.pth (the resumable state)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import torch

from . import checkpoints
from .data import BatchMaker, open_cache, subset
from .device import Device, step_generator
from .errors import bad_input
from .jobs import Job, PretextParams, one_of, parse_dataclass, positive
from .loop import LoopSpec, TrainLoop
from .optim import OPTIMIZERS, SCHEDULES, make_optimizer
from .pretext import PRETEXT_TASKS, build_task
from .pretext.base import margin_over_chance
from .pretext.supervised import single_labels
from .protocol import Emitter
from .snapshots import snapshot_records, snapshot_steps, write_snapshot


def check_params(p: PretextParams) -> None:
    one_of(p.task, tuple(PRETEXT_TASKS), "params.task")
    one_of(p.optimizer, OPTIMIZERS, "params.optimizer")
    one_of(p.schedule, SCHEDULES, "params.schedule")
    one_of(p.laterality, LATERALITY_MODES, "params.laterality")
    for name in ("image_size", "steps", "val_every_steps", "epochs", "batch_size", "lr", "max_steps_per_epoch",
                 "checkpoint_every_steps", "max_train_images"):
        positive(getattr(p, name), f"params.{name}")
    if p.checkpoint_every_s < 0:
        raise bad_input(f"params.checkpoint_every_s is {p.checkpoint_every_s}; use a number of seconds (0 writes last.pth at every grid step).")
    if p.image_size < 16:
        raise bad_input(f"params.image_size is {p.image_size}; ResNet-18 needs at least 16 pixels (32 or more is sensible).")
    if p.batch_size < 2 or (p.task == "rotation" and p.rotation_mode == "all4" and p.batch_size < 4):
        raise bad_input(f"params.batch_size is {p.batch_size}; use at least 2 (4 for rotation in all4 mode) so BatchNorm can train.")


SOLVED_ACCURACY = 0.99  # validation accuracy from which a classification pretext task counts as solved


def solved_early(history: list) -> dict | None:
    """The first validation at which a classification pretext task (rotation, structure) reached
    SOLVED_ACCURACY: from there on the task is solved and its loss teaches the encoder little."""
    for h in history:
        acc = h["val"].get("accuracy")
        if acc is not None and acc >= SOLVED_ACCURACY:
            return {"step": h.get("step"), "round": h["epoch"], "accuracy": acc, "threshold": SOLVED_ACCURACY,
                    "message": f"solved early: validation accuracy {acc:.3f} at step {h.get('step')} (>= {SOLVED_ACCURACY}); "
                               "the task may teach the encoder little"}
    return None


LATERALITY_MODES = ("auto", "random", "keep")
MIRRORING_TASKS = ("rotation", "structure")  # the tasks a constant left/right orientation gives an answer to


def laterality_of(p: PretextParams, meta: dict) -> dict:
    """Whether the task mirrors each image at random (``random_hflip``), and why, for the run summary.
    A cache mirrored at import so every image faces one way (meta.json ``laterality_flip``, the reading
    convention for mammograms) hands rotation its answer: the side the chest wall lies on tells 0 from
    180 degrees. ``auto`` randomises the laterality exactly then."""
    flipped = bool(meta.get("laterality_flip"))
    applies = p.task in MIRRORING_TASKS
    on = applies and (p.laterality == "random" or (p.laterality == "auto" and flipped))
    if not applies:
        why = f"{p.task} does not read orientation; images as cached"
    elif on:
        why = ("the dataset was mirrored at import to face one way, so each image is mirrored at random before the task's "
               "transform" if flipped else "laterality 'random': each image is mirrored at random before the task's transform")
    else:
        why = ("the dataset was mirrored at import to face one way and laterality is 'keep': the constant orientation stays "
               "(rotation can read it)" if flipped else "images in their acquired orientation (not mirrored at import)")
    return {"flipped_at_import": flipped, "mode": p.laterality, "random_hflip": on, "message": why}


def build(p: PretextParams, class_names: list | None = None, random_hflip: bool = False):
    opts = {"rotation_mode": p.rotation_mode, "mask": p.mask, "structure_families": p.structure_families,
            "class_names": class_names, "random_hflip": random_hflip}
    return build_task(p.task, **opts)


def measure_shortcut(task, cache, p: PretextParams, job: Job, device: Device, run_dir: Path, em: Emitter) -> dict | None:
    """The shortcut score (shortcut.py) of this cell, measured once before training and kept in
    ``shortcut.json`` so a resumed run reports the same numbers without measuring again."""
    if not p.shortcut_score or task.uses_labels:
        return None  # the supervised reference learns the labels themselves: there is no pretext answer to give away
    path = run_dir / "shortcut.json"
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass  # written half by an interrupted attempt: measure again
    from .shortcut import describe, sample_counts, shortcut_score
    budget = p.steps * p.batch_size if p.steps else None
    fit, held = sample_counts(budget)
    score = shortcut_score(task, cache, p.image_size, device.torch_device, job.seed, augment=p.augment,
                           fit_samples=fit, held_out_samples=held)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(score, indent=2))
    os.replace(tmp, path)
    em.log(describe(score, p.task) + ".", "warning" if score.get("trivial") else "info")
    return score


def run_pretext(job: Job, em: Emitter, device: Device) -> dict:
    t_start = time.perf_counter()
    p = parse_dataclass(PretextParams, job.params, "params", lambda m: em.log(m, "warning"))
    check_params(p)
    cache = open_cache(p.dataset_dir)
    train_idx = subset(cache.split("train"), p.max_train_images, job.seed)
    val_idx = subset(cache.split("val"), p.max_val_images, job.seed + 1)
    if len(val_idx) == 0:
        raise bad_input(f"The val split of {cache.dir} is empty; a pretext run needs validation images to pick best.pth.")
    labels = None
    if PRETEXT_TASKS[p.task].uses_labels:
        names = cache.label_names or [f"class{i}" for i in range(cache.labels.shape[1] if cache.labels is not None else 0)]
        labels = torch.as_tensor(single_labels(cache.labels, names, str(cache.dir)))
        present = torch.unique(labels[torch.as_tensor(train_idx)])
        if len(present) < 2:
            raise bad_input(f"The train split of {cache.dir} holds images of {len(present)} class(es) only; the supervised reference "
                            "needs at least two. Import the dataset with more classes, or leave it out of baselines.supervised.")
    snaps = snapshot_steps(p.snapshots, p.steps)
    laterality = laterality_of(p, cache.meta)
    torch.manual_seed(job.seed)
    task = build(p, names if labels is not None else None, laterality["random_hflip"])
    model = device.prepare_model(task)
    batches = BatchMaker(cache, p.image_size, device.torch_device, device.channels_last, crop_padding=True)
    opt = make_optimizer(p.optimizer, [{"params": model.parameters(), "lr": p.lr, "name": "all"}], p.weight_decay)
    run_dir = Path(job.run_dir)
    arch = {"task": p.task, "encoder": "resnet18", "image_size": p.image_size, **task.options()}
    config = {"job": {k: v for k, v in dataclasses.asdict(job).items() if k != "params"}, "params": dataclasses.asdict(p),
              "normalisation": cache.normalisation(), "dataset": cache.meta.get("name"), "grey_to_rgb": "replicate"}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    src_per_step = task.source_images

    def step_fn(idx, gen):
        x = batches(idx, gen if p.augment else None)
        batch = task.make_batch(x, gen)
        if labels is not None:
            batch["y"] = labels[torch.as_tensor(idx)].to(x.device, non_blocking=True)
        with device.autocast():
            loss, _ = model.loss(batch)
        return loss, batch["x"].shape[0]

    last_val_batch = {}

    @torch.no_grad()
    def validate(epoch):
        sums, loss_sum, n = {}, 0.0, 0
        src = src_per_step(p.batch_size)
        for i in range(0, len(val_idx), src):
            idx = val_idx[i:i + src]
            if i + src < len(val_idx):  # gathered in the background while this batch runs
                batches.prefetch(val_idx[i + src:i + 2 * src])
            gen = step_generator(job.seed, 10_000, i)  # the same val batches every epoch
            batch = task.make_batch(batches(idx), gen)
            if labels is not None:
                batch["y"] = labels[torch.as_tensor(idx)].to(batch["x"].device, non_blocking=True)
            with device.autocast():
                loss, out = model.loss(batch)
            loss_sum += float(loss) * batch["x"].shape[0]
            n += batch["x"].shape[0]
            for k, v in model.eval_counts(batch, out).items():
                sums[k] = sums.get(k, 0.0) + v
            last_val_batch.update(batch=batch, out=out)
        metrics = {"loss": loss_sum / max(n, 1), **model.summarise(sums)}
        return metrics, metrics["loss"]

    def on_epoch_end(epoch):
        step = loop.state.step
        if step in snaps:
            val = loop.state.history[-1]["val"] if loop.state.history else None
            path = write_snapshot(model, run_dir, task=p.task, dataset=cache.meta.get("name"), seed=job.seed, step=step,
                                  fraction=snaps[step], total_steps=p.steps, val=val,
                                  meta={"normalisation": cache.normalisation(), "image_size": p.image_size})
            em.log(f"Encoder snapshot at step {step} of {p.steps} ({snaps[step]:g} of the budget): {Path(path).name}.")
        if p.task == "inpainting" and last_val_batch:
            art = run_dir / "artifacts"
            art.mkdir(exist_ok=True)
            path = art / f"inpainting-epoch{epoch + 1:03d}.png"
            model.save_preview(last_val_batch["batch"], last_val_batch["out"], cache.mean, cache.std, path)
            em.artifact(str(path), "image", path.name)

    spec = LoopSpec(epochs=p.epochs, batch_size=p.batch_size, seed=job.seed, schedule=p.schedule,
                    warmup_epochs=p.warmup_epochs, max_steps_per_epoch=p.max_steps_per_epoch,
                    checkpoint_every_steps=p.checkpoint_every_steps, checkpoint_every_s=p.checkpoint_every_s, select_mode="min",
                    min_batch=4 if p.task == "rotation" else 2,
                    total_steps=p.steps, round_steps=p.val_every_steps, warmup_steps=p.warmup_steps,
                    extra_round_ends=tuple(snaps))
    loop = TrainLoop(emitter=em, device=device, model=model, optimizer=opt, run_dir=run_dir, kind="pretext", arch=arch,
                     config=config, train_idx=train_idx, spec=spec, step_fn=step_fn, validate_fn=validate,
                     source_per_step=src_per_step, on_epoch_end=on_epoch_end, prefetch=batches.prefetch)
    loop.try_resume()
    shortcut = measure_shortcut(task, cache, p, job, device, run_dir, em)
    state = loop.run()
    batches.close()  # the gather thread ends with the training (an error ends it when batches is collected)
    last_val = state.history[-1]["val"] if state.history else {}
    solved = solved_early(state.history)
    if solved:
        em.log(f"The {p.task} task was {solved['message']}.", "warning")
    return {
        "task": p.task, "dataset": cache.meta.get("name"), "final_val": last_val, "best": state.best,
        # the budget and what it made on this dataset (network_images counts what went through the network)
        "steps": int(state.step), "batch_size": loop.batch_size, "network_images": int(state.all_images),
        "source_images": int(state.source_images), "epochs": state.source_images / max(len(train_idx), 1),
        "budget": {"steps": p.steps, "batch_size": p.batch_size} if p.steps else None,
        "wall_s": time.perf_counter() - t_start, "train_s": state.all_seconds, "solved_early": solved,
        # time inside training and validation steps, over every attempt (the loop state is checkpointed)
        "train_seconds": state.all_seconds + state.eval_seconds,
        # the final validation against an unlearned guess (pretext/base.py: PretextTask.chance)
        "chance": margin_over_chance(last_val, model.chance(last_val)),
        "images_per_s": loop.images_per_s(), "train_images": int(len(train_idx)), "val_images": int(len(val_idx)),
        "options": task.options(), "normalisation": cache.normalisation(),
        # what the run keeps (weights) and what the lab deletes once it has recorded the run done
        "checkpoints": {"best": str(run_dir / checkpoints.WEIGHTS_FILE), "resumable": list(checkpoints.RESUMABLE_FILES)},
        "device": device.type, "grey_to_rgb": "replicate",
        # left/right: mirrored at import or not, and whether the task mirrors each image at random
        "laterality": laterality,
        # how well unlearned baselines solve the task on this dataset, measured before training (shortcut.py)
        "shortcut": shortcut,
        # the encoder at fractions of the budget (snapshots.py): step, file and the validation at that step
        "snapshots": snapshot_records(snaps, state.history, run_dir, task=p.task, dataset=cache.meta.get("name"), seed=job.seed)
        if snaps else None,
    }

__all__ = ["run_pretext"]
