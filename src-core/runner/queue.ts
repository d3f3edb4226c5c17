// The run queue: starts ready runs on free device slots, writes what workers report into SQLite
// (batched), maps worker exits to run states, retries within bounds, and keeps study states in
// step. Crash safety: at start, runs left `running` by a dead service become `interrupted` and
// are started again; the worker resumes from last.pth. One queue per lab service (one writer).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { LabEvents } from '../service/events.ts'
import type { Db } from '../store/db.ts'
import { isBusyError, retryWhileBusy, WRITE_RETRY_MS } from '../store/busy.ts'
import { dataRootOf } from '../store/data-root.ts'
import * as store from '../store/runs.ts'
import type { RunRecord, RunState, StudyState } from '../store/runs.ts'
import type { SlurmSettings } from '../study/config.ts'
import type { GpuSlots } from './devices.ts'
import type { ExecutionHandle, Executor } from './executor.ts'
import { buildJob, JobBuildError, type DatasetResolver } from './job-builder.ts'
import { dropResumableState, hasCheckpoint, removeTempFiles } from './run-files.ts'
import type { WorkerMessage } from './worker-messages.ts'
import type { WorkerExit } from './worker-process.ts'
import { deletablePath } from '../util/inside-root.ts'
import { diskFullMessage, freeBytes, isDiskFullError, looksLikeDiskFull } from '../util/disk-space.ts'

/** Per-run settings taken from the study config. */
export interface RunSettings {
  /** Job `device`. */
  device: string
  /** Job `threads`. */
  threads: number
  /** Attempts before a failure is final. */
  maxAttempts: number
  /** CPU slots the study asks for. */
  cpuSlots: number
  /** Where the study's jobs run (`device.executor`). */
  executor: 'local' | 'slurm'
  /** Its Slurm settings, defaults filled in (Slurm executor only). */
  slurm?: SlurmSettings
}

export interface RunQueueOptions {
  db: Db
  events: LabEvents
  executor: Executor
  datasets: DatasetResolver
  /** This machine's GPU slots (count 0: CPU slots from the studies' configs). */
  gpus: Pick<GpuSlots, 'count' | 'pick'>
  /** Reads a study's settings from its config. */
  settingsOf(studyConfig: unknown): RunSettings
  /** Lab log sink. */
  log(message: string): void
  /** How often buffered reports are written (ms). */
  flushMs?: number
  /** Log events kept per run in run_events (worker.log keeps everything). */
  eventTail?: number
  /** How often the store is re-read for changes made by other processes (ms). */
  pollMs?: number
  /** How long a write waits for a database locked by another process before the run fails (ms). */
  writeRetryMs?: number
}

/** Why we asked a worker to stop; decides the state it ends in (`write-failed`: its reports could not be stored). */
type StopIntent = 'cancel' | 'pause' | 'shutdown' | 'write-failed' | 'requeue'

interface ActiveRun {
  run: RunRecord
  handle: ExecutionHandle
  slot: number
  batch: store.ReportBatch
  flushTimer: NodeJS.Timeout | null
  /** Set while the database is locked: the held reports are written again when it fires. */
  retryTimer: NodeJS.Timeout | null
  /** When the current run of failed writes began (null while writes succeed). */
  writeFailingSince: number | null
  /** Why this run's reports could not be stored, once that is final. */
  writeFailure: string | null
  intent: StopIntent | null
  settings: RunSettings
  /** Slurm runs do not take a slot of this machine. */
  remote: boolean
}

/**
 * A worker whose lab service died keeps running until its next write to the broken pipe; kill it
 * before its run starts again so two workers never share a run folder. The pid is trusted only if
 * that process's command line names this run's folder (pids are reused).
 */
function killOrphanWorker(runDir: string, log: (m: string) => void): void {
  const pidFile = join(runDir, 'worker.pid')
  try {
    if (!existsSync(pidFile)) return
    const pid = Number(readFileSync(pidFile, 'utf8'))
    const cmdline = `/proc/${pid}/cmdline`
    const cmd = existsSync(cmdline) ? readFileSync(cmdline, 'utf8') : ''
    // A one-shot worker names its job (in the run folder); a warm one names the lab's runs folder.
    if (!pid || !(cmd.includes(runDir) || (cmd.includes('--serve') && cmd.includes(dirname(runDir))))) return
    process.kill(pid, 'SIGKILL')
    log(`[queue] killed orphaned worker pid ${pid} of ${runDir}`)
  } catch (err) {
    // Already gone, or the folder is unreadable: the lab must start anyway (the run then fails with the path).
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log(`[queue] could not check ${pidFile} for an orphaned worker: ${(err as Error).message}`)
  }
}

