// One supervised `python -m xlab.worker` process (the VS Code utilityProcess habit): a disposable
// class with typed events, a literal union of exit reasons, waitForExit(ms) then kill, and every
// log line tagged with run id and pid. It knows nothing about SQLite; the queue does the writing.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseWorkerLine, type WorkerMessage } from './worker-messages.ts'

/** Why a worker ended. */
export type ExitReason =
  | 'done' // exit 0 after a `done` message
  | 'bad-input' // exit 2: the job cannot run as written
  | 'cancelled' // exit 3, or killed after we asked it to stop
  | 'oom' // exit 4
  | 'non-finite' // exit 5: the loss diverged
  | 'crashed' // any other exit code, or exit 0 without `done`
  | 'killed' // ended by a signal nobody here sent (OOM killer, kill -9)
  | 'protocol-error' // wrote a line that is not a valid protocol message
  | 'heartbeat-timeout' // said nothing for longer than the heartbeat timeout
  | 'spawn-failed' // could not be started at all

/** How a worker ended, with a sentence for the user. */
export interface WorkerExit {
  /** The classified reason. */
  reason: ExitReason
  /** Process exit code, if it exited. */
  code: number | null
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null
  /** What happened, for the run's `reason` column. */
  message: string
  /** The `done` summary, when there was one. */
  summary?: Record<string, unknown>
}

export interface WorkerProcessOptions {
  /** Run id, for log tags. */
  runId: string
  /** Python executable. */
  python: string
  /** Arguments after the executable (e.g. ['-m', 'xlab.worker', '--job', file]). */
  args: string[]
  /** Extra environment (PYTHONPATH, CUDA_VISIBLE_DEVICES, thread counts). */
  env: Record<string, string>
  /** Working directory. */
  cwd: string
  /** stderr is appended here (the run's worker.log). */
  logFile: string
  /** A worker silent for this long is killed as stuck. */
  heartbeatMs: number
  /** After SIGTERM, how long to wait before SIGKILL. */
  graceMs: number
  /** Lab log sink (already prefixed with the component by the caller). */
  log(message: string): void
}

type Listener<T> = (value: T) => void

const EXIT_CODES: Record<number, ExitReason> = { 2: 'bad-input', 3: 'cancelled', 4: 'oom', 5: 'non-finite' }

/** What the supervisor saw of a job whose worker process ended: the facts its exit is classified by. */
export interface EndedJob {
  /** Process exit code, if it exited. */
  code: number | null
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null
  /** The `done` summary, when the worker sent one. */
  summary: Record<string, unknown> | undefined
  /** The last `error` message. */
  lastError: { code: string; message: string } | null
  /** Set when the lab ended the worker itself (stop or kill), with its reason. */
  ownKill: { reason: ExitReason; message: string } | null
}

/**
 * Classifies the end of a job's worker process. Shared by the one-shot WorkerProcess and the warm
 * worker (warm-worker.ts), so a job ends in the same state whichever kind of process ran it.
 */
export function classifyExit(e: EndedJob): WorkerExit {
  const { code, signal, ownKill } = e
  const errText = e.lastError ? `${e.lastError.code}: ${e.lastError.message}` : null
  if (e.summary && (code === 0 || (signal !== null && ownKill))) {
    // A worker that finished just as it was asked to stop still finished, also when our SIGTERM
    // reached it after its `done` (summary.json is written before `done` is sent).
    return { reason: 'done', code, signal, message: 'done', summary: e.summary }
  }
  if (ownKill && (ownKill.reason !== 'cancelled' || code !== 3)) return { reason: ownKill.reason, code, signal, message: ownKill.message }
  if (code === 0) return { reason: 'crashed', code, signal, message: 'The worker exited without reporting a result (no `done` message); see worker.log.' }
  if (code !== null && EXIT_CODES[code]) {
    const reason = EXIT_CODES[code]!
    return { reason, code, signal, message: reason === 'cancelled' && ownKill ? ownKill.message : (errText ?? `The worker exited with code ${code} (${reason}); see worker.log.`) }
  }
  if (signal) return { reason: 'killed', code, signal, message: `The worker was killed by ${signal} (not by the lab; out of memory or killed by hand?).` }
  return { reason: 'crashed', code, signal, message: `${errText ?? 'The worker crashed'} (exit code ${code}); see worker.log.` }
}

/** The reason text of a worker stopped as stuck. */
export function heartbeatMessage(heartbeatMs: number): string {
  return `The worker sent no message for ${Math.round(heartbeatMs / 1000)} s and was stopped as stuck; see worker.log. It is retried from its last checkpoint if attempts remain.`
}

/** The reason text of a worker that wrote something other than a protocol line. */
export function protocolErrorMessage(problem: string): string {
  return `The worker wrote a line that is not a valid protocol message (${problem}). This is an engine bug: stdout must carry only protocol lines; see worker.log.`
}

/** The reason text of an engine that could not be started. */
export function spawnFailedMessage(python: string, err: Error): string {
  return `Could not start the engine (${python}): ${err.message}. Run \`npm run setup\` or set XLAB_PYTHON.`
}

export class WorkerProcess {
  private child: ChildProcess | null = null
  private logStream: WriteStream | null = null
  private readonly messageListeners: Listener<WorkerMessage>[] = []
  private readonly stderrListeners: Listener<string>[] = []
  private readonly exitListeners: Listener<WorkerExit>[] = []
  private readonly crashListeners: Listener<WorkerExit>[] = []
  private exitInfo: WorkerExit | null = null
  private readonly exited: Promise<WorkerExit>
  private resolveExit!: (e: WorkerExit) => void
  /** Set when we end the worker ourselves, so the exit is classified by our reason. */
  private ownKill: { reason: ExitReason; message: string } | null = null
  private stopRequested = false
  private heartbeat: NodeJS.Timeout | null = null
  private killTimer: NodeJS.Timeout | null = null
  private lastError: { code: string; message: string } | null = null
  private summary: Record<string, unknown> | undefined

