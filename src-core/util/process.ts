// Process liveness for the locks and claims that record an owner pid (run queue, imports), and a
// short-lived child process whose output is read whole (the engine's checks and measurements).
import { spawn } from 'node:child_process'

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What a captured child process printed, and its exit code (null: it could not start, or was killed). */
export interface CapturedRun {
  /** Exit code; null when the process could not start or ended on a signal. */
  code: number | null
  /** Everything it wrote to stdout. */
  stdout: string
  /** Everything it wrote to stderr (and why it could not start). */
  stderr: string
}

/** Runs `cmd args` to its end with its output captured; SIGKILL after `timeoutMs`, or when `signal` aborts. */
export function runCaptured(cmd: string, args: readonly string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal }): Promise<CapturedRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({ code: null, stdout: out, stderr: `${err}${e.message}` })
    })
    child.on('close', (c) => {
      clearTimeout(timer)
      resolve({ code: c, stdout: out, stderr: err })
    })
  })
}