/** Free space below which a failed job is taken to have failed for want of disk space. */
const DISK_FULL_BYTES = 16e6

/** Exits that are worth another attempt (resuming from last.pth). */
const RETRYABLE: ReadonlySet<WorkerExit['reason']> = new Set(['killed', 'crashed', 'heartbeat-timeout', 'oom'])

export class RunQueue {
  private readonly active = new Map<string, ActiveRun>()
  private stopped = true
  private ticking = false
  private poller: NodeJS.Timeout | null = null
  private readonly settledWaiters: { studyId: string; resolve: (s: StudyState) => void }[] = []
  /** When set, only runs of this study start here (`xlab study run NAME` never runs another study's runs). */
  private focus: string | null = null

  constructor(private readonly o: RunQueueOptions) {}

  /** Recovers runs orphaned by a previous service and starts scheduling. */
  start(): void {
    const orphans = store.interruptOrphanedRuns(this.o.db, 'The lab stopped while this run was running; it resumes from its last checkpoint.')
    for (const id of orphans) {
      const r = store.getRun(this.o.db, id)
      if (r) killOrphanWorker(r.runDir, this.o.log)
      this.emitState(id)
    }
    if (orphans.length) this.o.log(`[queue] ${orphans.length} run(s) were running when the lab stopped; re-queued as interrupted`)
    this.stopped = false
    // Another process (CLI, app) may queue, cancel or pause runs in the same database: look again
    // every second so its changes take effect here.
    this.poller = setInterval(() => this.syncWithStore(), this.o.pollMs ?? 1000)
    this.poller.unref()
    this.tick()
  }

  /** Applies state changes made by other processes to the workers of this one. */
  private syncWithStore(): void {
    try {
      this.applyStoreChanges()
    } catch (err) {
      // Another process holds the write lock: the next poll looks again.
      if (!isBusyError(err)) throw err
      this.o.log(`[queue] the database is locked by another process (${(err as Error).message}); waiting`)
    }
  }

  private applyStoreChanges(): void {
    for (const a of this.active.values()) {
      const r = store.getRun(this.o.db, a.run.id)
      if (!r || r.state === 'running' || a.intent) continue
      if (r.state === 'cancelled' || r.state === 'paused') this.stopActive(a, r.state === 'cancelled' ? 'cancel' : 'pause', r.reason ?? `${r.state} by the user`)
    }
    this.tick()
  }

  /** Stops every worker politely (they checkpoint) and leaves their runs `interrupted`. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true
    if (this.poller) clearInterval(this.poller)
    const all = [...this.active.values()]
    for (const a of all) this.stopActive(a, 'shutdown', 'The lab is shutting down; the run resumes from its last checkpoint.')
    await Promise.all(all.map((a) => a.handle.waitForExit(graceMs + 5000)))
    // Exits are handled asynchronously; wait until every run has been written.
    while (this.active.size) await new Promise((r) => setTimeout(r, 20))
  }

  /** Starts only runs of this study from now on (null: every running study's). */
  focusOn(studyId: string | null): void {
    this.focus = studyId
  }

  /** Resolves once no run of the study is active here (after a pause, its workers have checkpointed and exited). */
  async whenStudyIdle(studyId: string): Promise<void> {
    while ([...this.active.values()].some((a) => store.studiesOfRun(this.o.db, a.run.id).includes(studyId))) await new Promise((r) => setTimeout(r, 50))
  }

  /** Ids of running runs. */
  runningIds(): string[] {
    return [...this.active.keys()]
  }

  /** GPU slots of this machine (0: jobs run on CPU slots). */
  gpuCount(): number {
    return this.o.gpus.count
  }

  /** Slots a study with this CPU setting would get on this machine. */
  slotsFor(cpuSlots: number): number {
    if (this.o.gpus.count > 0) return this.o.gpus.count
    const env = Number(process.env.XLAB_CPU_SLOTS)
    return Number.isInteger(env) && env > 0 ? env : cpuSlots
  }

