"""GPU out-of-memory handling of the training loop: halve the batch, rescale the lr, bounded retries.
A CPU cannot run out of GPU memory, so the step raises torch's own OutOfMemoryError above a size."""

import io

import numpy as np
import pytest
import torch

from xlab.device import resolve_device
from xlab.errors import JobError
from xlab.loop import LoopSpec, TrainLoop
from xlab.optim import make_optimizer
from xlab.protocol import Emitter


def _loop(tmp_path, fits_up_to):
    model = torch.nn.Linear(4, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.4}], 0.0)
    seen = []

    def step_fn(idx, gen):
        seen.append(len(idx))
        if len(idx) > fits_up_to:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return model(torch.randn(len(idx), 4, generator=gen)).pow(2).mean(), len(idx)

    out = io.StringIO()
    loop = TrainLoop(emitter=Emitter("r", out), device=resolve_device("cpu"), model=model, optimizer=opt, run_dir=tmp_path,
                     kind="test", arch={}, config={}, train_idx=np.arange(64),
                     spec=LoopSpec(epochs=1, batch_size=32, seed=0, schedule="constant"), step_fn=step_fn,
                     validate_fn=lambda e: ({"loss": 0.0}, 0.0))
    return loop, opt, seen, out


def test_oom_halves_batch_and_scales_lr(tmp_path):
    loop, opt, seen, out = _loop(tmp_path, fits_up_to=8)
    loop.run()
    assert loop.batch_size == 8 and seen[:3] == [32, 16, 8]
    assert opt.param_groups[0]["base_lr"] == pytest.approx(0.1)
    assert out.getvalue().count("Out of memory at batch size") == 2


def test_oom_retries_are_bounded(tmp_path):
    loop, _, _, _ = _loop(tmp_path, fits_up_to=1)
    with pytest.raises(JobError) as e:
        loop.run()
    assert e.value.code == "OOM" and e.value.exit_code == 4


def test_asking_for_a_missing_gpu_is_bad_input():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(JobError, match="no CUDA GPU"):
        resolve_device("cuda")
