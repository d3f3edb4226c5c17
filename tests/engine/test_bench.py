"""The bench's arithmetic: per-round ratios, their median and spread, the alternating A B / B A order of
each round, the step calibration, and the gather rows against the GPU rates. Rates are fed in, not timed."""

import numpy as np
import pytest

from xlab import bench, bench_gather
from xlab.device import resolve_device


def test_ratio_summary_median_and_spread():
    st = bench.ratio_summary([110.0, 90.0, 100.0, 120.0, 80.0], [100.0, 100.0, 100.0, 100.0, 50.0])
    assert st["ratios"] == pytest.approx([1.1, 0.9, 1.0, 1.2, 1.6])
    assert st["median"] == pytest.approx(1.1)
    assert (st["min"], st["max"]) == pytest.approx((0.9, 1.6))
    assert (st["q1"], st["q3"]) == pytest.approx((1.0, 1.2))  # linear interpolation between order statistics
    assert st["worker_median"] == 100.0 and st["bare_median"] == 100.0
    even = bench.ratio_summary([1.0, 3.0], [1.0, 1.0])
    assert even["median"] == 2.0 and (even["q1"], even["q3"]) == (1.5, 2.5)
    with pytest.raises(ValueError):
        bench.ratio_summary([1.0], [])


def test_one_slow_round_moves_the_median_little():
    """The reason for the median: a round disturbed by another process (ratio 0.4) barely moves it."""
    calm = bench.ratio_summary([100.0] * 5, [100.0] * 5)["median"]
    upset = bench.ratio_summary([100.0, 100.0, 40.0, 100.0, 100.0], [100.0] * 5)
    assert upset["median"] == calm == 1.0 and upset["min"] == pytest.approx(0.4)
    assert np.mean(upset["ratios"]) < 0.9  # a mean would have reported a 12% regression


def test_rounds_alternate_and_rows_carry_the_median(monkeypatch):
    calls = []
    worker_rates, bare_rates = iter([90.0, 100.0, 110.0]), iter([100.0, 100.0, 100.0])

    def fake_ref(name, device, size, batch, steps):
        calls.append(("bare", steps))
        return next(bare_rates)

    def fake_worker(name, device, size, batch, steps, data, tmp):
        calls.append(("worker", steps))
        return next(worker_rates)

    monkeypatch.setattr(bench, "reference_loop", fake_ref)
    monkeypatch.setattr(bench, "worker_loop", fake_worker)
    rows = bench.run_bench(resolve_device("cpu"), 16, 4, rounds=3, seconds=1.0, loops=("pretext-rotation",),
                           log=lambda m: None, steps=6)
    assert [c[0] for c in calls] == ["worker", "bare", "bare", "worker", "worker", "bare"]
    assert {c[1] for c in calls} == {6}
    (row,) = rows
    assert row["ratio"] == 1.0 and row["value"] == 100.0 and row["reference"] == 100.0
    assert row["ratios"] == [0.9, 1.0, 1.1] and row["spread"].startswith("0.90-1.10 (IQR 0.95-1.05), 3 rounds x 6 steps")


def test_calibration_aims_at_the_seconds_within_bounds(monkeypatch):
    monkeypatch.setattr(bench, "reference_loop", lambda *a: 64.0)  # 64 img/s at batch 16: 4 steps a second
    dev = resolve_device("cpu")
    assert bench.calibrate_steps("finetune", dev, 16, 16, 3.0) == 12
    assert bench.calibrate_steps("finetune", dev, 16, 16, 0.1) == bench.MIN_STEPS
    assert bench.calibrate_steps("finetune", dev, 16, 16, 1e6) == bench.MAX_STEPS


def test_gather_rows_compare_with_the_gpu_rates(monkeypatch):
    monkeypatch.setattr(bench_gather, "pipeline_rate", lambda cache, b, n, crop_padding: 5_000.0 if crop_padding else 15_000.0)
    monkeypatch.setattr(bench_gather, "threads_rate", lambda cache, b, n, threads: 12_000.0 * threads ** 0.5)
    rows = bench_gather.gather_results(n=300, size=16, batch=8, batches=2, log=lambda m: None)
    by = {r["name"]: r for r in rows}
    train = by["gather 16px b8, 1 thread, vs ResNet-18 training (H100)"]
    assert (train["value"], train["reference"], train["ratio"]) == (15_000, 10_000, 1.5)
    assert by["gather 16px b8, 1 thread, vs frozen-feature extraction (H100)"]["ratio"] == 0.5
    assert by["gather 16px b8 + content boxes (pretext), 1 thread, vs training"]["ratio"] == 0.5
    assert by["gather 16px b8: 2 threads vs 1"]["ratio"] == pytest.approx(2 ** 0.5, abs=1e-3)


def test_the_real_gather_rate_is_measured(tmp_path):
    """The measuring code itself on a small cache: a positive rate, no wall-clock bound."""
    cache = bench_gather.page_cached_cache(tmp_path, 200, 16)
    assert bench_gather.pipeline_rate(cache, 8, 3, crop_padding=True) > 0
    assert bench_gather.threads_rate(cache, 8, 3, 2) > 0
