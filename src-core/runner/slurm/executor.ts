// The Slurm executor: each run is one `sbatch` job (submitit's shape: configured once, `launch`
// returns a handle with the job's state, cancel and file paths). The job's protocol messages come
// back through `messages.jsonl` in the shared run folder, tailed; its state from squeue/sacct/
// scontrol, polled for all of the lab's jobs at once. A job stopped at its time limit (after its
// USR2 checkpoint), preempted or lost with its node is resubmitted and resumes from last.pth; the
// queue sees one execution per attempt, as with a local worker.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SlurmSettings } from '../../study/config.ts'
import { deviceSchema } from '../../study/config.ts'
import type { ExecutionHandle, Executor, LaunchCallbacks, LaunchRequest } from '../executor.ts'
import { parseWorkerLine, type WorkerMessage } from '../worker-messages.ts'
import type { ExitReason, WorkerExit } from '../worker-process.ts'
import { SlurmCli } from './commands.ts'
import { HOPELESS_REASONS, isActive, phaseOf, type SlurmJobInfo } from './parse.ts'
import { sbatchScript, SLURM_FILES } from './script.ts'
import { FileTail } from './tail.ts'

export interface SlurmExecutorOptions {
  /** The engine's Python on the compute nodes unless a study names its own (`device.slurm.python`). */
  python: string
  /** PYTHONPATH for the engine on the nodes (the repository's engine/, on shared storage). */
  enginePath: string
  /** Worker module (default `xlab.worker`; tests use a stand-in). */
  module?: string
  /** How often squeue is asked about the lab's jobs. */
  pollMs: number
  /** How often the message files are read. */
  tailMs: number
  /** After the checkpoint signal, how long before the job is cancelled outright. */
  graceMs: number
  /** Environment for the client commands (e.g. SLURM_CONF of a test cluster). */
  env?: Record<string, string>
  /** Lab log sink. */
  log(message: string): void
}

/** One submission of a run, as written to `slurm.json`. */
export interface SlurmSubmission {
  /** Slurm job id. */
  jobId: string
  /** When sbatch returned (ISO). */
  submittedAt: string
  /** Last state seen. */
  state: string
  /** Pending reason or end reason. */
  reason: string | null
  /** Node it ran on. */
  node: string | null
  /** Seconds from submission to the worker's first message, once there was one. */
  firstMessageS: number | null
}

/** `runs/<id>/slurm.json`: every submission of the run, newest last. */
export interface SlurmRunState {
  /** The script the jobs ran. */
  script: string
  /** Submissions, oldest first. */
  jobs: SlurmSubmission[]
}

/** Reads a run folder's slurm.json (null if it never went to Slurm or the file is damaged). */
export function readSlurmState(runDir: string): SlurmRunState | null {
  const f = join(runDir, SLURM_FILES.state)
  if (!existsSync(f)) return null
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as SlurmRunState
  } catch {
    return null
  }
}

const EXIT_CODES: Record<number, ExitReason> = { 2: 'bad-input', 3: 'cancelled', 4: 'oom', 5: 'non-finite' }
const ERROR_REASONS: Record<string, ExitReason> = { BAD_INPUT: 'bad-input', OOM: 'oom', NON_FINITE: 'non-finite', CANCELLED: 'cancelled' }

export class SlurmExecutor implements Executor {
  readonly name = 'slurm'
  readonly cli: SlurmCli
  private readonly jobs = new Set<SlurmJob>()
  private poller: NodeJS.Timeout | null = null
  private polling = false

  constructor(private readonly o: SlurmExecutorOptions) {
    this.cli = new SlurmCli(o.env)
  }

  /** Submits the run's job; the handle ends when the run's attempt ends (after any resubmissions). */
  launch(req: LaunchRequest, cb: LaunchCallbacks): ExecutionHandle {
    const slurm = req.slurm ?? deviceSchema.shape.slurm.unwrap().parse({})
    const job = new SlurmJob(req, cb, slurm, this.o, this.cli)
    this.jobs.add(job)
    void job.exit.then(() => {
      this.jobs.delete(job)
      if (!this.jobs.size && this.poller) {
        clearInterval(this.poller)
        this.poller = null
      }
    })
    if (!this.poller) {
      this.poller = setInterval(() => void this.poll(), this.o.pollMs)
      // A CLI that is done must be able to exit even if a handle were never settled.
      this.poller.unref()
    }
    return job
  }

