// One warm engine process (`python -m xlab.worker --serve`) and the jobs it runs one after another.
// The process imports torch once; each job still gets what a one-shot worker gives it (runner/
// worker-process.ts): its own worker.log, its own messages, heartbeat, SIGTERM-then-SIGKILL stop,
// and the same exit classification (classifyExit), because the engine ends the process on every
// outcome but `done`. Only a `done` job hands the process back for the next one.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { JOB_END_MARK, JOB_START_MARK } from './protocol.ts'
import { parseWorkerLine, type WorkerMessage } from './worker-messages.ts'
import { classifyExit, heartbeatMessage, protocolErrorMessage, spawnFailedMessage, type ExitReason, type WorkerExit } from './worker-process.ts'

type Listener<T> = (value: T) => void

export interface WarmWorkerOptions {
  /** Python executable. */
  python: string
  /** Arguments after the executable (['-m', module, '--serve', ...]). */
  args: string[]
  /** Extra environment (PYTHONPATH, CUDA_VISIBLE_DEVICES, thread counts). */
  env: Record<string, string>
  /** Working directory of the process (its jobs' paths are absolute). */
  cwd: string
  /** Lab log sink, for what happens between jobs. */
  log(message: string): void
}

/** One job handed to a warm worker. */
export interface WarmJobRequest {
  /** Run id, for log tags. */
  runId: string
  /** Absolute path of the job file (the line written to the worker's stdin). */
  jobFile: string
  /** The job's stderr lines are appended here (its run's worker.log). */
  logFile: string
  /** A job silent for this long is killed as stuck (the process with it). */
  heartbeatMs: number
  /** After SIGTERM, how long to wait before SIGKILL. */
  graceMs: number
}

/** Where a warm worker is in its life. */
export type WarmState = 'starting' | 'idle' | 'busy' | 'closed'

export class WarmWorker {
  private child: ChildProcess | null = null
  private job: WarmJob | null = null
  private _state: WarmState = 'starting'
  private readonly closeListeners: Listener<void>[] = []
  private readonly readyListeners: Listener<void>[] = []
  private closeTimer: NodeJS.Timeout | null = null
  /** Jobs this process finished with `done`. */
  jobsDone = 0
  /** False once the lab signalled this process: a stop meant for one job must never reach the next. */
  reusable = true

  constructor(private readonly opts: WarmWorkerOptions) {}

  /** OS process id once started. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Where the worker is: idle ones can take a job. */
  get state(): WarmState {
    return this._state
  }

  /** Fires once when the process has ended. */
  onClose(l: Listener<void>): void {
    this.closeListeners.push(l)
  }

  /**
   * Fires each time the worker can take a job: at its first `ready` when it was started without
   * one, and as soon as a job ends `done` (the next job's path can be written at once: the engine
   * reads it after freeing the last job's memory and saying `ready`).
   */
  onIdle(l: Listener<void>): void {
    this.readyListeners.push(l)
  }

