"""The input pipeline (engine/xlab/data.py): batches gathered one ahead in a background thread are the
same tensors, in the same order, as the plain inline gather; the thread ends on close, on garbage
collection, at interpreter exit and after SIGTERM; pinned memory only for CUDA devices; content boxes
against a per-image reference."""

import gc
import io
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from conftest import ENGINE, worker_env
from xlab.data import BatchMaker, content_boxes, gather, open_cache, pin_for
from xlab.device import resolve_device
from xlab.fixtures import write_cache
from xlab.loop import LoopSpec, TrainLoop
from xlab.optim import make_optimizer
from xlab.protocol import Emitter


def gather_threads() -> list:
    return [t for t in threading.enumerate() if t.name.startswith("xlab-gather")]


@pytest.fixture()
def padded_cache(tmp_path):
    """A 40 px cache whose images carry zero padding of different sizes, so pretext batches crop."""
    cache = open_cache(write_cache(tmp_path / "c", n=60, size=40, seed=3))
    imgs = np.array(cache.images)
    imgs[::2, :7] = 0
    imgs[1::3, :, -11:] = 0
    cache.images = imgs
    return cache


def run_loop(cache, tmp_path, threaded: bool, spec: LoopSpec, train_idx: np.ndarray) -> tuple[list, list, BatchMaker]:
    """A real TrainLoop whose step feeds BatchMaker batches (crop, augmentation) to a tiny model;
    returns the step indices and the batches it saw."""
    bm = BatchMaker(cache, 32, "cpu", crop_padding=True, threaded=threaded)
    model = torch.nn.Conv2d(3, 1, 3)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.01}], 0.0)
    seen_idx, seen_x = [], []

    def step_fn(idx, gen):
        x = bm(idx, gen)
        seen_idx.append(np.array(idx))
        seen_x.append(x)
        return model(x).pow(2).mean(), len(idx)

    TrainLoop(emitter=Emitter("r", io.StringIO()), device=resolve_device("cpu"), model=model, optimizer=opt,
              run_dir=tmp_path / ("t" if threaded else "p"), kind="test", arch={}, config={}, train_idx=train_idx, spec=spec,
              step_fn=step_fn, validate_fn=lambda e: ({"loss": 1.0}, 1.0), prefetch=bm.prefetch).run()
    return seen_idx, seen_x, bm


