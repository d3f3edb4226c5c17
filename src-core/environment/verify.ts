// Verification of an engine environment: `python -m xlab.envcheck` (torch and torchvision import,
// the device is usable, a bf16/fp16 convolution runs forward and backward) plus the free disk
// space of the data root. The result is kept in the environment folder as the "last verification".
import { existsSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { runCaptured } from '../util/process.ts'

/** What envcheck reports about one GPU. */
export interface VerifiedGpu {
  /** torch's device index. */
  index: number
  /** Device name. */
  name: string
  /** Total memory in bytes. */
  memory_total_bytes: number
  /** Free memory in bytes at verification time. */
  memory_free_bytes: number
  /** Compute capability, e.g. `9.0`. */
  capability: string
}

/** The last verification of an environment. */
export interface Verification {
  /** Everything passed. */
  ok: boolean
  /** ISO time it ran. */
  at: string
  /** The interpreter verified. */
  python: string
  /** python, torch, torchvision, numpy, xlab, cuda_build, hip_build versions. */
  versions: Record<string, string | null>
  /** The engine's device description (type, name, count, amp, ...), null when unusable. */
  device: Record<string, unknown> | null
  /** GPUs torch sees, with memory. */
  gpus: VerifiedGpu[]
  /** The mixed-precision convolution check. */
  conv: { dtype: string; ok: boolean; seconds: number; error: string | null } | null
  /** Free and total bytes of the data root's file system. */
  disk: { path: string; freeBytes: number; totalBytes: number } | null
  /** Sentences saying what failed. */
  errors: string[]
  /** Folder of the engine package that was checked (absent when the check did not run). */
  engine_path?: string
}

/** Free and total bytes of the file system holding `path` (or, before it exists, its nearest existing parent). */
export function diskSpace(path: string): Verification['disk'] {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const s = statfsSync(dir)
      return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }
    } catch {
      if (dirname(dir) === dir) return null
    }
  }
}

/** Runs envcheck with `python` and the engine package on PYTHONPATH. */
export async function verifyEnvironment(opts: { python: string; engineDir: string; dataRoot: string; device?: string; timeoutMs?: number }): Promise<Verification> {
  const at = new Date().toISOString()
  const base = { at, python: opts.python, versions: {}, device: null, gpus: [], conv: null, disk: diskSpace(opts.dataRoot) }
  if (!existsSync(opts.python)) return { ...base, ok: false, errors: [`The engine's Python ${opts.python} does not exist. Set the environment up (xlab doctor, or the app's Environment view).`] }
  const env = { ...process.env, PYTHONPATH: [opts.engineDir, process.env.PYTHONPATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':') }
  const { code, stdout, stderr } = await runCaptured(opts.python, ['-m', 'xlab.envcheck', '--device', opts.device ?? 'auto'], { env, timeoutMs: opts.timeoutMs ?? 300_000 })
  const line = stdout.trim().split('\n').at(-1) ?? ''
  try {
    const r = JSON.parse(line) as Omit<Verification, 'at' | 'python' | 'disk'>
    return { ...base, ...r, ok: r.ok && code === 0 }
  } catch {
    const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code}`
    return { ...base, ok: false, errors: [`The engine check did not run (${why}). Repair the environment.`] }
  }
}

/** The stored last verification, or null. */
export function readVerification(file: string): Verification | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Verification
  } catch {
    return null
  }
}

/** Stores a verification as the last one. */
export function writeVerification(file: string, v: Verification): void {
  writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`)
}
