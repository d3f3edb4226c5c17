"""Metric messages of the training loop carry the global step, so a run's curves have one x per epoch
(they all said `steps`, the per-epoch count, and stacked every epoch on one x)."""

import io
import json

import numpy as np
import torch

from xlab.device import resolve_device
from xlab.loop import LoopSpec, TrainLoop
from xlab.optim import make_optimizer
from xlab.protocol import Emitter


def test_metric_steps_grow_with_the_epochs(tmp_path):
    model = torch.nn.Linear(4, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.1}], 0.0)
    out = io.StringIO()

    def step_fn(idx, gen):
        return model(torch.randn(len(idx), 4, generator=gen)).pow(2).mean(), len(idx)

    TrainLoop(emitter=Emitter("r", out), device=resolve_device("cpu"), model=model, optimizer=opt, run_dir=tmp_path,
              kind="test", arch={}, config={}, train_idx=np.arange(32),
              spec=LoopSpec(epochs=3, batch_size=8, seed=0, schedule="constant"), step_fn=step_fn,
              validate_fn=lambda e: ({"loss": 1.0 / (e + 1)}, 0.0)).run()
    msgs = [json.loads(line) for line in out.getvalue().splitlines()]
    for split in ("train", "val"):
        steps = [m["step"] for m in msgs if m["type"] == "metric" and m["split"] == split]
        assert steps == [4, 8, 12], steps
