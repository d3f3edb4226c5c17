// A lock file that records its owner's pid: created whole in one step, taken over when its owner died.
import { linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { processAlive } from './process.ts'

/** A takeover marker older than this was left by a process that died in the middle of one. */
const TAKEOVER_STALE_MS = 10_000
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** The pid in `file`, or null when there is no such file. */
function ownerOf(file: string): number | null {
  try {
    return Number(readFileSync(file, 'utf8')) || 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/**
 * Creates `file` holding this pid, or returns false when it exists. The pid is written to a file of
 * our own first and linked into place, so no other process ever reads a half-written lock.
 */
function create(file: string): boolean {
  const own = `${file}.${process.pid}.new`
  writeFileSync(own, String(process.pid))
  try {
    linkSync(own, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    rmSync(own, { force: true })
  }
}

/**
 * Removes `file` if it still holds the dead `owner`. Two processes that both found the same stale
 * lock must not both remove it (the second would remove the first one's new lock), so removal
 * happens under a marker folder that only one process can create; false: someone else is at it.
 */
function removeStale(file: string, owner: number): boolean {
  const marker = `${file}.takeover`
  try {
    mkdirSync(marker)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    try {
      if (Date.now() - statSync(marker).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(marker)
    } catch {
      // Gone meanwhile: the next attempt takes it.
    }
    return false
  }
  try {
    if (ownerOf(file) === owner) rmSync(file, { force: true })
    return true
  } finally {
    rmdirSync(marker)
  }
}

/**
 * Takes `file`; when a live process holds it, throws the error `busy(ownerPid)` returns. Returns
 * the release function (a no-op once someone else took the file over). `isOwner(pid)` may say that
 * a live pid is not the kind of process that takes this lock (a reused pid): the lock is then stale.
 */
export function takePidLock(file: string, busy: (owner: number) => Error, isOwner: (pid: number) => boolean = () => true): () => void {
  const deadline = Date.now() + 2 * TAKEOVER_STALE_MS
  while (Date.now() < deadline) {
    if (create(file)) {
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file)
        } catch {
          // Already gone: nothing to release.
        }
      }
    }
    const owner = ownerOf(file)
    if (owner === null) continue
    if (owner && owner !== process.pid && processAlive(owner) && isOwner(owner)) throw busy(owner)
    // A stale lock from a process that died (or an unreadable one): take it over.
    if (!removeStale(file, owner)) Atomics.wait(sleeper, 0, 0, 20)
  }
  throw new Error(`Could not take the lock ${file}: other processes kept taking it over. Try again.`)
}
