// A live `xlab serve` process takes a few thousand seeded hostile cases (malformed cookies, headers,
// request targets, bodies, WebSocket frames and method names) and must still be alive and answer an
// authenticated request afterwards. XLAB_FUZZ_CASES / XLAB_FUZZ_SECONDS / XLAB_FUZZ_SEED make the
// longer run on demand: `XLAB_FUZZ_CASES=50000 XLAB_FUZZ_SECONDS=600 npx vitest run tests/core/server/serve-fuzz.test.ts`.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePng } from '../datasets/helpers.ts'
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
let source = ''

beforeAll(async () => {
  const data = mkdtempSync(join(tmpdir(), 'xlab-fuzz-'))
  // A small image folder the concurrent-mutation case imports from.
  source = mkdtempSync(join(tmpdir(), 'xlab-fuzz-src-'))
  for (let i = 0; i < 24; i++) await writePng(join(source, i % 2 ? 'a' : 'b', `${i}.png`), i, 24)
  const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')
  child = spawn(process.execPath, [bin, '--data', data, 'serve', '--port', '0', '--token', TOKEN, '--allow', source], { stdio: ['ignore', 'pipe', 'pipe'] })
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

  it('takes concurrent mutations (imports of one name, removals, id-shaped names, studies created, paused and resumed at once) and stays consistent', async () => {
    type Reply = { ok: boolean; result?: unknown; error?: { code: string; message: string } }
    const api = async (method: string, input: unknown): Promise<Reply> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/${method}`, { method: 'POST', body: JSON.stringify(input), headers: { authorization: `Bearer ${TOKEN}` } })
      return (await res.json()) as Reply
    }
    const imp = (name: string, size = 16) => api('datasets.import', { kind: 'imagefolder', path: source, name, size })
    const replies: Reply[] = []
    const settle = async (until: () => Promise<boolean>) => {
      for (let i = 0; i < 600 && !(await until()); i++) await new Promise((r) => setTimeout(r, 50))
    }
    // Seeded order of the racing calls (the same shuffle every run).
    let state = SEED
    const shuffle = <T,>(xs: T[]) => xs.map((x) => ({ x, k: (state = (state * 1103515245 + 12345) % 2 ** 31) })).sort((a, b) => a.k - b.k).map((e) => e.x)
    const listed = async () => (await api('datasets.list', {})).result as { id: string; name: string; status: string }[]

    for (let round = 0; round < 3; round++) {
      const calls = shuffle([
        () => imp('raced', 16),
        () => imp('raced', 24),
        () => imp('raced', 32),
        () => api('datasets.remove', { id: 'raced' }),
        () => api('datasets.remove', { id: 'raced' }),
        () => imp('ds-0123abcd'),
        () => api('studies.create', { name: 'st-0123abcd', config: {} }),
      ])
      replies.push(...(await Promise.all(calls.map((c) => c()))))
      await settle(async () => (await listed()).every((d) => d.status !== 'importing'))
    }
    const first = (await listed())[0]
    const config = { pretextTasks: ['rotation'], pretrainDatasets: ['raced'], downstreamDataset: 'raced', targets: ['binary'], protocols: ['linear'], seeds: [0], imageSize: 16, pretext: { steps: 1, batchSize: 4, optimizer: 'adam', lr: 0.001, weightDecay: 0, schedule: 'constant' }, downstream: { epochs: 1, batchSize: 4, optimizer: 'adam', lrHead: 0.001, lrEncoder: 0.0001, lrScratch: 0.001, weightDecay: 0, schedule: 'constant', imbalance: 'none' } }
    replies.push(...(await Promise.all(shuffle([0, 1, 2].map(() => () => api('studies.create', { name: 'same-study', config }))).map((f) => f()))))
    replies.push(...(await Promise.all(shuffle([0, 1, 2, 3, 4, 5].map((i) => () => api(i % 2 ? 'studies.resume' : 'studies.pause', { id: 'same-study' }))).map((f) => f()))))

    expect(exited, output.slice(-2000)).toBeNull()
    // Every refusal is a sentence with a code a client can act on, never an internal error.
    const errors = replies.filter((r) => !r.ok).map((r) => r.error!)
    expect(errors.filter((e) => e.code === 'INTERNAL' || /SqliteError|UNIQUE constraint|stack/i.test(e.message))).toEqual([])
    expect(errors.some((e) => /has the shape of an id/.test(e.message))).toBe(true)
    const datasets = await listed()
    expect(datasets.filter((d) => /^(ds|st)-[0-9a-f]{8}$/.test(d.name))).toEqual([])
    expect(datasets.filter((d) => d.name === 'raced').length).toBeLessThanOrEqual(1)
    expect(datasets.every((d) => d.status === 'ready' || d.status === 'cancelled' || d.status === 'failed')).toBe(true)
    const studies = (await api('studies.list', {})).result as { name: string }[]
    expect(studies.filter((s) => s.name === 'same-study').length).toBeLessThanOrEqual(1)
    expect(studies.filter((s) => /^st-/.test(s.name))).toEqual([])
    expect(first === undefined || typeof first.id === 'string').toBe(true)
  }, 180_000)
})
