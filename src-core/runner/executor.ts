// Where jobs run. The local executor runs jobs on warm workers of this machine (one long-lived
// engine process per device slot, runner/warm-pool.ts), or one worker process per job when warm
// workers are off; the Slurm executor (runner/slurm/executor.ts) submits one sbatch job per run
// and reports the same messages.
import { dirname, join } from 'node:path'
import type { SlurmSettings } from '../study/config.ts'
import type { EngineJob } from './job-builder.ts'
import type { WorkerMessage } from './worker-messages.ts'
import { WarmPool } from './warm-pool.ts'
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
  /** Ends what the executor keeps between jobs (warm workers); called after the queue has stopped. */
  close?(): Promise<void>
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

  async close(): Promise<void> {
    await this.local.close?.()
  }
}

/** Warm worker settings of the local executor. */
export interface WarmSettings {
  /** A warm worker is replaced after this many jobs. */
  maxJobs: number
  /** A warm worker idle this long is closed. */
  idleMs: number
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
  /** Warm workers (default on: recycle after 20 jobs or 120 s idle); false: a fresh process per job. */
  warm?: WarmSettings | false
  /** Lab log sink. */
  log(message: string): void
}

export class LocalExecutor implements Executor {
  readonly name = 'local'
  private readonly pool: WarmPool | null

  constructor(private readonly opts: LocalExecutorOptions) {
    const warm = opts.warm === undefined ? { maxJobs: 20, idleMs: 120_000 } : opts.warm
    this.pool = warm ? new WarmPool({ ...warm, graceMs: opts.graceMs, log: opts.log }) : null
  }

  launch(req: LaunchRequest, cb: LaunchCallbacks): ExecutionHandle {
    const threads = req.job.threads > 0 ? String(req.job.threads) : undefined
    const env: Record<string, string> = { PYTHONPATH: this.opts.enginePath, PYTHONUNBUFFERED: '1' }
    // The BLAS pools are sized at torch import, before the job is read: set them here too.
    if (threads) Object.assign(env, { OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads })
    if (req.gpu) env.CUDA_VISIBLE_DEVICES = req.cudaDevice ?? String(req.slot)
    const module = this.opts.module ?? 'xlab.worker'
    if (this.pool) {
      const runs = dirname(req.job.run_dir)
      // What a started process cannot change: its environment, and torch's deterministic mode
      // (cuBLAS reads its workspace setting once).
      const key = JSON.stringify([req.slot, env, req.job.deterministic, runs])
      const job = this.pool.run(
        key,
        // `--runs` names the lab's runs folder on the command line, where the queue's check for an
        // orphaned worker after a lab crash looks for it.
        { python: this.opts.python, args: ['-m', module, '--serve', '--runs', runs], env, cwd: runs, log: this.opts.log },
        { runId: req.job.run_id, jobFile: req.jobFile, logFile: join(req.job.run_dir, 'worker.log'), heartbeatMs: this.opts.heartbeatMs, graceMs: this.opts.graceMs },
      )
      job.onMessage(cb.onMessage)
      job.onStderr(cb.onStderr)
      return job
    }
    const w = new WorkerProcess({
      runId: req.job.run_id,
      python: this.opts.python,
      args: ['-m', module, '--job', req.jobFile],
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

  /** Closes the warm workers. */
  async close(): Promise<void> {
    await this.pool?.closeAll()
  }
}
