// A live `xlab serve` process takes a few thousand seeded hostile cases (malformed cookies, headers,
// request targets, bodies, WebSocket frames and method names) and must still be alive and answer an
// authenticated request afterwards. XLAB_FUZZ_CASES / XLAB_FUZZ_SECONDS / XLAB_FUZZ_SEED make the
// longer run on demand: `XLAB_FUZZ_CASES=50000 XLAB_FUZZ_SECONDS=600 npx vitest run tests/core/server/serve-fuzz.test.ts`.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzzCases } from './fuzz-cases.ts'

const TOKEN = 'fuzz-token-0123456789abcdef'
const CASES = Number(process.env.XLAB_FUZZ_CASES ?? 2000)
const SECONDS = Number(process.env.XLAB_FUZZ_SECONDS ?? 25)
const SEED = Number(process.env.XLAB_FUZZ_SEED ?? 11)
const PARALLEL = 16

let child: ChildProcess
let port = 0
let exited: string | null = null
let output = ''

beforeAll(async () => {
  const data = mkdtempSync(join(tmpdir(), 'xlab-fuzz-'))
  const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')
  child = spawn(process.execPath, [bin, '--data', data, 'serve', '--port', '0', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.on('exit', (code, signal) => {
    exited = `exit code ${code}, signal ${signal}`
  })
  child.stderr!.on('data', (d: Buffer) => (output += String(d)))
  port = await new Promise<number>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += String(d)
      const m = /Open http:\/\/[^:]+:(\d+)\//.exec(output)
      if (m) ok(Number(m[1]))
    })
    child.on('exit', () => fail(new Error(`xlab serve exited before listening:\n${output}`)))
  })
})

afterAll(async () => {
  if (!exited) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
})

async function authenticatedCall(): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/api/studies.list`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
  return res.json()
}

describe('xlab serve under hostile input', () => {
  it('survives the reported crashers and answers afterwards', async () => {
    const { connect } = await import('node:net')
    const raw = (text: string) =>
      new Promise<string>((ok) => {
        const s = connect(port, '127.0.0.1', () => s.write(text))
        let got = ''
        s.on('data', (d) => (got += String(d)))
        s.on('close', () => ok(got))
        s.on('error', () => ok(got))
        setTimeout(() => s.destroy(), 1000)
      })
    expect(await raw('GET / HTTP/1.1\r\nHost: x\r\nCookie: xlab_token=%\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 401/)
    expect(await raw('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 (400|401)/)
    expect(await raw('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: xlab_token=%\r\n\r\n')).toMatch(/^HTTP\/1.1 401/)
    expect(await raw('GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')).toMatch(/^HTTP\/1.1 400/)
    expect(exited).toBeNull()
    expect(await authenticatedCall()).toEqual({ ok: true, result: [] })
  })

  it(`takes ${CASES} seeded cases (seed ${SEED}) and still answers an authenticated request`, async () => {
    const cases = fuzzCases(SEED, CASES, TOKEN)
    const deadline = Date.now() + SECONDS * 1000
    let sent = 0
    for (let i = 0; i < cases.length && Date.now() < deadline && !exited; i += PARALLEL) {
      const batch = cases.slice(i, i + PARALLEL)
      await Promise.all(batch.map((c) => c.send(port)))
      sent += batch.length
      if (exited) throw new Error(`xlab serve died (${exited}) during cases ${i}..${i + batch.length - 1}: ${batch.map((c) => c.label).join(' | ')}\n${output.slice(-2000)}`)
    }
    // The figures for the note: how many cases went out, and that the process never died.
    console.log(`serve fuzz: seed ${SEED}, ${sent} of ${CASES} cases sent, crashes ${exited ? 1 : 0}`)
    expect(exited).toBeNull()
    expect(sent).toBeGreaterThan(Math.min(CASES, 200))
    expect(await authenticatedCall()).toEqual({ ok: true, result: [] })
  }, (SECONDS + 60) * 1000)
})
