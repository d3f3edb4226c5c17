// Where jobs run. The local executor spawns one worker process per job on this machine; the Slurm
// executor (runner/slurm/executor.ts) submits one sbatch job per run and reports the same messages.
import { join } from 'node:path'
import type { SlurmSettings } from '../study/config.ts'
import type { EngineJob } from './job-builder.ts'
import type { WorkerMessage } from './worker-messages.ts'
import { WorkerProcess, type WorkerExit } from './worker-process.ts'

/** A job handed to an executor. */
export interface LaunchRequest {
  /** The job as written to `jobFile`. */
  job: EngineJob
  /** Absolute path of job.json in the run folder. */
  jobFile: string
  /** Which device slot it got (GPU index on GPU machines). */
  slot: number
  /** Whether the slot is a GPU. */
  gpu: boolean
  /** CUDA_VISIBLE_DEVICES value of the slot's GPU (default: the slot number). */
  cudaDevice?: string
  /** The run's name, for logs and the sbatch script's header. */
  runName?: string
  /** Which executor the run's study asked for (default local). */
  executor?: 'local' | 'slurm'
  /** The study's Slurm settings (Slurm executor only). */
  slurm?: SlurmSettings
}

/** Callbacks an executor calls while a job runs. */
export interface LaunchCallbacks {
  /** A validated protocol message. */
  onMessage(message: WorkerMessage): void
  /** A stderr line of the worker. */
  onStderr(line: string): void
}

/** A running job. */
export interface ExecutionHandle {
  /** Process id, where there is one. */
  readonly pid: number | undefined
  /** Ends when the job ends. */
  readonly exit: Promise<WorkerExit>
  /** Polite stop: checkpoint and exit, forced after a grace period. */
  stop(message: string): void
  /** Resolves with the exit, or undefined if still running after `ms`. */
  waitForExit(ms: number): Promise<WorkerExit | undefined>
}

export interface Executor {
  /** Shown in logs. */
  readonly name: string
  /** Starts a job. */
  launch(req: LaunchRequest, cb: LaunchCallbacks): ExecutionHandle
}

/** Hands each job to the executor its study chose (`device.executor`). */
export class ExecutorChoice implements Executor {
  readonly name = 'local+slurm'

  constructor(
    private readonly local: Executor,
    /** Created on first use, so a lab that never uses Slurm never runs a Slurm command. */
    private readonly slurm: () => Executor,
  ) {}

  launch(req: LaunchRequest, cb: LaunchCallbacks): ExecutionHandle {
    return (req.executor === 'slurm' ? this.slurm() : this.local).launch(req, cb)
  }
}

export interface LocalExecutorOptions {
  /** Python executable of the engine venv. */
  python: string
  /** Folder put on PYTHONPATH (the repository's engine/). */
  enginePath: string
  /** Python module run as the worker (default `xlab.worker`; tests use a stand-in). */
  module?: string
  /** Silence after which a worker counts as stuck. */
  heartbeatMs: number
  /** SIGTERM -> SIGKILL grace. */
  graceMs: number
  /** Lab log sink. */
  log(message: string): void
}

export class LocalExecutor implements Executor {
  readonly name = 'local'

  constructor(private readonly opts: LocalExecutorOptions) {}

  launch(req: LaunchRequest, cb: LaunchCallbacks): ExecutionHandle {
    const threads = req.job.threads > 0 ? String(req.job.threads) : undefined
    const env: Record<string, string> = { PYTHONPATH: this.opts.enginePath, PYTHONUNBUFFERED: '1' }
    // The BLAS pools are sized at torch import, before the job is read: set them here too.
    if (threads) Object.assign(env, { OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads })
    if (req.gpu) env.CUDA_VISIBLE_DEVICES = req.cudaDevice ?? String(req.slot)
    const w = new WorkerProcess({
      runId: req.job.run_id,
      python: this.opts.python,
      args: ['-m', this.opts.module ?? 'xlab.worker', '--job', req.jobFile],
      env,
      cwd: req.job.run_dir,
      logFile: join(req.job.run_dir, 'worker.log'),
      heartbeatMs: this.opts.heartbeatMs,
      graceMs: this.opts.graceMs,
      log: this.opts.log,
    })
    w.onMessage(cb.onMessage)
    w.onStderr(cb.onStderr)
    w.onExit(() => w.dispose())
    w.start()
    return {
      get pid() {
        return w.pid
      },
      exit: w.exit,
      stop: (message) => w.stop(message),
      waitForExit: (ms) => w.waitForExit(ms),
    }
  }
}