  /** Spawns the process; a job can be given to it at once (it reads the job after its imports). */
  start(): void {
    const o = this.opts
    let child: ChildProcess
    try {
      child = spawn(o.python, o.args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    } catch (err) {
      this.ended(null, null, spawnFailedMessage(o.python, err as Error))
      return
    }
    this.child = child
    child.on('error', (err) => {
      // 'error' without 'exit' means the executable was never started.
      if (child.pid === undefined) this.ended(null, null, spawnFailedMessage(o.python, err))
    })
    // A job file path written as the process dies: the close that follows says what happened.
    child.stdin!.on('error', () => {})
    this.tag(`started warm: ${o.python} ${o.args.join(' ')}`)
    createInterface({ input: child.stdout! }).on('line', (line) => this.onStdoutLine(line))
    createInterface({ input: child.stderr! }).on('line', (line) => this.onStderrLine(line))
    child.on('close', (code, signal) => this.ended(code, signal))
  }

  /** Gives the worker its next job; it must be starting or idle. */
  run(req: WarmJobRequest): WarmJob {
    if (this.job || (this._state !== 'starting' && this._state !== 'idle')) throw new Error(`warm worker ${this.pid} is ${this._state}, it cannot take a job`)
    this.cancelClose()
    const job = new WarmJob(req, this)
    this.job = job
    if (this._state === 'idle') this._state = 'busy'
    this.hold(true)
    if (this.child?.stdin?.writable) this.child.stdin.write(`${req.jobFile}\n`)
    return job
  }

  /**
   * Ends the process: EOF on stdin (an idle worker exits 0 at once), SIGKILL if it is still there
   * after `graceMs`. Resolves when it has ended.
   */
  close(graceMs: number): Promise<void> {
    if (this._state === 'closed') return Promise.resolve()
    const closed = new Promise<void>((resolve) => this.onClose(resolve))
    // Someone awaits this close: the process (and the SIGKILL timer) must hold the event loop until
    // it has ended, or an idle worker's unref'd handles let Node exit with the await unsettled (code 13).
    this.hold(true)
    this.child?.stdin?.end()
    this.closeTimer ??= setTimeout(() => this.signal('SIGKILL'), graceMs)
    return closed
  }

  /** Sends a signal to the process; it will not be given another job. */
  signal(sig: NodeJS.Signals): void {
    if (this._state === 'closed' || !this.child) return
    this.reusable = false
    this.child.kill(sig)
  }

  /** @internal WarmJob's log tag. */
  tag(message: string, runId?: string): void {
    this.opts.log(`${runId ? `[run ${runId}] ` : ''}[pid ${this.child?.pid ?? '-'}] ${message}`)
  }

  /** @internal A job finished with `done` and its end mark: the process is the lab's again. */
  jobFinished(job: WarmJob): void {
    if (this.job !== job) return
    this.job = null
    this.jobsDone++
    this.hold(false)
    this.becomeIdle()
  }

  private becomeIdle(): void {
    if (this.job || this._state === 'closed') return
    this._state = 'idle'
    for (const l of this.readyListeners) l()
  }

  private cancelClose(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer)
    this.closeTimer = null
  }

  /** A busy worker keeps the lab's event loop alive; an idle one must not (a CLI run ends with its study). */
  private hold(busy: boolean): void {
    const c = this.child
    if (!c) return
    const handles = [c, c.stdin, c.stdout, c.stderr] as ({ ref(): void; unref(): void } | null)[]
    for (const h of handles) {
      if (busy) h?.ref()
      else h?.unref()
    }
  }

  private onStdoutLine(line: string): void {
    if (!line.trim() || this._state === 'closed') return
    const parsed = parseWorkerLine(line)
    if (!parsed.ok) {
      const message = protocolErrorMessage(parsed.problem)
      if (this.job) this.job.kill('protocol-error', message)
      else {
        this.tag(message)
        this.signal('SIGKILL')
      }
      return
    }
    const msg = parsed.message
    if (msg.type === 'ready') {
      if (this.job) this._state = 'busy' // the job given before this ready is read now
      else if (this._state === 'starting') this.becomeIdle()
      return
    }
    if (this.job) this.job.message(msg)
    else this.tag(`message outside a job ignored: ${line.slice(0, 200)}`)
  }

  private onStderrLine(line: string): void {
    if (line.startsWith(JOB_START_MARK)) return
    if (line.startsWith(JOB_END_MARK)) {
      this.job?.endMark()
      return
    }
    if (this.job) this.job.stderr(line)
    else this.tag(`stderr between jobs: ${line}`)
  }

  private ended(code: number | null, signal: NodeJS.Signals | null, spawnFailure?: string): void {
    if (this._state === 'closed') return
    this._state = 'closed'
    this.cancelClose()
    this.tag(`warm worker ended (code ${code}, signal ${signal}) after ${this.jobsDone} job(s)`)
    const job = this.job
    this.job = null
    job?.processEnded(code, signal, spawnFailure)
    for (const l of this.closeListeners) l()
  }
}

/** One job on a warm worker; the ExecutionHandle the queue holds. */
export class WarmJob {
  private logStream: WriteStream | null
  private readonly messageListeners: Listener<WorkerMessage>[] = []
  private readonly stderrListeners: Listener<string>[] = []
  private exitInfo: WorkerExit | null = null
  private resolveExit!: (e: WorkerExit) => void
  private readonly exited: Promise<WorkerExit>
  private ownKill: { reason: ExitReason; message: string } | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private killTimer: NodeJS.Timeout | null = null
  private lastError: { code: string; message: string } | null = null
  private summary: Record<string, unknown> | undefined
  private doneSeen = false
  private endSeen = false

