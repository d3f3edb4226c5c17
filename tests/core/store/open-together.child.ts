// One of several processes that open the same lab database at the same instant (open-together.test.ts).
// It signals that it is ready, waits for the go file, opens the database and prints what it saw.
import { existsSync } from 'node:fs'
import { openDatabase } from '../../../src-core/store/db.ts'

const [file, goFile] = process.argv.slice(2)
const sleeper = new Int32Array(new SharedArrayBuffer(4))
process.stdout.write('ready\n')
while (!existsSync(goFile)) Atomics.wait(sleeper, 0, 0, 1)
try {
  const db = openDatabase(file)
  const version = (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v
  db.close()
  process.stdout.write(JSON.stringify({ ok: true, version }) + '\n')
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message }) + '\n')
  process.exitCode = 1
}
