// A lock file that records its owner's pid: taken with O_EXCL, taken over when its owner died.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { processAlive } from './process.ts'

/**
 * Takes `file`; when a live process holds it, throws the error `busy(ownerPid)` returns. Returns
 * the release function (a no-op once someone else took the file over).
 */
export function takePidLock(file: string, busy: (owner: number) => Error): () => void {
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file)
        } catch {
          // Already gone: nothing to release.
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number(readFileSync(file, 'utf8'))
      if (owner && owner !== process.pid && processAlive(owner)) throw busy(owner)
      // A stale lock from a process that died: take it over.
      rmSync(file, { force: true })
    }
  }
  throw new Error(`Could not take the lock ${file}.`)
}
