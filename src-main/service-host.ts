// Supervises the lab service's utilityProcess and connects windows to it: each window gets its
// own MessagePort pair (one end to the service, one to the window's preload). Folders chosen in
// native pickers reach the service's PathGuard over the parent port, a channel the renderer
// cannot write to.
import { EventEmitter } from 'node:events'

/** The parts of a MessagePortMain the host moves around. */
export type PortLike = object

/** The parts of Electron's UtilityProcess the host uses. */
export interface ChildLike {
  /** Posts a control message, optionally transferring ports. */
  postMessage(message: unknown, transfer?: PortLike[]): void
  /** Exit notification. */
  on(event: 'exit', listener: (code: number) => void): unknown
  /** Ends the process. */
  kill(): boolean
}

/** The parts of WebContents the host talks to. */
export interface WindowContentsLike {
  /** Posts to the preload, optionally transferring ports. */
  postMessage(channel: string, message: unknown, transfer?: PortLike[]): void
  /** True after the window closed. */
  isDestroyed(): boolean
}

/** What the host needs from Electron (injected so tests run without it). */
export interface ServiceHostDeps {
  /** Starts the service process (utilityProcess.fork). */
  fork(): ChildLike
  /** Creates a port pair (new MessageChannelMain()). */
  createChannel(): { port1: PortLike; port2: PortLike }
  /** Log line. */
  log(message: string): void
}

/** Control messages main sends to the service process. */
export type ServiceControl = { type: 'connect' } | { type: 'allow'; dir: string } | { type: 'shutdown' }

/** Why the service process stopped. */
export type ServiceExitReason = 'clean-exit' | 'crashed' | 'killed'

export class LabServiceHost {
  private child: ChildLike | undefined
  private readonly windows = new Set<WindowContentsLike>()
  private readonly allowed = new Set<string>()
  private readonly emitter = new EventEmitter()
  private stopping = false
  private restarts = 0

  constructor(private readonly deps: ServiceHostDeps) {}

  /** Starts the service process (once). */
  start(): void {
    if (this.child) return
    const child = this.deps.fork()
    this.child = child
    for (const dir of this.allowed) child.postMessage({ type: 'allow', dir } satisfies ServiceControl)
    child.on('exit', (code) => {
      this.child = undefined
      const reason: ServiceExitReason = this.stopping ? 'killed' : code === 0 ? 'clean-exit' : 'crashed'
      this.deps.log(`lab service exited (${reason}, code ${code})`)
      this.emitter.emit('exit', reason)
      for (const w of this.windows) if (!w.isDestroyed()) w.postMessage('lab:closed', `the lab service stopped (${reason}, code ${code})`)
      // One automatic restart per session: a crash loop must surface, not spin.
      if (reason === 'crashed' && this.restarts++ < 1) {
        this.start()
        for (const w of [...this.windows]) this.connect(w)
      }
    })
  }

  /** Gives a window a fresh port to the service. */
  connect(contents: WindowContentsLike): void {
    this.start()
    const { port1, port2 } = this.deps.createChannel()
    this.child!.postMessage({ type: 'connect' } satisfies ServiceControl, [port1])
    contents.postMessage('lab:port', null, [port2])
    this.windows.add(contents)
  }

  /** Forgets a closed window. */
  disconnect(contents: WindowContentsLike): void {
    this.windows.delete(contents)
  }

  /** Lets the service read below a folder the user chose in a native picker. */
  allow(dir: string): void {
    this.allowed.add(dir)
    this.child?.postMessage({ type: 'allow', dir } satisfies ServiceControl)
  }

  /** Subscribes to the service's exit; returns the unsubscribe function. */
  onExit(listener: (reason: ServiceExitReason) => void): () => void {
    this.emitter.on('exit', listener)
    return () => this.emitter.off('exit', listener)
  }

  /** Asks the service to stop its runs and close the database; kills it if it does not exit in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child
    if (!child) return
    this.stopping = true
    const exited = new Promise<void>((resolve) => this.emitter.once('exit', () => resolve()))
    child.postMessage({ type: 'shutdown' } satisfies ServiceControl)
    const timer = setTimeout(() => child.kill(), timeoutMs)
    await exited
    clearTimeout(timer)
  }
}