  /** How many jobs may run at once right now. */
  slotCount(): number {
    if (this.o.gpus.count > 0) return this.o.gpus.count
    const env = Number(process.env.XLAB_CPU_SLOTS)
    if (Number.isInteger(env) && env > 0) return env
    let slots = 1
    for (const id of store.activeStudyIds(this.o.db)) {
      const s = store.getStudy(this.o.db, id)
      if (s) slots = Math.max(slots, this.o.settingsOf(s.config).cpuSlots)
    }
    return slots
  }

  // ---- study controls ----------------------------------------------------------------------

  startStudy(studyId: string): void {
    store.setStudyState(this.o.db, studyId, 'running')
    this.o.events.emit('onStudyState', { studyId, state: 'running' })
    this.refreshStudy(studyId)
    this.tick()
  }

  pauseStudy(studyId: string): void {
    store.setStudyState(this.o.db, studyId, 'paused')
    // Runs running in another process are marked here; that process's queue stops their workers.
    const from: RunState[] = this.stopped ? ['queued', 'interrupted', 'running'] : ['queued', 'interrupted']
    const moved = store.moveStudyRuns(this.o.db, studyId, from, 'paused', 'paused by the user')
    for (const id of moved) this.emitState(id)
    for (const a of this.active.values()) if (store.studiesOfRun(this.o.db, a.run.id).includes(studyId)) this.stopActive(a, 'pause', 'paused by the user')
    this.o.events.emit('onStudyState', { studyId, state: 'paused' })
  }

  resumeStudy(studyId: string): void {
    const ids = store.listRuns(this.o.db, { studyId }).filter((r) => ['paused', 'cancelled', 'failed', 'interrupted'].includes(r.state))
    // A done pretext run whose weights were reclaimed (storage pretext-weights) trains again when an
    // extraction the resume re-queues needs them (job-builder.ts checkpointPathOf says to resume).
    const reclaimed = ids
      .filter((r) => r.stage === 'extract')
      .flatMap((r) => store.dependenciesOf(this.o.db, r.id))
      .map((id) => store.getRun(this.o.db, id))
      .filter((p): p is store.RunRecord => p?.stage === 'pretext' && p.state === 'done' && !hasCheckpoint(p.runDir))
    for (const p of reclaimed) {
      store.requeueDoneRun(this.o.db, p.id)
      this.emitState(p.id)
    }
    store.requeueRuns(this.o.db, ids.map((r) => r.id), true)
    for (const r of ids) this.emitState(r.id)
    // A worker still stopping after a pause ends queued again (onExit), not paused over the resume.
    for (const a of this.active.values()) if (a.intent === 'pause' && store.studiesOfRun(this.o.db, a.run.id).includes(studyId)) a.intent = 'requeue'
    this.startStudy(studyId)
  }

  cancelStudy(studyId: string): void {
    store.setStudyState(this.o.db, studyId, 'cancelled')
    const from: RunState[] = this.stopped ? ['queued', 'interrupted', 'paused', 'running'] : ['queued', 'interrupted', 'paused']
    const moved = store.moveStudyRuns(this.o.db, studyId, from, 'cancelled', 'cancelled by the user')
    for (const id of moved) this.emitState(id)
    for (const a of this.active.values()) if (store.studiesOfRun(this.o.db, a.run.id).includes(studyId)) this.stopActive(a, 'cancel', 'cancelled by the user')
    this.o.events.emit('onStudyState', { studyId, state: 'cancelled' })
    this.resolveSettled(studyId, 'cancelled')
  }

  /** Resolves when a study has nothing left to run (done, failed, paused or cancelled). */
  whenSettled(studyId: string): Promise<StudyState> {
    const s = store.getStudy(this.o.db, studyId)
    if (s && s.state !== 'running') return Promise.resolve(s.state)
    return new Promise((resolve) => this.settledWaiters.push({ studyId, resolve }))
  }

  // ---- run controls ------------------------------------------------------------------------

  cancelRun(runId: string): void {
    const a = this.active.get(runId)
    if (a) return this.stopActive(a, 'cancel', 'cancelled by the user')
    const r = store.getRun(this.o.db, runId)
    if (r && (['queued', 'interrupted', 'paused'].includes(r.state) || (this.stopped && r.state === 'running'))) {
      store.setRunState(this.o.db, runId, 'cancelled', 'cancelled by the user')
      this.emitState(runId)
      this.cascadeCancel(r, `waits for ${r.name}, which was cancelled`)
    }
  }

