// One run queue per data root: a second lab service (the app while a CLI study runs, say) must not
// treat the first one's running runs as orphans. The lock file holds the owner's pid.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { takePidLock } from '../util/pid-lock.ts'

/** The command line of a process, when this system shows it (Linux /proc); null otherwise. */
function commandLine(pid: number): string | null {
  const file = `/proc/${pid}/cmdline`
  try {
    return existsSync(file) ? readFileSync(file, 'utf8').split('\0').filter(Boolean).join(' ') || null : null
  } catch {
    return null
  }
}

/**
 * A live pid in the lock that is plainly not a lab (pid 1, a shell: the pid was reused after the
 * lab died without removing its lock) does not hold it. Unknown command lines are trusted.
 */
function ownerIsLab(pid: number): boolean {
  const cmd = commandLine(pid)
  return cmd === null || /node|electron|xlab|xray-ssl-lab/i.test(cmd)
}

/** Takes `<dataRoot>/queue.lock`; throws if a live lab process holds it. Returns the release function. */
export function takeQueueLock(dataRoot: string): () => void {
  const file = join(dataRoot, 'queue.lock')
  return takePidLock(
    file,
    (owner) => {
      const cmd = commandLine(owner)
      return Object.assign(
        new Error(
          `Another lab process (pid ${owner}${cmd ? `: ${cmd.length > 160 ? `${cmd.slice(0, 160)}…` : cmd}` : ''}) holds the run-queue lock ${file}: it is running studies from this data folder. ` +
            `Use that one (or stop it) — two run queues on one database would start the same runs twice. If pid ${owner} is not a lab, delete ${file}.`,
        ),
        { code: 'CONFLICT' },
      )
    },
    ownerIsLab,
  )
}
