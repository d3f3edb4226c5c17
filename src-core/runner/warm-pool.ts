// The local executor's warm workers, keyed by what a process cannot change once started (device
// slot, thread count, CUDA_VISIBLE_DEVICES, deterministic flag). A job takes an idle worker of its
// key or starts a fresh one; a worker whose job did not end `done` is gone (the engine exits), so
// the next job of that key starts a fresh process. Workers are recycled after `maxJobs` jobs and
// after `idleMs` without one, and all of them close with the lab.
import { WarmWorker, type WarmJob, type WarmJobRequest, type WarmWorkerOptions } from './warm-worker.ts'

export interface WarmPoolOptions {
  /** A worker is closed after this many jobs (bounds what a long-lived process can leak). */
  maxJobs: number
  /** A worker idle this long is closed (gives its memory back to the machine). */
  idleMs: number
  /** How long a closing worker may take before SIGKILL. */
  graceMs: number
  /** Lab log sink. */
  log(message: string): void
}

export class WarmPool {
  private readonly idle = new Map<string, WarmWorker[]>()
  private readonly idleTimers = new Map<WarmWorker, NodeJS.Timeout>()
  private readonly all = new Set<WarmWorker>()
  private closing = false

  constructor(private readonly o: WarmPoolOptions) {}

  /** Runs a job on an idle worker of `key`, or on a fresh one started with `spawn`. */
  run(key: string, spawn: WarmWorkerOptions, req: WarmJobRequest): WarmJob {
    const w = this.takeIdle(key) ?? this.fresh(key, spawn)
    return w.run(req)
  }

  /** Processes alive now (idle and busy). */
  size(): number {
    return this.all.size
  }

  /** Closes every worker (EOF, then SIGKILL after the grace period); later jobs are refused. */
  async closeAll(): Promise<void> {
    this.closing = true
    for (const t of this.idleTimers.values()) clearTimeout(t)
    this.idleTimers.clear()
    this.idle.clear()
    await Promise.all([...this.all].map((w) => w.close(this.o.graceMs)))
  }

  private fresh(key: string, spawn: WarmWorkerOptions): WarmWorker {
    if (this.closing) throw new Error('the warm worker pool is closed')
    const w = new WarmWorker(spawn)
    this.all.add(w)
    w.onIdle(() => this.park(key, w))
    w.onClose(() => this.forget(key, w))
    w.start()
    return w
  }

  private takeIdle(key: string): WarmWorker | undefined {
    const list = this.idle.get(key)
    while (list?.length) {
      const w = list.shift()!
      this.clearIdleTimer(w)
      if (w.state === 'idle') return w
    }
    return undefined
  }

  /** A worker finished a job: keep it for the next job of its key, or recycle it. */
  private park(key: string, w: WarmWorker): void {
    if (w.state !== 'idle') return
    const why = this.closing ? 'the lab is closing' : !w.reusable ? 'it was signalled' : w.jobsDone >= this.o.maxJobs ? `it ran ${w.jobsDone} jobs` : null
    if (why) {
      this.o.log(`[pid ${w.pid ?? '-'}] closing the warm worker: ${why}`)
      void w.close(this.o.graceMs)
      return
    }
    const list = this.idle.get(key) ?? []
    list.push(w)
    this.idle.set(key, list)
    const timer = setTimeout(() => {
      this.o.log(`[pid ${w.pid ?? '-'}] closing the warm worker: idle for ${Math.round(this.o.idleMs / 1000)} s`)
      this.forget(key, w)
      void w.close(this.o.graceMs)
    }, this.o.idleMs)
    timer.unref()
    this.idleTimers.set(w, timer)
  }

  private forget(key: string, w: WarmWorker): void {
    this.clearIdleTimer(w)
    const list = this.idle.get(key)
    if (list) this.idle.set(key, list.filter((x) => x !== w))
    if (w.state === 'closed') this.all.delete(w)
  }

  private clearIdleTimer(w: WarmWorker): void {
    const t = this.idleTimers.get(w)
    if (t) clearTimeout(t)
    this.idleTimers.delete(w)
  }
}