  /** Re-queues a failed/cancelled run and the runs cancelled because they waited for it. */
  retryRun(runId: string): void {
    const r = store.getRun(this.o.db, runId)
    if (!r) return
    // A done run here is a pretext run whose weights were reclaimed (runs.retry checks): it trains
    // again, and the extractions that failed for want of its weights follow it.
    const wanted = (s: string | undefined) => s === 'cancelled' || (r.state === 'done' && s === 'failed')
    const dependents = store.dependentsOf(this.o.db, r.id).filter((id) => wanted(store.getRun(this.o.db, id)?.state))
    if (r.state === 'done') store.requeueDoneRun(this.o.db, r.id)
    store.requeueRuns(this.o.db, [r.id, ...dependents], true)
    for (const id of [r.id, ...dependents]) this.emitState(id)
    this.reviveStudies(r.id)
    this.tick()
  }

  /** Re-queues a paused or interrupted run; the worker resumes from last.pth. */
  resumeRun(runId: string): void {
    store.requeueRuns(this.o.db, [runId], false)
    this.emitState(runId)
    this.reviveStudies(runId)
    this.tick()
  }

  // ---- scheduling --------------------------------------------------------------------------

  /** Starts ready runs while slots are free (this machine's, or the study's Slurm job limit). Safe to call any time. */
  tick(): void {
    if (this.stopped || this.ticking) return
    this.ticking = true
    try {
      this.startReadyRuns()
    } catch (err) {
      // Another process holds the write lock: the poller ticks again within a second.
      if (!isBusyError(err)) throw err
      this.o.log(`[queue] the database is locked by another process (${(err as Error).message}); runs start when it is free`)
    } finally {
      this.ticking = false
    }
  }

  private startReadyRuns(): void {
    const slots = this.slotCount()
    const local = () => [...this.active.values()].filter((a) => !a.remote).length
    const remote = () => this.active.size - local()
    // Ready runs in order; a run whose executor is full waits, the others go on. Settings are
    // read once per study per tick (hundreds of runs may be ready at once).
    const active = store.activeStudyIds(this.o.db)
    const byStudy = new Map<string, RunSettings>()
    for (const next of store.readyRuns(this.o.db, slots + 500)) {
      if (this.active.has(next.id)) continue
      if (this.focus && !store.studiesOfRun(this.o.db, next.id).includes(this.focus)) continue
      const settings = this.settingsFor(next, active, byStudy)
      const room = settings.executor === 'slurm' ? remote() < (settings.slurm?.maxJobs ?? 50) : local() < slots
      if (room) this.launch(next, settings)
    }
  }

  private freeSlot(): { slot: number; cudaDevice?: string } {
    const used = new Set([...this.active.values()].filter((a) => !a.remote).map((a) => a.slot))
    const gpu = this.o.gpus.count > 0 ? this.o.gpus.pick(used) : null
    if (gpu) return { slot: gpu.slot, cudaDevice: gpu.cudaDevice }
    let s = 0
    while (used.has(s)) s++
    return { slot: s }
  }

  private settingsFor(run: RunRecord, active = store.activeStudyIds(this.o.db), cache?: Map<string, RunSettings>): RunSettings {
    const studies = store.studiesOfRun(this.o.db, run.id)
    const id = studies.find((s) => active.includes(s)) ?? run.studyId
    let settings = cache?.get(id)
    if (!settings) {
      settings = this.o.settingsOf(store.getStudy(this.o.db, id)?.config)
      cache?.set(id, settings)
    }
    return settings
  }