  constructor(
    private readonly req: WarmJobRequest,
    private readonly worker: WarmWorker,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve))
    this.logStream = createWriteStream(req.logFile, { flags: 'a' })
    this.logStream.on('error', (err) => {
      // A full disk or a vanished run folder must not bring the lab down: the log stops, the run goes on.
      this.worker.tag(`worker.log cannot be written (${err.message}); its lines are dropped`, req.runId)
      this.logStream = null
    })
    this.worker.tag(`job ${req.jobFile} given to the warm worker (its job ${worker.jobsDone + 1})`, req.runId)
    this.armHeartbeat()
  }

  /** Process id of the warm worker. */
  get pid(): number | undefined {
    return this.worker.pid
  }

  /** The job's end, whenever it comes. */
  get exit(): Promise<WorkerExit> {
    return this.exited
  }

  /** Every valid protocol message of this job, in order. */
  onMessage(l: Listener<WorkerMessage>): void {
    this.messageListeners.push(l)
  }

  /** Every stderr line of this job (already written to its log file). */
  onStderr(l: Listener<string>): void {
    this.stderrListeners.push(l)
  }

  /** SIGTERM (the engine checkpoints and exits 3), SIGKILL after the grace period. */
  stop(message = 'cancelled by the user'): void {
    if (this.exitInfo) return
    this.ownKill ??= { reason: 'cancelled', message }
    this.worker.tag(`SIGTERM (${message})`, this.req.runId)
    this.worker.signal('SIGTERM')
    this.killTimer ??= setTimeout(() => {
      this.worker.tag(`still running ${this.req.graceMs} ms after SIGTERM: SIGKILL`, this.req.runId)
      this.worker.signal('SIGKILL')
    }, this.req.graceMs)
  }

  /** Ends the job (and its process) at once with the given classification. */
  kill(reason: ExitReason, message: string): void {
    if (this.exitInfo) return
    this.ownKill = { reason, message }
    this.worker.tag(`SIGKILL (${message})`, this.req.runId)
    this.worker.signal('SIGKILL')
  }

  /** Resolves with the exit, or undefined if the job still runs after `ms`. */
  async waitForExit(ms: number): Promise<WorkerExit | undefined> {
    if (this.exitInfo) return this.exitInfo
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
    const r = await Promise.race([this.exited, timeout])
    clearTimeout(timer)
    return r
  }

  /** @internal A protocol message of this job. */
  message(msg: WorkerMessage): void {
    if (this.exitInfo) return
    this.armHeartbeat()
    if (msg.type === 'error') this.lastError = { code: msg.code, message: msg.message }
    if (msg.type === 'done') this.summary = msg.summary
    for (const l of this.messageListeners) l(msg)
    if (msg.type === 'done') {
      this.doneSeen = true
      this.maybeDone()
    }
  }

  /** @internal A stderr line of this job. */
  stderr(line: string): void {
    this.logStream?.write(`${line}\n`)
    for (const l of this.stderrListeners) l(line)
  }

  /** @internal The worker marked the end of this job's stderr. */
  endMark(): void {
    this.endSeen = true
    this.maybeDone()
  }

  /** @internal The process ended while this job was its job. */
  processEnded(code: number | null, signal: NodeJS.Signals | null, spawnFailure?: string): void {
    if (spawnFailure) this.finish({ reason: 'spawn-failed', code, signal, message: spawnFailure })
    else this.finish(classifyExit({ code, signal, summary: this.summary, lastError: this.lastError, ownKill: this.ownKill }))
  }

  // `done` is on stdout and the end mark on stderr, two pipes read in no fixed order: the job is
  // over (and every stderr line of it in its log) only when both have arrived.
  private maybeDone(): void {
    if (!this.doneSeen || !this.endSeen || this.exitInfo) return
    this.worker.jobFinished(this)
    this.finish({ reason: 'done', code: null, signal: null, message: 'done', summary: this.summary })
  }

  private armHeartbeat(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat)
    this.heartbeat = setTimeout(() => this.kill('heartbeat-timeout', heartbeatMessage(this.req.heartbeatMs)), this.req.heartbeatMs)
  }

  private finish(exit: WorkerExit): void {
    if (this.exitInfo) return
    this.exitInfo = exit
    if (this.heartbeat) clearTimeout(this.heartbeat)
    if (this.killTimer) clearTimeout(this.killTimer)
    this.worker.tag(`job end: ${exit.reason} (code ${exit.code}, signal ${exit.signal})`, this.req.runId)
    const stream = this.logStream
    this.logStream = null
    const notify = () => this.resolveExit(exit)
    if (stream) stream.end(notify)
    else notify()
  }
}
