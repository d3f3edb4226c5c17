// Issue 21: a live `xlab serve` computes a study's analysis off its event loop. While the Results
// view's analysis runs (its progress events arriving), runs.list answers within 250 ms, and SIGTERM
// ends the server within 2 s, analysis or not. `xlab study report` shows the progress on stderr and
// stops on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { buildFixtureStudy } from './fixture-study.ts'

const TOKEN = 'analysis-token-0123456789abcdef'
let root: string
let child: ChildProcess | null = null
let output = ''

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlab-serve-analysis-'))
  // The demo preset's whole matrix over three seeds: a few seconds of analysis at 1,000 resamples.
  const fx = await buildFixtureStudy(root, { seeds: [0, 1, 2], full: true })
  await fx.service.close()
}, 120_000)

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

async function startServe(): Promise<number> {
  const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')
  output = ''
  const c = spawn(process.execPath, [bin, '--data', root, 'serve', '--port', '0', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] })
  child = c
  c.stderr!.on('data', (d: Buffer) => (output += String(d)))
  return new Promise<number>((ok, fail) => {
    c.stdout!.on('data', (d: Buffer) => {
      output += String(d)
      const m = /Open http:\/\/[^:]+:(\d+)\//.exec(output)
      if (m) ok(Number(m[1]))
    })
    c.on('exit', () => fail(new Error(`xlab serve exited before listening:\n${output}`)))
  })
}

async function timedRunsList(port: number): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(`http://127.0.0.1:${port}/api/runs.list`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
  const body = (await res.json()) as { ok: boolean; result: unknown[] }
  expect(res.status).toBe(200)
  expect(body.result.length).toBeGreaterThan(100)
  return performance.now() - t0
}

describe('xlab serve while a study is analysed', () => {
  it('answers runs.list within 250 ms during the analysis and stops on SIGTERM within 2 s', async () => {
    const port = await startServe()
    // As usual: one call first (module loading, the socket to the server), then the same call during the analysis.
    const before = await timedRunsList(port)
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`)
    await new Promise((ok, fail) => {
      ws.once('open', ok)
      ws.once('error', fail)
    })
    const progress: { phase: string; done: number; total: number }[] = []
    let answered = false
    const firstRuns = new Promise<void>((ok) => {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { kind: string; event?: string; payload?: { phase: string; done: number; total: number }; id?: string }
        if (m.kind === 'event' && m.event === 'onAnalysisProgress') {
          progress.push(m.payload!)
          if (m.payload!.phase === 'runs') ok()
        }
        if (m.kind === 'response' && m.id === 'a1') answered = true
      })
    })
    ws.send(JSON.stringify({ kind: 'request', id: 'a1', method: 'results.analysis', input: { studyId: 'fixture-study' } }))
    await firstRuns
    const latencies: number[] = []
    for (let i = 0; i < 3; i++) latencies.push(await timedRunsList(port))
    // Still analysing: the answers above came while the worker computed.
    expect(answered).toBe(false)
    expect(progress.at(-1)!.phase).toMatch(/runs|study/)
    expect(progress.at(-1)!.total).toBeGreaterThan(100)
    process.stderr.write(`runs.list: ${before.toFixed(0)} ms before the analysis, ${latencies.map((x) => x.toFixed(0)).join(', ')} ms during it\n`)
    expect(Math.max(...latencies)).toBeLessThan(250)
    const t0 = performance.now()
    child!.kill('SIGTERM')
    await new Promise((ok) => child!.once('exit', ok))
    expect(performance.now() - t0).toBeLessThan(2000)
    ws.terminate()
  }, 120_000)

  it('xlab study report shows progress on stderr and stops on Ctrl-C', async () => {
    const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')
    // Another resampling than the app's: nothing kept applies, the report must compute.
    const c = spawn(process.execPath, [bin, '--data', root, 'study', 'report', 'fixture-study', '--replicates', '4000'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    await new Promise<void>((ok, fail) => {
      c.stderr!.on('data', (d: Buffer) => {
        err += String(d)
        if (/analysing: runs \d+\/\d+/.test(err)) ok()
      })
      c.on('exit', () => fail(new Error(`xlab study report ended before its progress:\n${err}`)))
    })
    const t0 = performance.now()
    c.kill('SIGINT')
    const code = await new Promise<number | null>((ok) => c.once('exit', (x) => ok(x)))
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(code).toBe(130)
    expect(err).toMatch(/cancelled \(Ctrl-C\)/)
  }, 120_000)
})