  /** One squeue call for every job of this lab, then each job decides what its state means. */
  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const ids = [...this.jobs].map((j) => j.jobId).filter((id): id is string => id !== null)
      if (!ids.length) return
      let infos: Map<string, SlurmJobInfo>
      try {
        infos = await this.cli.jobs(ids)
      } catch (err) {
        // A flaky controller is common on busy clusters: try again next time.
        this.o.log(`[slurm] could not read job states: ${(err as Error).message}`)
        return
      }
      for (const j of this.jobs) if (j.jobId) j.onState(infos.get(j.jobId))
    } finally {
      this.polling = false
    }
  }
}

/** The handle of one run's attempt: one Slurm job, or several when it is resubmitted. */
class SlurmJob implements ExecutionHandle {
  readonly pid = undefined
  readonly exit: Promise<WorkerExit>
  /** Current Slurm job id (null until sbatch answered). */
  jobId: string | null = null
  private resolveExit!: (e: WorkerExit) => void
  private ended = false
  private readonly state: SlurmRunState
  private messages: FileTail
  private stderr: FileTail
  private readonly tailTimer: NodeJS.Timeout
  private stopMessage: string | null = null
  private killTimer: NodeJS.Timeout | null = null
  private lastError: { code: string; message: string } | null = null
  private summary: Record<string, unknown> | undefined
  private resubmits = 0
  private unknownPolls = 0
  private submittedAt = 0
  private sawMessage = false
  private endSeen = false

  constructor(
    private readonly req: LaunchRequest,
    private readonly cb: LaunchCallbacks,
    private readonly slurm: SlurmSettings,
    private readonly o: SlurmExecutorOptions,
    private readonly cli: SlurmCli,
  ) {
    this.exit = new Promise((resolve) => (this.resolveExit = resolve))
    const dir = req.job.run_dir
    const script = join(dir, SLURM_FILES.script)
    writeFileSync(
      script,
      sbatchScript({ runId: req.job.run_id, runName: req.runName ?? req.job.run_id, runDir: dir, jobFile: req.jobFile, python: slurm.python ?? o.python, enginePath: o.enginePath, module: o.module ?? 'xlab.worker', threads: req.job.threads, slurm }),
      { mode: 0o755 },
    )
    const previous = readSlurmState(dir)
    this.state = { script, jobs: previous?.jobs ?? [] }
    // Earlier attempts' lines were read by then; start at the end of the files.
    this.messages = new FileTail(join(dir, SLURM_FILES.messages))
    this.stderr = new FileTail(join(dir, SLURM_FILES.log))
    this.tailTimer = setInterval(() => this.readFiles(), o.tailMs)
    this.tailTimer.unref()
    void this.submit(previous?.jobs.at(-1)?.jobId)
  }

  stop(message: string): void {
    if (this.ended || this.stopMessage) return
    this.stopMessage = message
    this.tag(`stop (${message})`)
    if (!this.jobId) return // submit() sees stopMessage and does not submit
    const id = this.jobId
    const last = this.state.jobs.at(-1)
    // A pending job has no worker to checkpoint; a running one gets SIGTERM, like a local worker.
    if (last && phaseOf(last.state) === 'pending') void this.cli.cancel(id).catch((e) => this.tag(`scancel: ${(e as Error).message}`))
    else void this.cli.signal(id, 'TERM').catch((e) => this.tag(`scancel --signal: ${(e as Error).message}`))
    this.killTimer = setTimeout(() => {
      this.tag(`still in Slurm ${this.o.graceMs} ms after SIGTERM: scancel`)
      void this.cli.cancel(id).catch(() => undefined)
    }, this.o.graceMs)
  }

