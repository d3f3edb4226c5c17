"""The worker: ``python -m xlab.worker --job FILE`` (or the job JSON on stdin) runs one job;
``python -m xlab.worker --serve`` is a warm worker that runs job after job in one process.

Protocol lines go to stdout (protocol.py), human logs to stderr. Exit codes: 0 done, 2 bad input,
3 cancelled, 4 out of memory, 5 non-finite loss, 1 anything else (docs/architecture.md).

Serve mode imports torch (and every job kind's module) once, sends ``ready``, then reads one job
file path per line on stdin and runs each exactly as a one-shot worker would: the same messages
with the job's run id, the same job.json/summary.json handling, seeds and device settings per job.
Each job's stderr lines sit between ``JOB_START_MARK`` and ``JOB_END_MARK`` lines. After a ``done``
it frees memory and sends ``ready`` again; any other outcome ends the process with the exit code
a one-shot worker would have, so the supervisor's exit handling is the same for both. EOF on stdin
ends it with 0.

Job kinds are looked up in ``JOB_KINDS`` (kind -> "module:function"); each function has the
signature ``run(job: Job, emitter: Emitter, device: Device) -> dict`` and returns the ``done``
summary. Optional kinds are listed only when their module exists, so ``probe`` appears as soon as
``xlab/probe.py`` (with ``run_probe``) is added. Modules are imported lazily: a job pays only for
the libraries its kind needs.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path

# When this process started its work: the wall time of a one-shot job includes its torch import.
_PROCESS_T0 = time.perf_counter()

JOB_KINDS = {
    "pretext": "xlab.train_pretext:run_pretext",
    "extract": "xlab.extract:run_extract",
    "downstream": "xlab.downstream:run_downstream",
    "bench": "xlab.bench:run_bench_job",
}
OPTIONAL_KINDS = {
    "probe": "xlab.probe:run_probe",
}
# Kinds without training or evaluation steps: their summary's train_seconds is 0.
NO_STEP_KINDS = {"extract"}


def job_kinds() -> dict[str, str]:
    kinds = dict(JOB_KINDS)
    for kind, target in OPTIONAL_KINDS.items():
        if importlib.util.find_spec(target.split(":")[0]) is not None:
            kinds[kind] = target
    return kinds


def resolve_kind(kind: str):
    from .errors import bad_input
    kinds = job_kinds()
    if kind not in kinds:
        raise bad_input(f"This engine has no job kind {kind!r}; it runs {', '.join(sorted(kinds))}.")
    module, fn = kinds[kind].split(":")
    return getattr(importlib.import_module(module), fn)


def _read_job_text(path: str | None) -> str:
    from .errors import bad_input
    if path in (None, "-"):
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except OSError as e:
        raise bad_input(f"Cannot read the job file {path} ({e.strerror}).") from None


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xlab.worker", description="Run X-Ray SSL Lab engine jobs.")
    ap.add_argument("--job", help="job JSON file ('-' or absent: read stdin)")
    ap.add_argument("--serve", action="store_true", help="stay warm: read one job file path per line on stdin")
    ap.add_argument("--runs", help="serve mode: the lab's runs folder; unused here, it names the lab on the command line "
                                   "(the lab's check for orphaned workers after a crash looks for it)")
    args = ap.parse_args(argv)

    from .protocol import Emitter
    em = Emitter.claim_stdout()
    from . import cancel
    cancel.install()
    if args.serve:
        return serve(em, sys.stdin)
    return run_job(em, args.job, _PROCESS_T0)


def serve(em, jobs) -> int:
    """Runs the job files named on the lines of ``jobs`` until EOF or a job that does not end done."""
    from . import cancel
    from .device import release_memory
    from .protocol import JOB_END_MARK, JOB_START_MARK
    cancel.set_idle(True)
    import torch  # noqa: F401 - the point of a warm worker: paid once, not per job
    for target in job_kinds().values():
        try:
            importlib.import_module(target.split(":")[0])
        except Exception:  # noqa: BLE001 - a kind that cannot load fails its own jobs, with the message
            pass
    done = 0
    em.send("ready", pid=os.getpid(), jobs=done)
    while True:
        line = jobs.readline()
        if not line:
            return 0
        path = line.strip()
        if not path:
            continue
        cancel.set_idle(False)
        print(f"{JOB_START_MARK} {path}", file=sys.stderr, flush=True)
        # A fresh process's first job waited for its start-up (the supervisor writes it at spawn): count it.
        code = run_job(em, path, _PROCESS_T0 if done == 0 else time.perf_counter(), warm_jobs=done)
        if code != 0:
            return code
        print(f"{JOB_END_MARK} {path}", file=sys.stderr, flush=True)
        done += 1
        em.run_id = None
        release_memory()
        cancel.set_idle(True)
        em.send("ready", pid=os.getpid(), jobs=done)


def run_job(em, job_path: str | None, t0: float, warm_jobs: int | None = None) -> int:
    """Runs one job and returns the process exit code it calls for. ``t0``: when the job began for
    this process (wall_seconds counts from there); ``warm_jobs``: jobs this serving worker finished
    before it (None: a one-shot worker)."""
    from .errors import EXIT_CODES, JobError
    try:
        from .jobs import load_job
        job = load_job(_read_job_text(job_path), lambda m: em.log(m, "warning"))
        em.run_id = job.run_id
        run_fn = resolve_kind(job.kind)
        run_dir = Path(job.run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        if job_path in (None, "-") or Path(job_path).resolve() != (run_dir / "job.json").resolve():
            _write_json_atomic(run_dir / "job.json", json.loads(json.dumps(job.__dict__)))  # the run folder keeps its job
        summary_path = run_dir / "summary.json"
        if summary_path.exists():
            summary_path.unlink()  # a rerun must not leave an old summary that looks like this run's
        import platform

        import torch
        import torchvision

        from . import __version__
        from .device import resolve_device, seed_everything
        device = resolve_device(job.device, job.deterministic, job.threads)
        seed_everything(job.seed)
        em.send("hello", pid=os.getpid(), kind=job.kind, device=device.describe(), versions={
            "python": platform.python_version(), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "xlab": __version__})
        summary = run_fn(job, em, device)
        if job.kind in NO_STEP_KINDS:
            summary.setdefault("train_seconds", 0.0)
        # How long the job held this process; a one-shot job's includes the interpreter's torch import.
        summary["wall_seconds"] = time.perf_counter() - t0
        summary["worker"] = {"mode": "one-shot" if warm_jobs is None else "warm", "pid": os.getpid(),
                             "jobs_before": warm_jobs or 0}
        _write_json_atomic(summary_path, summary)
        em.send("done", summary=summary)
        return 0
    except JobError as e:
        em.send("error", code=e.code, message=e.message)
        print(f"[error] {e.code}: {e.message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        em.send("error", code="CANCELLED", message="The job was interrupted.")
        return EXIT_CODES["CANCELLED"]
    except OSError as e:
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC):
            traceback.print_exc()
            em.send("error", code="INTERNAL", message=f"Internal error {type(e).__name__}: {e}. The traceback is in the worker log; please report it.")
            return EXIT_CODES["INTERNAL"]
        # The run folder (or the disk) refuses writes: a person's problem to fix, so say where.
        what = "is full" if e.errno == errno.ENOSPC else f"cannot be written ({e.strerror})"
        message = f"{e.filename or 'the run folder'} {what}. Check the permissions and free space of the run folder, then retry the run."
        em.send("error", code="BAD_INPUT", message=message)
        print(f"[error] BAD_INPUT: {message}", file=sys.stderr)
        return EXIT_CODES["BAD_INPUT"]
    except Exception as e:  # noqa: BLE001 - the last line of defence: report, never die silently
        traceback.print_exc()
        from .device import is_oom
        if is_oom(e):
            em.send("error", code="OOM", message=f"Out of memory ({e}). Lower batch_size or image_size.")
            return EXIT_CODES["OOM"]
        em.send("error", code="INTERNAL", message=f"Internal error {type(e).__name__}: {e}. The traceback is in the worker log; please report it.")
        return EXIT_CODES["INTERNAL"]


if __name__ == "__main__":
    sys.exit(main())
