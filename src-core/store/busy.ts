// SQLite lock contention: another connection (the app and a CLI command, a backup tool, a person in
// the sqlite3 shell) may hold lab.sqlite's write lock longer than the busy timeout. Such a write is
// worth waiting for; it must never crash the lab or drop what it was storing.

/** True for SQLITE_BUSY / SQLITE_LOCKED (and their extended codes): the write may succeed later. */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** How long retried writes wait in all before they give up (ms), unless told otherwise. */
export const WRITE_RETRY_MS = 5 * 60_000

/**
 * Runs a (synchronous) store write, retrying while the database is locked by another process, with a
 * growing pause between tries (each try already waits the connection's busy timeout). Other errors,
 * and the lock still held after `giveUpMs`, are thrown.
 */
export async function retryWhileBusy<T>(write: () => T, o: { giveUpMs?: number; onWait?: (err: Error, waitedMs: number) => void } = {}): Promise<T> {
  const started = Date.now()
  let pause = 100
  for (;;) {
    try {
      return write()
    } catch (err) {
      const waited = Date.now() - started
      if (!isBusyError(err) || waited >= (o.giveUpMs ?? WRITE_RETRY_MS)) throw err
      o.onWait?.(err as Error, waited)
      await new Promise((r) => setTimeout(r, pause))
      pause = Math.min(pause * 2, 2000)
    }
  }
}
