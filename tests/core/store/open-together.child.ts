// One of several processes that open the same lab database at the same instant (open-together.test.ts).
// It signals that it is ready, waits for the go file, opens the database, creates (or re-configures)
// the study "together" as `studies.create` does, and prints what it saw.
import { existsSync } from 'node:fs'
import { openDatabase } from '../../../src-core/store/db.ts'
import { saveStudyConfig } from '../../../src-core/store/runs.ts'

const [file, goFile] = process.argv.slice(2) as [string, string]
const sleeper = new Int32Array(new SharedArrayBuffer(4))
process.stdout.write('ready\n')
while (!existsSync(goFile)) Atomics.wait(sleeper, 0, 0, 1)
try {
  const db = openDatabase(file)
  const version = (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v
  const { created } = saveStudyConfig(db, { newId: `st-${process.pid}`, name: 'together', config: { by: process.pid } })
  db.close()
  process.stdout.write(JSON.stringify({ ok: true, version, created }) + '\n')
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message }) + '\n')
  process.exitCode = 1
}
