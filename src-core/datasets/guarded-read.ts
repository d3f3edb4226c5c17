// The PathGuard at open time (issue 26): a file the import planned may be swapped for a symlink to
// somewhere else between the plan and the read. So each file is opened first and the real path of
// what was opened (Linux: /proc/self/fd/N, which names the file the descriptor holds, whatever
// links led there) is checked; the bytes are then read from that same descriptor, so nothing can
// change in between. Elsewhere the real path is resolved right after the open (a far narrower window).
import { readlinkSync, realpathSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { SkipError } from './skip-error.ts'

/** The real path of the file an open descriptor holds. */
function openedPath(fd: number, path: string): string {
  if (process.platform === 'linux') {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      // /proc not mounted: fall back to the path's real path.
    }
  }
  return realpathSync(path)
}

/** Reads a file whose opened real path `allowFile` accepts; otherwise it is skipped as outside the allowed folders. */
export async function readIfAllowed(file: string, allowFile: (real: string) => boolean): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const real = openedPath(handle.fd, file)
    if (!allowFile(real)) {
      throw new SkipError('outside-allowed-folders', `when it was opened the file led to ${real}, outside the folders opened in the lab (it was changed after the import was planned); copy the file in, or open its folder too`)
    }
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}
