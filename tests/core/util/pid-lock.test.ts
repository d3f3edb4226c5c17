// The pid lock behind queue.lock (one run queue per data root) and the engine environment's lock:
// of several processes racing for it, exactly one gets it, also when a dead process left it behind.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { takePidLock } from '../../../src-core/util/pid-lock.ts'

const CHILD = join(import.meta.dirname, 'pid-lock.child.ts')

async function race(file: string, n: number): Promise<string[]> {
  const goFile = `${file}.go`
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', CHILD, file, goFile], { stdio: ['ignore', 'pipe', 'inherit'] }))
  const outs = children.map((c) => {
    let out = ''
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    return {
      ready: new Promise<void>((resolve) => c.stdout.on('data', () => out.includes('ready') && resolve())),
      exit: new Promise<string>((resolve) => c.on('close', () => resolve(out.replace('ready\n', '').trim()))),
    }
  })
  await Promise.all(outs.map((o) => o.ready))
  writeFileSync(goFile, '')
  return Promise.all(outs.map((o) => o.exit))
}

const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!

describe('takePidLock', () => {
  it('refuses while its owner lives and names the owner; takes over a dead owner\'s lock', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'xlab-lock-')), 'queue.lock')
    writeFileSync(file, String(process.ppid))
    expect(() => takePidLock(file, (owner) => new Error(`held by ${owner}`))).toThrow(`held by ${process.ppid}`)
    writeFileSync(file, String(deadPid()))
    const release = takePidLock(file, () => new Error('busy'))
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid))
    release()
    expect(existsSync(file)).toBe(false)
  })

  for (const [what, leftover] of [['a free lock', false], ['a lock a dead process left', true]] as const) {
    it(`of 8 processes racing for ${what}, exactly one gets it`, async () => {
      for (let round = 0; round < (leftover ? 3 : 1); round++) {
        const file = join(mkdtempSync(join(tmpdir(), 'xlab-lock-')), 'queue.lock')
        if (leftover) writeFileSync(file, String(deadPid()))
        const results = await race(file, 8)
        expect(results.filter((r) => r === 'took'), results.join(', ')).toHaveLength(1)
        expect(results.filter((r) => r.startsWith('busy ')), results.join(', ')).toHaveLength(7)
      }
    }, 120_000)
  }
})