  private launch(run: RunRecord, settings: RunSettings): void {
    if (!store.markRunStarted(this.o.db, run.id)) return
    const remote = settings.executor === 'slurm'
    const gpu = remote ? (settings.slurm?.gpus ?? 0) > 0 : this.o.gpus.count > 0
    const started = store.getRun(this.o.db, run.id)!
    this.emitState(run.id)
    let job
    const jobFile = join(run.runDir, 'job.json')
    try {
      mkdirSync(run.runDir, { recursive: true })
      job = buildJob(started, { datasets: this.o.datasets, runs: { run: (id) => store.getRun(this.o.db, id) }, device: gpu ? 'cuda' : settings.device, threads: settings.threads })
      writeFileSync(jobFile, `${JSON.stringify(job, null, 2)}\n`)
    } catch (err) {
      // A final failure, not an attempt to retry: an unwritable folder stays unwritable until a person acts.
      const reason = err instanceof JobBuildError ? err.message : describeRunDirFailure(err, run.runDir)
      this.o.log(`[queue] [run ${run.id}] ${run.name} could not start: ${reason}`)
      this.settle(started, 'failed', reason)
      return
    }
    const { slot, cudaDevice } = remote ? { slot: -1, cudaDevice: undefined } : this.freeSlot()
    const a: ActiveRun = { run: started, slot, settings, remote, batch: { metrics: [], artifacts: [], events: [] }, flushTimer: null, retryTimer: null, writeFailingSince: null, writeFailure: null, intent: null, handle: null as never }
    this.active.set(run.id, a)
    a.handle = this.o.executor.launch(
      { job, jobFile, slot, gpu, cudaDevice, runName: run.name, executor: settings.executor, slurm: settings.slurm },
      { onMessage: (m) => this.onMessage(a, m), onStderr: (line) => this.queueEvent(a, 'stderr', line) },
    )
    if (a.handle.pid) {
      try {
        writeFileSync(join(run.runDir, 'worker.pid'), String(a.handle.pid))
      } catch (err) {
        // Only the orphan check after a lab crash needs this file; the worker reports its own write failures.
        this.o.log(`[queue] [run ${run.id}] ${describeRunDirFailure(err, run.runDir)}`)
      }
    }
    this.o.log(`[queue] [run ${run.id}] [pid ${a.handle.pid ?? '-'}] started ${run.name} (attempt ${started.attempts}) ${remote ? 'on Slurm' : `on slot ${slot}${cudaDevice !== undefined ? ` (GPU ${cudaDevice})` : ''}`}`)
    void a.handle.exit.then(
      (exit) => this.onExit(a, exit),
      (err: unknown) => this.onExit(a, { reason: 'crashed', code: null, signal: null, message: `The worker could not be supervised: ${(err as Error).message}` } as WorkerExit),
    ).catch((err: unknown) => {
      // The queue must outlive any one run: record the failure instead of an unhandled rejection.
      this.o.log(`[queue] [run ${run.id}] handling the worker's exit failed: ${(err as Error).stack ?? String(err)}`)
      this.active.delete(run.id)
      try {
        this.settle(run, 'failed', describeRunDirFailure(err, run.runDir))
      } catch (inner) {
        this.o.log(`[queue] [run ${run.id}] could not record the failure: ${(inner as Error).message}`)
      }
      this.tick()
    })
  }

  private stopActive(a: ActiveRun, intent: StopIntent, message: string): void {
    a.intent ??= intent
    a.handle.stop(message)
  }

  // ---- reports -----------------------------------------------------------------------------

