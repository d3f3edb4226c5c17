// Vitest global setup: every temp folder a test makes (os.tmpdir(), also in the Python workers it
// spawns) lands under one folder per test run, removed at the end, so test runs leave nothing in
// the system temp folder. XLAB_KEEP_TEST_TMP=1 keeps it for debugging (its path is printed).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'xlab-vitest-'))
  process.env.TMPDIR = root
  return () => {
    if (process.env.XLAB_KEEP_TEST_TMP === '1') {
      process.stderr.write(`test temp files kept in ${root}\n`)
      return
    }
    rmSync(root, { recursive: true, force: true })
  }
}