  async waitForExit(ms: number): Promise<WorkerExit | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
    const r = await Promise.race([this.exit, timeout])
    clearTimeout(timer)
    return r
  }

  private tag(message: string): void {
    this.o.log(`[run ${this.req.job.run_id}] [slurm ${this.jobId ?? '-'}] ${message}`)
  }

  private async submit(previousJob?: string): Promise<void> {
    try {
      // A job of this run left behind by a lab that died must not share the run folder with the new one.
      if (previousJob && !this.jobId && (await this.cancelLeftover(previousJob))) {
        // What the old worker wrote while it stopped is not this job's: start reading after it.
        this.messages = new FileTail(join(this.req.job.run_dir, SLURM_FILES.messages))
        this.stderr = new FileTail(join(this.req.job.run_dir, SLURM_FILES.log))
      }
      if (this.stopMessage) return this.finish({ reason: 'cancelled', code: null, signal: null, message: this.stopMessage })
      this.submittedAt = Date.now()
      this.sawMessage = false
      const id = await this.cli.submit(this.state.script)
      this.jobId = id
      this.unknownPolls = 0
      this.state.jobs.push({ jobId: id, submittedAt: new Date(this.submittedAt).toISOString(), state: 'PENDING', reason: null, node: null, firstMessageS: null })
      this.save()
      this.tag(`submitted ${this.state.script}`)
      if (this.stopMessage) {
        const message = this.stopMessage
        this.stopMessage = null
        this.stop(message)
      }
    } catch (err) {
      this.finish({ reason: 'spawn-failed', code: null, signal: null, message: `sbatch refused the job: ${(err as Error).message}. Check the study's device.slurm settings against \`sinfo\`; the script is ${this.state.script}.` })
    }
  }

  /** Cancels a still-active job of an earlier lab session and waits (up to 30 s) until it is gone; true if there was one. */
  private async cancelLeftover(jobId: string): Promise<boolean> {
    const info = (await this.cli.jobs([jobId]).catch(() => new Map<string, SlurmJobInfo>())).get(jobId)
    if (!info || !isActive(info.state)) return false
    this.tag(`cancelling job ${jobId} of this run left from before`)
    await this.cli.cancel(jobId).catch(() => undefined)
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500))
      const now = (await this.cli.jobs([jobId]).catch(() => new Map<string, SlurmJobInfo>())).get(jobId)
      if (!now || !isActive(now.state)) break
    }
    return true
  }

  private save(): void {
    writeFileSync(join(this.req.job.run_dir, SLURM_FILES.state), `${JSON.stringify(this.state, null, 2)}\n`)
  }

  private readFiles(final = false): void {
    for (const line of final ? this.stderr.drain() : this.stderr.read()) this.cb.onStderr(line)
    for (const line of final ? this.messages.drain() : this.messages.read()) {
      if (!line.trim() || this.ended) continue
      const parsed = parseWorkerLine(line)
      if (!parsed.ok) {
        if (this.jobId) void this.cli.cancel(this.jobId).catch(() => undefined)
        this.finish({ reason: 'protocol-error', code: null, signal: null, message: `The worker wrote a line that is not a valid protocol message (${parsed.problem}). This is an engine bug: stdout must carry only protocol lines; see worker.log.` })
        return
      }
      this.onMessage(parsed.message)
    }
  }

  private onMessage(m: WorkerMessage): void {
    if (!this.sawMessage) {
      this.sawMessage = true
      const last = this.state.jobs.at(-1)
      if (last) {
        last.firstMessageS = Math.round((Date.now() - this.submittedAt) / 100) / 10
        if (phaseOf(last.state) === 'pending') last.state = 'RUNNING'
        this.save()
      }
    }
    if (m.type === 'error') this.lastError = { code: m.code, message: m.message }
    if (m.type === 'done') this.summary = m.summary
    this.cb.onMessage(m)
  }

  /** A poll result for the current job (undefined: no command knows it any more). */
  onState(info: SlurmJobInfo | undefined): void {
    if (this.ended || !this.jobId) return
    const last = this.state.jobs.at(-1)!
    if (!info) {
      // Just submitted and not yet listed, or purged long after it ended: give it a few polls.
      if (++this.unknownPolls < 5) return
      return void this.ended_(last, { jobId: last.jobId, name: null, state: 'UNKNOWN', reason: 'the cluster no longer knows the job', node: last.node, gres: null, exitCode: null, signal: null })
    }
    if (info.state !== last.state || info.reason !== last.reason || info.node !== last.node) {
      Object.assign(last, { state: info.state, reason: info.reason, node: info.node ?? last.node })
      this.save()
      this.tag(`${info.state}${info.reason ? ` (${info.reason})` : ''}${info.node ? ` on ${info.node}` : ''}`)
    }
    const phase = phaseOf(info.state)
    if (phase === 'pending') {
      const key = (info.reason ?? '').split(/[ ,]/)[0]!
      const why = HOPELESS_REASONS[key]
      if (why && !this.stopMessage) {
        void this.cli.cancel(this.jobId).catch(() => undefined)
        last.state = 'CANCELLED'
        this.save()
        this.finish({ reason: 'bad-input', code: null, signal: null, message: `Slurm job ${this.jobId} can never start: ${why} (pending reason ${key}).` })
      }
      return
    }
    if (phase !== 'running') this.ended_(last, info)
  }

  /** The current job has ended: read what it wrote, then finish or resubmit. */
  private ended_(last: SlurmSubmission, info: SlurmJobInfo): void {
    this.readFiles(true)
    if (this.ended) return
    // The job's last lines may reach this machine's view of shared storage after squeue says it
    // ended (NFS attribute caching): without a result yet, look once more at the next poll.
    if (!this.summary && !this.lastError && !this.endSeen && info.state !== 'UNKNOWN') {
      this.endSeen = true
      return
    }
    const phase = phaseOf(info.state)
    const code = info.exitCode
    const where = `Slurm job ${last.jobId}${last.node ? ` on ${last.node}` : ''}`
    const errText = this.lastError ? `${this.lastError.code}: ${this.lastError.message}` : null
    if (this.summary) return this.finish({ reason: 'done', code, signal: null, message: 'done', summary: this.summary })
    if (this.stopMessage) return this.finish({ reason: 'cancelled', code, signal: null, message: this.stopMessage })
    // Stopped by the cluster, not by the job: the time limit (the worker checkpointed on USR2 and
    // exited 3, or was killed at the limit), preemption, a node failure.
    const selfStopped = this.lastError?.code === 'CANCELLED' && phase !== 'cancelled'
    if (selfStopped || phase === 'timeout' || phase === 'preempted' || phase === 'node-fail') {
      const what = phase === 'preempted' ? 'was preempted' : phase === 'node-fail' ? 'lost its node' : 'reached its time limit'
      if (this.resubmits < this.slurm.maxResubmits) {
        this.resubmits++
        this.tag(`${what}: resubmitting (${this.resubmits} of ${this.slurm.maxResubmits}); it resumes from last.pth`)
        this.cb.onStderr(`[lab] ${where} ${what}; resubmitted (${this.resubmits} of ${this.slurm.maxResubmits}), resuming from last.pth`)
        this.lastError = null
        this.endSeen = false
        void this.submit()
        return
      }
      return this.finish({ reason: 'killed', code, signal: null, message: `${where} ${what} ${this.resubmits + 1} times (device.slurm.maxResubmits ${this.slurm.maxResubmits}); raise device.slurm.timeMinutes or maxResubmits.` })
    }
    if (phase === 'cancelled') return this.finish({ reason: 'killed', code, signal: null, message: `${where} was cancelled outside the lab (scancel); the run resumes from its last checkpoint.` })
    if (phase === 'out-of-memory') return this.finish({ reason: 'crashed', code, signal: null, message: `${where} ran out of host memory (--mem=${this.slurm.memGb}G); raise device.slurm.memGb.` })
    if (code !== null && code !== 0 && EXIT_CODES[code]) return this.finish({ reason: EXIT_CODES[code]!, code, signal: null, message: errText ?? `The worker exited with code ${code}; see worker.log and slurm-${last.jobId}.out.` })
    if (this.lastError && ERROR_REASONS[this.lastError.code]) return this.finish({ reason: ERROR_REASONS[this.lastError.code]!, code, signal: null, message: errText! })
    const detail = info.reason ? `, ${info.reason}` : ''
    this.finish({ reason: 'crashed', code, signal: null, message: `${errText ?? `${where} ended ${info.state}${detail} without a result`}; see worker.log and slurm-${last.jobId}.out.` })
  }

  private finish(exit: WorkerExit): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.tailTimer)
    if (this.killTimer) clearTimeout(this.killTimer)
    this.tag(`exit: ${exit.reason}`)
    this.resolveExit(exit)
  }
}