  constructor(private readonly opts: WorkerProcessOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve))
  }

  /** OS process id once started. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Every valid protocol message, in order. */
  onMessage(l: Listener<WorkerMessage>): void {
    this.messageListeners.push(l)
  }
  /** Every stderr line (already written to the log file). */
  onStderr(l: Listener<string>): void {
    this.stderrListeners.push(l)
  }
  /** Fires once when the process has ended, whatever the reason. */
  onExit(l: Listener<WorkerExit>): void {
    this.exitListeners.push(l)
  }
  /** Fires (before onExit) when the end was not a clean done or a requested stop. */
  onCrash(l: Listener<WorkerExit>): void {
    this.crashListeners.push(l)
  }

  start(): void {
    const o = this.opts
    this.logStream = createWriteStream(o.logFile, { flags: 'a' })
    this.logStream.on('error', (err) => {
      // A full disk or a vanished run folder must not bring the lab down: the log stops, the run goes on.
      this.tag(`worker.log cannot be written (${err.message}); its lines are dropped`)
      this.logStream = null
    })
    let child: ChildProcess
    try {
      child = spawn(o.python, o.args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      this.finish({ reason: 'spawn-failed', code: null, signal: null, message: spawnFailedMessage(o.python, err as Error) })
      return
    }
    this.child = child
    child.on('error', (err) => {
      // 'error' without 'exit' means the executable was never started.
      if (child.pid === undefined) this.finish({ reason: 'spawn-failed', code: null, signal: null, message: spawnFailedMessage(o.python, err) })
    })
    this.tag(`started: ${o.python} ${o.args.join(' ')}`)
    this.armHeartbeat()
    createInterface({ input: child.stdout! }).on('line', (line) => this.onStdoutLine(line))
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.logStream?.write(`${line}\n`)
      for (const l of this.stderrListeners) l(line)
    })
    child.on('close', (code, signal) => this.onClose(code, signal))
  }

  /** Asks the worker to stop: SIGTERM (it checkpoints and exits 3), then SIGKILL after the grace period. */
  stop(message = 'cancelled by the user'): void {
    if (!this.child || this.exitInfo) return
    this.stopRequested = true
    this.ownKill ??= { reason: 'cancelled', message }
    this.tag(`SIGTERM (${message})`)
    this.child.kill('SIGTERM')
    this.killTimer ??= setTimeout(() => {
      this.tag(`still running ${this.opts.graceMs} ms after SIGTERM: SIGKILL`)
      this.child?.kill('SIGKILL')
    }, this.opts.graceMs)
  }

  /** Ends the worker at once with the given classification. */
  kill(reason: ExitReason, message: string): void {
    if (!this.child || this.exitInfo) return
    this.ownKill = { reason, message }
    this.tag(`SIGKILL (${message})`)
    this.child.kill('SIGKILL')
  }

  /** Resolves with the exit, or undefined if the process is still running after `ms`. */
  async waitForExit(ms: number): Promise<WorkerExit | undefined> {
    if (this.exitInfo) return this.exitInfo
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
    const r = await Promise.race([this.exited, timeout])
    clearTimeout(timer)
    return r
  }

  /** The exit, whenever it comes. */
  get exit(): Promise<WorkerExit> {
    return this.exited
  }

  /** Kills the process if it is still alive and releases timers and the log file. */
  dispose(): void {
    if (this.child && !this.exitInfo) this.child.kill('SIGKILL')
    this.clearTimers()
  }

  private tag(message: string): void {
    this.opts.log(`[run ${this.opts.runId}] [pid ${this.child?.pid ?? '-'}] ${message}`)
  }

  private armHeartbeat(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat)
    this.heartbeat = setTimeout(() => {
      this.kill('heartbeat-timeout', heartbeatMessage(this.opts.heartbeatMs))
    }, this.opts.heartbeatMs)
  }

  private onStdoutLine(line: string): void {
    if (this.exitInfo || this.ownKill?.reason === 'protocol-error') return
    if (!line.trim()) return
    this.armHeartbeat()
    const parsed = parseWorkerLine(line)
    if (!parsed.ok) {
      this.kill('protocol-error', protocolErrorMessage(parsed.problem))
      return
    }
    const msg = parsed.message
    if (msg.type === 'error') this.lastError = { code: msg.code, message: msg.message }
    if (msg.type === 'done') this.summary = msg.summary
    for (const l of this.messageListeners) l(msg)
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.finish(classifyExit({ code, signal, summary: this.summary, lastError: this.lastError, ownKill: this.ownKill }))
  }

  private finish(exit: WorkerExit): void {
    if (this.exitInfo) return
    this.exitInfo = exit
    this.clearTimers()
    this.tag(`exit: ${exit.reason} (code ${exit.code}, signal ${exit.signal})`)
    const stream = this.logStream
    this.logStream = null
    const notify = () => {
      if (exit.reason !== 'done' && !(exit.reason === 'cancelled' && this.stopRequested)) for (const l of this.crashListeners) l(exit)
      for (const l of this.exitListeners) l(exit)
      this.resolveExit(exit)
    }
    if (stream) stream.end(notify)
    else notify()
  }

  private clearTimers(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat)
    if (this.killTimer) clearTimeout(this.killTimer)
    this.heartbeat = null
    this.killTimer = null
  }
}
