"""The shared training loop of pretext and end-to-end downstream jobs: seeded epoch order, lr schedule
by step, timed and epoch checkpoints, best-by-validation, resume, SIGTERM, non-finite loss and
GPU out-of-memory handling.

Two ways to say how long to train:
  - epochs (downstream): ``epochs`` passes over the train split, validation after each;
  - a step budget (pretext, ``total_steps``): exactly that many optimiser steps whatever the dataset's
    size, validation every ``round_steps``; the data flows over as many passes as the budget needs, so
    epochs follow from the dataset size instead of being chosen (DESIGN.md, scientific rules).
A "round" is what ends with validation and a checkpoint: an epoch, or ``round_steps`` steps.
Progress and metric messages carry the global step (steps = the run's total).

When ``last.pth`` (the resumable state, a few hundred MB with Adam) is written:
  - inside a round, at most every ``checkpoint_every_s`` seconds (of this process's time in the
    loop, training and validation), on the ``checkpoint_every_steps`` grid when one is given;
  - at the end of every epoch of an epoch-run; at a round end of a step budget only when the
    interval has passed too (a budget's rounds are validation points, as often as a study likes,
    not epochs: 12 steps in the demo);
  - on SIGTERM / SIGUSR2, always.
``checkpoint_every_s`` 0 (or None) lifts the time limit: every grid step and every round end, the
cadence before lean checkpoints. ``best.pth`` is written weights-only whenever validation improves."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import cancel, checkpoints
from .device import Device, free_memory, is_oom, step_generator
from .errors import JobError
from .live import LiveCurve, memory_mb
from .optim import lr_factor, scale_base_lr, set_lr
from .protocol import Emitter, Progress

MAX_OOM_RETRIES = 3
TIMING_SKIP = 2  # warm-up steps per process left out of images/s


@dataclass
class LoopSpec:
    """How to run the loop; everything a job's params decide."""

    epochs: int  # passes over the train indices
    batch_size: int  # network inputs per step
    seed: int  # seeds the epoch order and every step's random choices
    schedule: str  # cosine / step / constant
    warmup_epochs: float = 0.0  # linear warm-up length in epochs
    max_steps_per_epoch: int | None = None  # caps each epoch
    checkpoint_every_steps: int | None = None  # inside a round, write last.pth only on this step grid
    checkpoint_every_s: float | None = 60.0  # at most one last.pth per this many seconds (0/None: no limit)
    select_mode: str = "max"  # best.pth when the validation value goes up (max) or down (min)
    min_batch: int = 2  # smallest batch an OOM retry may go down to
    sample_weights: np.ndarray | None = None  # per-train-index weights: balanced sampling with replacement
    total_steps: int | None = None  # a step budget: the run's optimiser steps (epochs, max_steps_per_epoch unused)
    round_steps: int | None = None  # with a budget: steps between validations (default: a quarter of it)
    warmup_steps: int = 0  # with a budget: linear warm-up length in steps
    extra_round_ends: tuple = ()  # with a budget: further steps that end a round (validation there), e.g. encoder snapshots


@dataclass
class LoopState:
    """Where the loop stands; saved in every checkpoint."""

    epoch: int = 0  # epoch (or, with a step budget, round) in progress
    position: int = 0  # train indices of the current data pass already consumed
    step: int = 0  # optimiser steps done
    data_epoch: int = 0  # data passes begun before the current one (step budget)
    source_images: int = 0  # dataset images drawn by every step
    best: dict | None = None  # {"value", "epoch", "metrics"} of the best validation so far
    train_images: int = 0  # network images of the timed steps (for images/s)
    train_seconds: float = 0.0  # time spent in the timed training steps
    all_images: int = 0  # network images of every step, warm-up included
    all_seconds: float = 0.0  # time of every step (images/s of runs too short to leave out warm-up)
    eval_seconds: float = 0.0  # time of the validation passes (with all_seconds: the run's train_seconds)
    history: list = field(default_factory=list)  # per-epoch {"epoch", "train_loss", "val": {...}}
    epoch_loss_sum: float = 0.0  # running train-loss sum of the epoch in progress
    epoch_loss_n: int = 0  # steps in that sum


