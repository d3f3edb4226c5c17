// One run queue per data root: a second lab service (the app while a CLI study runs, say) must not
// treat the first one's running runs as orphans. The lock file holds the owner's pid.
import { join } from 'node:path'
import { takePidLock } from '../util/pid-lock.ts'

/** Takes `<dataRoot>/queue.lock`; throws if a live process holds it. Returns the release function. */
export function takeQueueLock(dataRoot: string): () => void {
  return takePidLock(join(dataRoot, 'queue.lock'), (owner) =>
    Object.assign(new Error(`Another lab process (pid ${owner}) is running studies from this data folder. Use that one (or stop it) — two run queues on one database would start the same runs twice.`), { code: 'CONFLICT' }),
  )
}
