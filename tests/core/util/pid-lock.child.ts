// One of several processes racing for one pid lock (pid-lock.test.ts): waits for the go file, tries
// the lock, says whether it got it, and holds it a moment so the others find its owner alive.
import { existsSync } from 'node:fs'
import { takePidLock } from '../../../src-core/util/pid-lock.ts'

const [file, goFile] = process.argv.slice(2) as [string, string]
const sleeper = new Int32Array(new SharedArrayBuffer(4))
process.stdout.write('ready\n')
while (!existsSync(goFile)) Atomics.wait(sleeper, 0, 0, 1)
try {
  const release = takePidLock(file, (owner) => new Error(`busy ${owner}`))
  process.stdout.write('took\n')
  Atomics.wait(sleeper, 0, 0, 1500)
  release()
} catch (e) {
  process.stdout.write(`${(e as Error).message}\n`)
}
