// Builds the one run queue of a lab service (shared by the studies and runs domains).
import { existsSync } from 'node:fs'
import { enginePython } from '../environment/locations.ts'
import { labResources } from '../environment/resources.ts'
import type { LabEvents } from '../service/events.ts'
import type { Db } from '../store/db.ts'
import { deviceSchema, studyConfigSchema } from '../study/config.ts'
import { makeDatasetResolver } from './dataset-lookup.ts'
import { GpuSlots } from './devices.ts'
import { ExecutorChoice, LocalExecutor, type WarmSettings } from './executor.ts'
import type { DatasetResolver } from './job-builder.ts'
import { takeQueueLock } from './queue-lock.ts'
import { RunQueue, type RunSettings } from './queue.ts'
import { SlurmExecutor } from './slurm/executor.ts'

/**
 * What the run queue needs of the lab service's context. Declared here rather than imported from
 * service/lab-service.ts (whose LabContext satisfies it), so runner/ never points back up at the
 * service that uses it.
 */
export interface RunnerContext {
  /** Absolute data root (holds queue.lock). */
  dataRoot: string
  /** The data root's dataset folder. */
  paths: { datasets: string }
  /** The run store. */
  db: Db
  /** Pushed events. */
  events: LabEvents
  /** Human log line with a component tag. */
  log(component: string, message: string): void
}

const envMs = (name: string, fallbackS: number, env: NodeJS.ProcessEnv = process.env) => {
  const v = Number(env[name])
  return (Number.isFinite(v) && v > 0 ? v : fallbackS) * 1000
}

/**
 * Warm worker settings from the environment: XLAB_WARM_WORKERS=0 runs every job in a fresh
 * process (for debugging an engine change); XLAB_WARM_JOBS (default 20) and XLAB_WARM_IDLE_S
 * (default 120) recycle a warm worker after that many jobs or seconds without one.
 */
export function warmSettings(env: NodeJS.ProcessEnv = process.env): WarmSettings | false {
  if (['0', 'off', 'false', 'no'].includes((env.XLAB_WARM_WORKERS ?? '').trim().toLowerCase())) return false
  const jobs = Number(env.XLAB_WARM_JOBS)
  return { maxJobs: Number.isInteger(jobs) && jobs > 0 ? jobs : 20, idleMs: envMs('XLAB_WARM_IDLE_S', 120, env) }
}

/** Per-run settings from a study config (defaults for configs that do not parse). */
export function settingsOf(config: unknown): RunSettings {
  const r = studyConfigSchema.safeParse(config)
  const d = r.success ? r.data.device : { policy: 'auto', cpuSlots: 1, threadsPerJob: 0, maxAttempts: 2, executor: 'local' as const, slurm: undefined }
  const executor = d.executor ?? 'local'
  const slurm = executor === 'slurm' ? (d.slurm ?? deviceSchema.shape.slurm.unwrap().parse({})) : undefined
  return { device: d.policy, threads: d.threadsPerJob, maxAttempts: d.maxAttempts, cpuSlots: d.cpuSlots, executor, ...(slurm ? { slurm } : {}) }
}

const queues = new WeakMap<RunnerContext, { queue: RunQueue; executor: ExecutorChoice; setDatasets(r: DatasetResolver): void; release?: () => void }>()

/** The lab's run queue, created on first use. */
export function runQueueOf(ctx: RunnerContext): RunQueue {
  return entry(ctx).queue
}

function entry(ctx: RunnerContext) {
  let e = queues.get(ctx)
  if (!e) {
    let datasets: DatasetResolver = () => null
    const python = enginePython()
    // XLAB_ENGINE_PATH / XLAB_WORKER_MODULE swap in another engine build (tests use a stand-in).
    const enginePath = process.env.XLAB_ENGINE_PATH || labResources().engineDir
    const module = process.env.XLAB_WORKER_MODULE || 'xlab.worker'
    let slurm: SlurmExecutor | undefined
    const executor = new ExecutorChoice(
      new LocalExecutor({ python, enginePath, module, heartbeatMs: envMs('XLAB_HEARTBEAT_S', 300), graceMs: envMs('XLAB_GRACE_S', 20), warm: warmSettings(), log: (m) => ctx.log('worker', m) }),
      () =>
        (slurm ??= new SlurmExecutor({
          python,
          enginePath,
          module,
          pollMs: envMs('XLAB_SLURM_POLL_S', 5),
          tailMs: 500,
          graceMs: envMs('XLAB_GRACE_S', 20) + 10_000,
          log: (m) => ctx.log('slurm', m),
        })),
    )
    const queue = new RunQueue({
      db: ctx.db,
      events: ctx.events,
      executor,
      datasets: (key) => datasets(key),
      gpus: new GpuSlots(),
      settingsOf,
      log: (m) => ctx.log('runner', m),
    })
    if (!existsSync(python)) ctx.log('runner', `engine python ${python} not found: run \`xlab doctor\` (it sets the engine environment up), or set XLAB_PYTHON`)
    e = { queue, executor, setDatasets: (r: DatasetResolver) => (datasets = r), release: undefined as (() => void) | undefined }
    queues.set(ctx, e)
  }
  return e
}

/** Connects the dataset lookup, takes the data root's queue lock and starts scheduling (recovering interrupted runs). */
export async function startRunQueue(ctx: RunnerContext): Promise<void> {
  const e = entry(ctx)
  e.setDatasets(await makeDatasetResolver(ctx.db, ctx.paths.datasets))
  e.release = takeQueueLock(ctx.dataRoot)
  e.queue.start()
}

/** Stops the workers (their runs stay resumable), closes the warm ones and releases the lock. */
export async function stopRunQueue(ctx: RunnerContext): Promise<void> {
  const e = queues.get(ctx)
  if (!e) return
  await e.queue.stop()
  await e.executor.close()
  e.release?.()
  e.release = undefined
}
