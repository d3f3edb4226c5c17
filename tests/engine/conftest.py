"""Shared fixtures of the engine tests: tiny generated caches and a helper that runs the real worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
if str(ENGINE) not in sys.path:
    sys.path.insert(0, str(ENGINE))

from xlab.fixtures import write_cache  # noqa: E402
from xlab.protocol import validate_message  # noqa: E402

SIZE = 32
DEVICE = os.environ.get("XLAB_TEST_DEVICE", "cpu")  # scripts/gpu-check.sh runs the worker jobs on cuda


@pytest.fixture(scope="session")
def caches(tmp_path_factory):
    """A pretraining cache (unlabelled) and a labelled downstream cache, 32 px."""
    root = tmp_path_factory.mktemp("caches")
    return {
        "pre": write_cache(root / "pre", n=240, size=SIZE, seed=0),
        "down": write_cache(root / "down", n=300, size=SIZE, seed=5, labelled=True),
    }


def worker_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ENGINE), env.get("PYTHONPATH")) if p)
    return env


def job_file(tmp: Path, kind: str, run_dir: Path, params: dict, **extra) -> Path:
    job = {"v": 1, "kind": kind, "run_id": run_dir.name, "run_dir": str(run_dir), "seed": 0, "device": DEVICE,
           "threads": 1, "params": params, **extra}
    path = tmp / f"job-{run_dir.name}.json"
    path.write_text(json.dumps(job))
    return path


class WorkerResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.stderr = proc.stderr
        self.messages = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def of(self, type_: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == type_]

    @property
    def summary(self) -> dict:
        done = self.of("done")
        assert done, f"no done message (exit {self.code}); stderr:\n{self.stderr[-3000:]}"
        return done[-1]["summary"]


def run_worker(job: Path, timeout: int = 240, stdin: str | None = None) -> WorkerResult:
    args = [sys.executable, "-m", "xlab.worker"] + ([] if stdin is not None else ["--job", str(job)])
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, env=worker_env(), timeout=timeout, cwd=ROOT)
    res = WorkerResult(proc)
    for m in res.messages:  # every stdout line of the real worker must be a valid protocol message
        assert validate_message(m) == [], (m, validate_message(m))
    return res