@pytest.mark.parametrize("spec", [
    LoopSpec(epochs=2, batch_size=8, seed=4, schedule="constant"),
    # a step budget over 25 images: passes wrap inside rounds, the last batch of a pass is short
    LoopSpec(epochs=1, batch_size=8, seed=4, schedule="constant", total_steps=13, round_steps=5),
], ids=["epochs", "budget"])
def test_threaded_loop_gives_the_plain_batches(padded_cache, tmp_path, spec):
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    train_idx = np.arange(5, 30)
    idx_t, x_t, bm = run_loop(padded_cache, tmp_path, True, spec, train_idx)
    idx_p, x_p, plain = run_loop(padded_cache, tmp_path, False, spec, train_idx)
    assert len(idx_t) == len(idx_p) > 4
    for a, b in zip(idx_t, idx_p):
        assert np.array_equal(a, b)
    for a, b in zip(x_t, x_p):
        assert torch.equal(a, b)
    # the pipeline really ran: every step but the first of each round took a prefetched gather
    rounds = spec.epochs if not spec.total_steps else -(-spec.total_steps // spec.round_steps)
    assert bm.stats["prefetched"] == len(idx_t) - rounds and plain.stats["prefetched"] == 0
    bm.close()


def test_named_but_unused_batches_do_not_change_results(padded_cache):
    """A prefetch the loop does not follow (an OOM retry halves the batch) is skipped, not served."""
    bm, plain = BatchMaker(padded_cache, 32, "cpu", crop_padding=True), BatchMaker(padded_cache, 32, "cpu", threaded=False, crop_padding=True)
    bm.prefetch(np.arange(0, 8))
    bm.prefetch(np.arange(8, 16))
    a = bm(np.arange(8, 12), torch.Generator().manual_seed(1))  # not named: gathered inline
    b = bm(np.arange(8, 16), torch.Generator().manual_seed(2))  # named second: served, the first dropped
    assert torch.equal(a, plain(np.arange(8, 12), torch.Generator().manual_seed(1)))
    assert torch.equal(b, plain(np.arange(8, 16), torch.Generator().manual_seed(2)))
    assert bm.stats == {"prefetched": 1, "inline": 1} and not bm._pending
    bm.close()


def test_a_gather_error_is_raised_where_the_batch_is_asked_for(padded_cache):
    bm = BatchMaker(padded_cache, 32, "cpu")
    bm.prefetch(np.array([1, 999]))
    with pytest.raises(IndexError):
        bm(np.array([1, 999]))
    with pytest.raises(IndexError):  # the same error as the inline path
        BatchMaker(padded_cache, 32, "cpu", threaded=False)(np.array([1, 999]))
    bm.close()


def test_the_gather_thread_ends_on_close_and_on_collection(padded_cache):
    before = len(gather_threads())
    bm = BatchMaker(padded_cache, 32, "cpu")
    bm.prefetch(np.arange(4))
    assert len(gather_threads()) == before + 1
    bm.close()
    assert len(gather_threads()) == before
    assert bm(np.arange(4)).shape == (4, 3, 32, 32)  # closed: inline
    bm.prefetch(np.arange(4))  # closed: a no-op, no new thread
    assert len(gather_threads()) == before

    bm = BatchMaker(padded_cache, 32, "cpu")
    bm.prefetch(np.arange(4))
    thread = gather_threads()[-1]
    del bm
    gc.collect()
    thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.mark.parametrize("ending", ["exit", "exception", "sigterm"])
def test_the_process_ends_with_batches_still_queued(tmp_path, ending):
    """No hang at interpreter exit: a process that leaves gathers queued ends (the timeout only catches a hang)."""
    cache_dir = write_cache(tmp_path / "c", n=80, size=64, seed=0)
    script = f"""
import sys, time, numpy as np
from xlab import cancel
from xlab.data import BatchMaker, open_cache
cancel.install()
bm = BatchMaker(open_cache({str(cache_dir)!r}), 64, "cpu", crop_padding=True)
for i in range(10**6):
    bm.prefetch(np.arange(i % 40, i % 40 + 32))
    bm.prefetch(np.arange(0, 32))
    bm(np.arange(i % 40, i % 40 + 32))
    if i == 3:
        print("ready", flush=True)
    if {ending!r} == "exception" and i == 5:
        raise RuntimeError("boom")
    if {ending!r} == "exit" and i == 5:
        sys.exit(0)
    if cancel.requested():
        sys.exit(3)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], env=worker_env(), cwd=str(ENGINE), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if ending == "sigterm":
        assert proc.stdout.readline().strip() == "ready"
        proc.terminate()
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the process hung at exit ({ending})")
    assert proc.returncode == {"exit": 0, "exception": 1, "sigterm": 3}[ending]


def test_pinned_memory_only_for_cuda(padded_cache):
    assert pin_for("cuda") and pin_for("cuda:1") and pin_for(torch.device("cuda", 0))
    assert not pin_for("cpu") and not pin_for("mps") and not pin_for(torch.device("cpu"))
    bm = BatchMaker(padded_cache, 32, "cpu")
    assert not bm.pin
    bm.prefetch(np.arange(4))
    assert not bm._pending[0][1].result()[0].is_pinned()  # pinning without CUDA would raise
    bm.close()
    if torch.cuda.is_available():
        assert gather(padded_cache.images, np.arange(4), True, False)[0].is_pinned()


@pytest.mark.parametrize("colour", [False, True])
def test_content_boxes_match_a_per_image_reference(colour):
    rng = np.random.default_rng(0)
    a = rng.integers(1, 255, (6, 20, 24, 3) if colour else (6, 20, 24), dtype=np.uint8)
    a[0, :3] = 0
    a[1, :, -5:] = 0
    a[2, 15:, :2] = 0
    a[3] = 0  # all black: keeps its frame
    if colour:  # content in one channel only
        a[4, ..., 1:] = 0
        a[4, :4, :, 0] = 0
    else:
        a[4, :, 20:] = 0
    a[5, 2:4] = 0  # a black band inside the content is no padding
    t = torch.from_numpy(a)
    t = t.permute(0, 3, 1, 2) if colour else t.unsqueeze(1)
    got = content_boxes(t)
    for i in range(6):
        img = a[i] if not colour else a[i].max(axis=2)
        ys, xs = np.nonzero(img)
        want = (0, 20, 0, 24) if ys.size == 0 else (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1)
        assert tuple(got[i].tolist()) == tuple(int(v) for v in want), i