class TrainLoop:
    """``step_fn(idx, gen) -> (loss, network_images)`` runs the forward pass (under autocast) for the
    train indices ``idx``; ``validate_fn(epoch) -> (metrics, selection value)`` runs after each epoch;
    ``source_per_step(batch)`` says how many dataset images a step of ``batch`` network inputs takes;
    ``prefetch(idx)`` (BatchMaker.prefetch) is told the next step's train indices before each step, so
    their gather overlaps this step's compute."""

    def __init__(self, *, emitter: Emitter, device: Device, model: torch.nn.Module, optimizer, run_dir: Path,
                 kind: str, arch: dict, config: dict, train_idx: np.ndarray, spec: LoopSpec,
                 step_fn: Callable, validate_fn: Callable, source_per_step: Callable[[int], int] = lambda b: b,
                 on_epoch_end: Callable | None = None, clock: Callable[[], float] = time.monotonic,
                 prefetch: Callable[[np.ndarray], None] | None = None):
        self.em, self.device, self.model, self.opt = emitter, device, model, optimizer
        self.run_dir, self.kind, self.arch, self.config = Path(run_dir), kind, arch, config
        self.train_idx, self.spec = train_idx, spec
        self.step_fn, self.validate_fn, self.source_per_step = step_fn, validate_fn, source_per_step
        self.on_epoch_end = on_epoch_end
        self.prefetch = prefetch or (lambda idx: None)
        self.clock = clock  # injectable so tests can drive the checkpoint cadence
        self.last_saved_at = clock()  # a fresh or resumed process has lost nothing yet
        self.batch_size = spec.batch_size
        self.state = LoopState()
        self.sync_every = 1 if device.type == "cpu" else 25  # reading the loss syncs a GPU: do it rarely
        self.steps_this_process = 0  # the first TIMING_SKIP steps (allocation, cudnn autotuning) are not timed

    # ----- geometry -------------------------------------------------------------------------------
    def steps_per_epoch(self, batch: int | None = None) -> int:
        src = self.source_per_step(batch or self.batch_size)
        n = len(self.train_idx)
        steps = max(1, n // src)
        return min(steps, self.spec.max_steps_per_epoch) if self.spec.max_steps_per_epoch else steps

    def epoch_order(self, epoch: int) -> np.ndarray:
        g = step_generator(self.spec.seed, epoch, 7919)
        n = len(self.train_idx)
        if self.spec.sample_weights is not None:
            w = torch.as_tensor(self.spec.sample_weights, dtype=torch.float64)
            pick = torch.multinomial(w, n, replacement=True, generator=g)
        else:
            pick = torch.randperm(n, generator=g)
        return self.train_idx[pick.numpy()]

    # ----- checkpoints ----------------------------------------------------------------------------
    def _ckpt(self) -> dict:
        s = self.state
        gstep = s.step if self.spec.total_steps else s.epoch * self.steps_per_epoch() + s.position // self.source_per_step(self.batch_size)
        return checkpoints.training_state(
            kind=self.kind, arch=self.arch, config=self.config, model=self.model, optimizer=self.opt, scaler=None,
            epoch=s.epoch, position=s.position, global_step=gstep, batch_size=self.batch_size, best=s.best,
            extra={"loop": s.__dict__})

    def save(self, which: str = "last") -> None:
        """The resumable state as ``last.pth`` (the one it replaces becomes ``last.prev.pth``)."""
        path = checkpoints.save_atomic(self._ckpt(), self.run_dir / f"{which}.pth")
        self.last_saved_at = self.clock()
        s = self.state
        step = s.step if self.spec.total_steps else s.position // self.source_per_step(self.batch_size)
        self.em.send("checkpoint", path=str(path), which=which, epoch=s.epoch, step=step)

    def save_due(self, at_grid: bool = True) -> bool:
        """Whether a last.pth is due now: on the step grid (``at_grid``) and the interval passed."""
        every = self.spec.checkpoint_every_s
        return at_grid and (not every or self.clock() - self.last_saved_at >= every)

    def save_best(self) -> None:
        """The model as it is now, weights only, as ``best.pth``: its own file, never a link to last.pth."""
        best = checkpoints.save_atomic(checkpoints.weights_state(self._ckpt()), self.run_dir / checkpoints.WEIGHTS_FILE,
                                       keep_previous=False)
        self.em.send("checkpoint", path=str(best), which="best", epoch=self.state.epoch, step=0)

    def finish(self) -> None:
        """A run whose validation never gave a usable value still leaves weights: its final ones."""
        if self.state.best is None:
            self.em.log("No validation round gave a usable selection value; best.pth holds the final weights.", "warning")
            self.save_best()

    def try_resume(self) -> bool:
        found = checkpoints.load_resumable(self.run_dir, lambda m: self.em.log(m, "warning"))
        if found is None:
            return False
        ck, path = found
        checkpoints.check_arch(ck, self.arch, path)
        checkpoints.restore(ck, self.model, self.opt, None)
        self.batch_size = int(ck["batch_size"])
        self.state = LoopState(**ck["extra"]["loop"])
        where = f"step {self.state.step} of {self.spec.total_steps}" if self.spec.total_steps else \
            f"epoch {self.state.epoch + 1}, {self.state.position} images into it"
        self.em.log(f"Resuming from {path}: {where}.")
        return True

    # ----- the loop -------------------------------------------------------------------------------
    def run(self) -> LoopState:
        retries = 0
        while True:
            try:
                self._run_budget() if self.spec.total_steps else self._run_epochs()
                self.finish()
                return self.state
            except JobError:
                raise
            except Exception as e:
                if not is_oom(e):
                    raise
                self.opt.zero_grad(set_to_none=True)
                free_memory(self.device)
                new = self.batch_size // 2
                if retries >= MAX_OOM_RETRIES or new < self.spec.min_batch:
                    raise JobError("OOM", f"Out of memory on {self.device.type} even at batch size {self.batch_size} "
                                   f"after {retries} halvings. Lower image_size or batch_size, or free the device.") from None
                retries += 1
                scale_base_lr(self.opt, new / self.batch_size)
                self.em.log(f"Out of memory at batch size {self.batch_size}; retrying with {new} and the learning rate "
                            f"scaled by {new / self.batch_size:g} (retry {retries} of {MAX_OOM_RETRIES}).", "warning")
                self.batch_size = new

    def _run_epochs(self) -> None:
        spec, s = self.spec, self.state
        progress = Progress(self.em, "train", spec.epochs, memory=self._memory)
        live = LiveCurve(self.em, spec.epochs * self.steps_per_epoch(), len(self.train_idx))
        while s.epoch < spec.epochs:
            steps = self.steps_per_epoch()
            src = self.source_per_step(self.batch_size)
            order = self.epoch_order(s.epoch)
            total_steps = spec.epochs * steps
            warm = int(round(spec.warmup_epochs * steps))
            self.model.train()
            while s.position // src < steps and s.position + src <= max(len(order), src):
                step = s.position // src
                gstep = s.epoch * steps + step
                set_lr(self.opt, lr_factor(gstep, total_steps, spec.schedule, warm))
                idx = order[s.position:s.position + src]
                nxt = s.position + src
                if (step + 1 < steps) and nxt + src <= max(len(order), src):  # the next step of this epoch
                    self.prefetch(order[nxt:nxt + src])
                n_img, loss_value = self._step(idx, step_generator(spec.seed, s.epoch, s.position, 1),
                                               sync=(step + 1) % self.sync_every == 0 or step + 1 == steps,
                                               where=f"epoch {s.epoch + 1}, step {step + 1}")
                s.position += src
                s.source_images += len(idx)
                s.step += 1
                progress.update(s.epoch + 1, gstep + 1, total_steps, n_img, loss_value, force=step + 1 == steps,
                                remaining_steps=total_steps - gstep - 1)
                live.step(epoch=s.epoch + 1, step=gstep + 1, loss=loss_value, images=n_img, lr=self._lr(),
                          source_images=s.source_images, force=step + 1 == steps)
                if cancel.requested():
                    self.save("last")
                    raise cancel.cancelled_error()
                grid = not spec.checkpoint_every_steps or (step + 1) % spec.checkpoint_every_steps == 0
                if step + 1 < steps and (spec.checkpoint_every_steps or spec.checkpoint_every_s) and self.save_due(grid):
                    self.save("last")
            self._end_epoch((s.epoch + 1) * steps, epoch_end=True)
            live.restart_clock()

    def rounds(self) -> int:
        """Validations of a step-budget run."""
        return len(self.round_ends())

    def round_steps(self) -> int:
        return self.spec.round_steps or max(1, math.ceil(self.spec.total_steps / 4))

    def round_ends(self) -> list[int]:
        """The steps a step-budget run validates at: every ``round_steps`` and the last step, plus
        ``extra_round_ends`` (without them, the rounds of runs made before those existed, so a resumed
        run's round index still means the same step)."""
        total, per_round = self.spec.total_steps, self.round_steps()
        ends = {min(total, k * per_round) for k in range(1, math.ceil(total / per_round) + 1)}
        ends.update(int(e) for e in self.spec.extra_round_ends if 0 < int(e) <= total)
        return sorted(ends)

    def _run_budget(self) -> None:
        """Exactly ``total_steps`` optimiser steps; the data order restarts (a new seeded permutation)
        whenever the next step's images would run past the end of the current pass."""
        spec, s = self.spec, self.state
        total, ends = spec.total_steps, self.round_ends()
        progress = Progress(self.em, "train", len(ends), memory=self._memory)
        live = LiveCurve(self.em, total, len(self.train_idx))
        order_of = (None, None)  # (data pass, its order): one permutation per pass, not per step
        while s.step < total:
            self.model.train()
            round_end = ends[min(s.epoch, len(ends) - 1)]
            while s.step < round_end:
                src = self.source_per_step(self.batch_size)
                n = len(self.train_idx)
                if s.position + src > n and s.position > 0:  # this pass is used up: the next one
                    s.data_epoch += 1
                    s.position = 0
                if order_of[0] != s.data_epoch:
                    order_of = (s.data_epoch, self.epoch_order(s.data_epoch))
                order = order_of[1]
                set_lr(self.opt, lr_factor(s.step, total, spec.schedule, spec.warmup_steps))
                idx = order[s.position:s.position + src]  # shorter than src only when the split is
                if s.step + 1 < round_end:
                    order_of = self._prefetch_next(order_of, s.position + len(idx), src)
                n_img, loss_value = self._step(idx, step_generator(spec.seed, s.data_epoch, s.position, 1),
                                               sync=(s.step + 1) % self.sync_every == 0 or s.step + 1 == round_end,
                                               where=f"step {s.step + 1}")
                s.position += len(idx)
                s.source_images += len(idx)
                s.step += 1
                progress.update(s.epoch + 1, s.step, total, n_img, loss_value, force=s.step == round_end,
                                remaining_steps=total - s.step)
                live.step(epoch=s.epoch + 1, step=s.step, loss=loss_value, images=n_img, lr=self._lr(),
                          source_images=s.source_images, force=s.step == round_end)
                if cancel.requested():
                    self.save("last")
                    raise cancel.cancelled_error()
                grid = not spec.checkpoint_every_steps or s.step % spec.checkpoint_every_steps == 0
                if s.step < round_end and (spec.checkpoint_every_steps or spec.checkpoint_every_s) and self.save_due(grid):
                    self.save("last")
            self._end_epoch(s.step, restart_data=False, epoch_end=False)
            live.restart_clock()

    def _lr(self) -> float:
        return float(self.opt.param_groups[0]["lr"])

    def _memory(self) -> float | None:
        return memory_mb(self.device.type)

    def _prefetch_next(self, order_of: tuple, position: int, src: int) -> tuple:
        """Names the next budget step's indices to ``prefetch``, as _run_budget will take them (the next
        pass's order when this one is used up); returns the (pass, order) to keep."""
        if position + src > len(self.train_idx) and position > 0:
            order_of, position = (order_of[0] + 1, self.epoch_order(order_of[0] + 1)), 0
        self.prefetch(order_of[1][position:position + src])
        return order_of

    def _step(self, idx, gen, *, sync: bool, where: str) -> tuple[int, float | None]:
        """One optimiser step on the train indices ``idx``; returns (network images, loss or None when not synced)."""
        s = self.state
        t0 = time.perf_counter()
        loss, n_img = self.step_fn(idx, gen)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        loss_value = None
        if sync:
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise JobError("NON_FINITE", f"The training loss became {loss_value} at {where}. "
                               "Lower the learning rate or check the dataset; last.pth still holds the last good state.")
            s.epoch_loss_sum += loss_value
            s.epoch_loss_n += 1
        self.steps_this_process += 1
        dt = time.perf_counter() - t0
        s.all_seconds += dt
        s.all_images += n_img
        if self.steps_this_process > TIMING_SKIP:
            s.train_seconds += dt
            s.train_images += n_img
        return n_img, loss_value

    def _end_epoch(self, gstep: int, restart_data: bool = True, epoch_end: bool = True) -> None:
        """Validation, best and checkpoint at the end of a round; ``gstep`` is the global step;
        ``epoch_end``: the round is an epoch, which always writes last.pth."""
        s = self.state
        train_loss = s.epoch_loss_sum / s.epoch_loss_n if s.epoch_loss_n else None
        self.em.metric("train", s.epoch + 1, gstep, {"loss": train_loss, "images_per_s": self.images_per_s()})
        self.model.eval()
        t_eval = time.perf_counter()
        metrics, value = self.validate_fn(s.epoch)
        s.eval_seconds += time.perf_counter() - t_eval
        self.em.metric("val", s.epoch + 1, gstep, metrics)
        s.history.append({"epoch": s.epoch + 1, "step": gstep, "train_loss": train_loss, "val": metrics})
        improved = value is not None and math.isfinite(value) and (
            s.best is None or (value > s.best["value"] if self.spec.select_mode == "max" else value < s.best["value"]))
        if improved:
            s.best = {"value": value, "epoch": s.epoch + 1, "step": gstep, "metrics": metrics}
        if self.on_epoch_end:
            self.on_epoch_end(s.epoch)
        s.epoch += 1
        if restart_data:
            s.position = 0
        s.epoch_loss_sum, s.epoch_loss_n = 0.0, 0
        if improved:
            self.save_best()
        if cancel.requested():
            self.save("last")
            raise cancel.cancelled_error()
        if epoch_end or self.save_due():
            self.save("last")

    def images_per_s(self) -> float | None:
        s = self.state
        if s.train_seconds > 0:
            return s.train_images / s.train_seconds
        return s.all_images / s.all_seconds if s.all_seconds > 0 else None