  private onMessage(a: ActiveRun, m: WorkerMessage): void {
    const t = new Date().toISOString()
    switch (m.type) {
      case 'progress': {
        const payload = { runId: a.run.id, stage: m.stage, epoch: m.epoch, epochs: m.epochs, step: m.step, steps: m.steps, loss: m.loss ?? null, imagesPerSec: m.images_per_s ?? null, etaS: m.eta_s ?? null, memoryMb: m.memory_mb ?? null }
        a.batch.progress = payload
        break
      }
      case 'metric': {
        const values = Object.fromEntries(Object.entries(m.values).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])))
        a.batch.metrics.push({ split: m.split, epoch: m.epoch, step: m.step, values })
        this.o.events.emit('onMetric', { runId: a.run.id, split: m.split, epoch: m.epoch, step: m.step, values })
        // Metrics, checkpoints and artifacts are few and must survive a crash of this process: a
        // resumed worker does not report again what came before its checkpoint. Only progress
        // and log lines, which are many, wait for the timed flush.
        this.flush(a)
        return
      }
      case 'checkpoint':
        a.batch.artifacts.push({ kind: 'checkpoint', name: `${m.which}.pth`, path: m.path })
        this.flush(a)
        return
      case 'artifact':
        a.batch.artifacts.push({ kind: m.kind, name: m.name, path: m.path })
        this.flush(a)
        return
      case 'log':
        a.batch.events.push({ t, level: m.level, message: m.message })
        break
      case 'hello':
        a.batch.events.push({ t, level: 'info', message: `worker pid ${m.pid} on ${m.device.type}${m.device.name ? ` (${m.device.name})` : ''}, torch ${m.versions.torch ?? '?'}` })
        break
      case 'error':
        a.batch.events.push({ t, level: 'error', message: `${m.code}: ${m.message}` })
        break
      case 'done':
        break
    }
    this.scheduleFlush(a)
  }

  private queueEvent(a: ActiveRun, level: string, message: string): void {
    a.batch.events.push({ t: new Date().toISOString(), level, message })
    this.scheduleFlush(a)
  }

  private scheduleFlush(a: ActiveRun): void {
    a.flushTimer ??= setTimeout(() => this.flush(a), this.o.flushMs ?? 250)
  }

  /**
   * Writes buffered reports in one transaction and pushes the latest progress. The reports stay in
   * memory until they are stored: a database locked by another process is waited for (retried with
   * a growing pause), and a write that cannot succeed stops the worker and fails the run.
   */
  private flush(a: ActiveRun, retrying = false): void {
    if (a.flushTimer) clearTimeout(a.flushTimer)
    a.flushTimer = null
    // While a locked database is waited for, new reports join the held batch; the retry writes them.
    if (a.retryTimer && !retrying) return
    a.retryTimer = null
    const b = a.batch
    if (!b.metrics.length && !b.artifacts.length && !b.events.length && !b.progress) return
    try {
      store.writeReports(this.o.db, a.run.id, b)
    } catch (err) {
      this.onWriteFailure(a, err)
      return
    }
    a.batch = { metrics: [], artifacts: [], events: [] }
    if (a.writeFailingSince !== null) this.o.log(`[queue] [run ${a.run.id}] the database accepted writes again after ${((Date.now() - a.writeFailingSince) / 1000).toFixed(1)} s; every held report is stored`)
    a.writeFailingSince = null
    if (b.progress) this.o.events.emit('onRunProgress', b.progress as never)
  }

  private onWriteFailure(a: ActiveRun, err: unknown): void {
    const now = Date.now()
    const first = a.writeFailingSince === null
    a.writeFailingSince ??= now
    const waited = now - a.writeFailingSince
    if (isBusyError(err) && waited < (this.o.writeRetryMs ?? WRITE_RETRY_MS)) {
      if (first) this.o.log(`[queue] [run ${a.run.id}] the database is locked by another process (${(err as Error).message}); this run's reports are held in memory and written when it is free`)
      a.retryTimer = setTimeout(() => this.flush(a, true), Math.min(2000, 250 + waited / 4))
      return
    }
    if (a.writeFailure) return
    a.writeFailure = isDiskFullError(err) ? diskFullMessage(this.dataRootFor(a.run)) : describeWriteFailure(err, waited)
    this.o.log(`[queue] [run ${a.run.id}] ${a.writeFailure}`)
    // Stopped, the worker writes a checkpoint first: a resume continues from there.
    a.intent = 'write-failed'
    a.handle.stop(a.writeFailure)
  }

  /** Stores what a run still holds, waiting for a locked database; returns why it could not, or null. */
  private async storeHeld(a: ActiveRun): Promise<string | null> {
    if (a.retryTimer) clearTimeout(a.retryTimer)
    if (a.flushTimer) clearTimeout(a.flushTimer)
    a.retryTimer = a.flushTimer = null
    const b = a.batch
    if (!b.metrics.length && !b.artifacts.length && !b.events.length && !b.progress) return null
    try {
      await retryWhileBusy(() => store.writeReports(this.o.db, a.run.id, b), { giveUpMs: this.remainingRetryMs(a) })
      a.batch = { metrics: [], artifacts: [], events: [] }
      return null
    } catch (err) {
      const lost = b.metrics.length + b.artifacts.length
      return `${describeWriteFailure(err, Date.now() - (a.writeFailingSince ?? Date.now()))}${lost ? ` ${lost} metric/artifact report(s) of its last attempt were not stored.` : ''}`
    }
  }

  private dataRootFor(run: RunRecord): string {
    return dataRootOf(this.o.db) ?? dirname(dirname(run.runDir))
  }

  private remainingRetryMs(a: ActiveRun): number {
    const budget = this.o.writeRetryMs ?? WRITE_RETRY_MS
    return a.writeFailingSince === null ? budget : Math.max(0, budget - (Date.now() - a.writeFailingSince))
  }

  /** A store write of the run loop, waiting for a database locked by another process. */
  private write<T>(what: () => T): Promise<T> {
    return retryWhileBusy(what, { giveUpMs: this.o.writeRetryMs ?? WRITE_RETRY_MS })
  }

  // ---- exits -------------------------------------------------------------------------------

  private async onExit(a: ActiveRun, exit: WorkerExit): Promise<void> {
    const unstored = await this.storeHeld(a)
    const run = a.run
    let state: RunState
    let reason: string | null = exit.message
    if (a.intent === 'write-failed' || unstored) {
      state = 'failed'
      reason = a.writeFailure ?? unstored
    } else if (exit.reason === 'done') {
      state = 'done'
      reason = null
      try {
        writeFileSync(join(run.runDir, 'summary.json'), `${JSON.stringify(exit.summary ?? {}, null, 2)}\n`)
      } catch (err) {
        state = 'failed'
        reason = describeRunDirFailure(err, run.runDir)
      }
    } else if (a.intent === 'shutdown') state = 'interrupted'
    else if (a.intent === 'requeue' || (a.intent === 'pause' && this.resumedSince(run))) {
      // Paused, then resumed before the worker had exited: the later command wins.
      state = 'interrupted'
      reason = 'Resumed while it was pausing; it continues from its checkpoint.'
    } else if (a.intent === 'pause') state = 'paused'
    else if (a.intent === 'cancel') state = 'cancelled'
    else if (exit.reason === 'cancelled' && run.attempts < a.settings.maxAttempts) {
      // Stopped from outside the lab (a SIGTERM to this one worker, a node's shutdown): that run is
      // retried from its checkpoint; the study goes on.
      state = 'interrupted'
      reason = `The worker was stopped from outside the lab (${exit.message}). Retrying (attempt ${run.attempts + 1} of ${a.settings.maxAttempts}) from the last checkpoint.`
    } else if (exit.reason === 'cancelled') state = 'failed'
    else if (RETRYABLE.has(exit.reason) && run.attempts < a.settings.maxAttempts) {
      state = 'interrupted'
      reason = `${exit.message} Retrying (attempt ${run.attempts + 1} of ${a.settings.maxAttempts}) from the last checkpoint.`
    } else state = 'failed'
    // A job that failed on a full disk stops with one clear sentence, whatever layer noticed it
    // first (measured before its temp files go, so the sentence gives the free space it met).
    if (exit.reason !== 'done' && a.intent === null && (looksLikeDiskFull(reason ?? '') || (freeBytes(run.runDir) ?? Infinity) < DISK_FULL_BYTES)) {
      state = 'failed'
      reason = `${diskFullMessage(this.dataRootFor(run))}${exit.message ? ` (The worker said: ${exit.message})` : ''}`
    }
    // The job has ended: temp files it never renamed into place are garbage (a full disk leaves them at their largest).
    const temp = removeTempFiles(run.runDir)
    if (temp.files.length) this.o.log(`[queue] [run ${run.id}] removed temp files the job left (${temp.files.join(', ')}, ${(temp.bytes / 1e6).toFixed(1)} MB)`)
    const event = { t: new Date().toISOString(), level: state === 'done' ? 'info' : 'error', message: `worker exit: ${exit.reason}${reason ? ` - ${reason}` : ''}` }
    await this.write(() => {
      store.writeReports(this.o.db, run.id, { metrics: [], artifacts: [], events: [event] })
      store.trimRunEvents(this.o.db, run.id, this.o.eventTail ?? 200)
      // Stopping the lab, or a pause the user took back, is not a failed attempt of the run.
      if (a.intent === 'shutdown' || state === 'interrupted' && (a.intent === 'requeue' || a.intent === 'pause')) store.forgiveAttempt(this.o.db, run.id)
    })
    this.o.log(`[queue] [run ${run.id}] [pid ${a.handle.pid ?? '-'}] ${run.name}: ${state}${reason ? ` (${reason})` : ''}`)
    // The run leaves the active set only once its end is stored: stop() waits for that before the database closes.
    try {
      await this.write(() => {
        this.settle(run, state, reason, exit.summary)
        // In the same turn as the record: whoever waits for the study sees the folder as it stays.
        if (state === 'done') this.dropResumable(run)
      })
    } finally {
      this.active.delete(run.id)
    }
    this.tick()
  }

  /**
   * A run recorded done needs only its weights: its resumable state goes now, never earlier (a
   * crash before the record resumes from it). A failed or cancelled run keeps it for its retry.
   */
  private dropResumable(run: RunRecord): void {
    try {
      const root = dataRootOf(this.o.db)
      if (root) deletablePath(root, run.runDir)
      const removed = dropResumableState(run.runDir)
      if (removed.files.length) this.o.log(`[queue] [run ${run.id}] removed its resumable state (${removed.files.join(', ')}, ${(removed.bytes / 1e6).toFixed(1)} MB)`)
    } catch (err) {
      // The run is done either way; what is left is listed by `xlab runs prune`.
      this.o.log(`[queue] [run ${run.id}] could not remove its resumable state: ${(err as Error).message}`)
    }
  }

  /**
   * True when a run this lab is pausing was resumed meanwhile, by this process or another one: its
   * stored state went back to queued, or a study it belongs to is running again.
   */
  private resumedSince(run: RunRecord): boolean {
    const now = store.getRun(this.o.db, run.id)
    if (now && (now.state === 'queued' || now.state === 'interrupted')) return true
    return store.studiesOfRun(this.o.db, run.id).some((id) => store.getStudy(this.o.db, id)?.state === 'running')
  }

  /** Records a run's new state and its consequences for dependents and studies. */
  private settle(run: RunRecord, state: RunState, reason: string | null, summary?: unknown): void {
    store.setRunState(this.o.db, run.id, state, reason, summary)
    this.emitState(run.id)
    if (state === 'failed' || state === 'cancelled') this.cascadeCancel(run, `waits for ${run.name}, which ${state === 'failed' ? 'failed' : 'was cancelled'}`)
    for (const studyId of store.studiesOfRun(this.o.db, run.id)) this.refreshStudy(studyId)
  }

  private cascadeCancel(run: RunRecord, reason: string): void {
    for (const id of store.dependentsOf(this.o.db, run.id)) {
      const d = store.getRun(this.o.db, id)
      if (d && ['queued', 'interrupted', 'paused'].includes(d.state)) {
        store.setRunState(this.o.db, id, 'cancelled', reason)
        this.emitState(id)
      }
    }
  }

  /** A re-queued run wakes up its finished studies. */
  private reviveStudies(runId: string): void {
    for (const studyId of store.studiesOfRun(this.o.db, runId)) {
      const s = store.getStudy(this.o.db, studyId)
      if (s && (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled')) this.startStudy(studyId)
    }
  }

  /** A running study with nothing left to start or wait for becomes done or failed. */
  private refreshStudy(studyId: string): void {
    const s = store.getStudy(this.o.db, studyId)
    if (!s || s.state !== 'running') return
    const c = store.studyStateCounts(this.o.db, studyId)
    if (c.queued + c.running + c.interrupted > 0) return
    const state: StudyState = c.paused > 0 ? 'paused' : c.failed > 0 ? 'failed' : c.cancelled > 0 ? 'cancelled' : 'done'
    store.setStudyState(this.o.db, studyId, state)
    this.o.events.emit('onStudyState', { studyId, state })
    this.resolveSettled(studyId, state)
  }

  private resolveSettled(studyId: string, state: StudyState): void {
    for (let i = this.settledWaiters.length - 1; i >= 0; i--) {
      const w = this.settledWaiters[i]!
      if (w.studyId === studyId) {
        this.settledWaiters.splice(i, 1)
        w.resolve(state)
      }
    }
  }

  private emitState(runId: string): void {
    const r = store.getRun(this.o.db, runId)
    if (r) this.o.events.emit('onRunState', { runId, studyId: r.studyId, state: r.state, ...(r.reason ? { reason: r.reason } : {}) })
  }
}

/** A sentence for reports the lab could not store in lab.sqlite, with what to do. */
export function describeWriteFailure(err: unknown, waitedMs: number): string {
  const message = (err as Error).message ?? String(err)
  if (isBusyError(err)) {
    return `The lab could not store this run's reports: another process held the database lock for ${Math.round(waitedMs / 1000)} s (${message}). The run was stopped at its last checkpoint; close the other program and resume the study.`
  }
  return `The lab could not store this run's reports (${message}). The run was stopped at its last checkpoint; fix the cause, then resume the study.`
}

/** A sentence for a run folder the lab cannot write, naming the path and what to do. */
export function describeRunDirFailure(err: unknown, runDir: string): string {
  const e = err as NodeJS.ErrnoException
  const where = e.path ?? runDir
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') return `The lab cannot write to ${where} (${e.code}). Check the permissions of the run folder ${runDir}, then retry the run.`
  if (e.code === 'ENOSPC') return diskFullMessage(dirname(dirname(runDir)), 'then retry the run')
  return `Could not prepare the run folder ${runDir}: ${e.message ?? String(err)}`
}
