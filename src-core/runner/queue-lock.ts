// One run queue per data root: a second lab service (the app while a CLI study runs, say) must not
// treat the first one's running runs as orphans. The lock file holds the owner's pid.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processAlive } from '../util/process.ts'


/** Takes `<dataRoot>/queue.lock`; throws if a live process holds it. Returns the release function. */
export function takeQueueLock(dataRoot: string): () => void {
  const file = join(dataRoot, 'queue.lock')
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
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw Object.assign(new Error(`Another lab process (pid ${owner}) is running studies from this data folder. Use that one (or stop it) — two run queues on one database would start the same runs twice.`), { code: 'CONFLICT' })
      }
      // A stale lock from a process that died: take it over.
      rmSync(file, { force: true })
    }
  }
  throw new Error(`Could not take the run-queue lock ${file}.`)
}
