// A full disk is a clear failure (issue 26): one sentence names the disk (by the data root it
// holds) and its free space, and the same threshold drives the warnings of `xlab doctor` and the
// Storage view.
import { statfsSync } from 'node:fs'

/** Below this much free space on the data root's disk, doctor and the Storage view warn. */
export const LOW_DISK_WARN_BYTES = 20e9

/** Free bytes on the disk holding `dir` (for an unprivileged user), or null when it cannot be read or is no disk (sysfs, procfs: no blocks). */
export function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir)
    if (Number(s.blocks) === 0) return null
    return Number(s.bavail) * Number(s.bsize)
  } catch {
    return null
  }
}

/** True for a write refused because the disk is full (ENOSPC, SQLITE_FULL, or such a message). */
export function isDiskFullError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  if (e?.code === 'ENOSPC' || e?.code === 'SQLITE_FULL') return true
  return typeof e?.message === 'string' && looksLikeDiskFull(e.message)
}

/** True for an error message that says the disk is full (the engine's and SQLite's wordings). */
export function looksLikeDiskFull(message: string): boolean {
  return /ENOSPC|no space left on device|database or disk is full|\bis full\b|file write failed/i.test(message)
}

/** "the disk holding DATA is full (N MB free)", with what to do. */
export function diskFullMessage(dataRoot: string, then = 'then resume the study (xlab study resume NAME)'): string {
  const free = freeBytes(dataRoot)
  return `The disk holding ${dataRoot} is full (${free === null ? '?' : Math.floor(free / 1e6)} MB free). Free some space (xlab runs prune shows what the lab can reclaim), ${then}.`
}
