// Never lose a metric: while a study runs, another process holds the lab.sqlite write lock for 15 s
// (a backup tool, a second lab, a person in the sqlite3 shell). The study must finish without a
// crash, and every metric row each worker sent must be in the store.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { openDatabase } from '../../../src-core/store/db.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, REPO, tinyConfig } from './helpers.ts'

const xlab = join(REPO, 'bin', 'xlab.mjs')
const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker', XLAB_FAKE_STEP_S: '0.1', XLAB_FAKE_STEPS: '30', XLAB_FAKE_SENT_LOG: '1' }
const HOLD_S = 15

/** A process that takes the write lock (BEGIN IMMEDIATE) and holds it for `seconds`; resolves once it holds it. */
function holdWriteLock(dbFile: string, seconds: number): Promise<{ exited: Promise<number | null> }> {
  const script = `
    const Database = require(${JSON.stringify(join(REPO, 'node_modules', 'better-sqlite3'))})
    const db = new Database(${JSON.stringify(dbFile)})
    db.pragma('busy_timeout = 60000')
    db.exec('BEGIN IMMEDIATE')
    process.stdout.write('locked\\n')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${seconds * 1000})
    db.exec('COMMIT')
    db.close()`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((r) => child.on('exit', r))
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve({ exited }))
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before it took the lock`)))
  })
}

const roots: string[] = []
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

describe('a write lock held by another process during a study', () => {
  it(`the study finishes with every metric row the workers sent (lock held ${HOLD_S} s)`, async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    roots.push(root)
    const cfgFile = join(root, 'study.json')
    writeFileSync(cfgFile, JSON.stringify(tinyConfig()))
    const lab = spawn(process.execPath, [xlab, 'study', 'run', 'locked', '--config', cfgFile, '--plain', '--data', root], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    lab.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const labExit = new Promise<number | null>((r) => lab.on('exit', r))

    // Take the lock once the first run has stored a few metrics and is still training.
    const dbFile = join(root, 'lab.sqlite')
    const deadline = Date.now() + 60_000
    for (;;) {
      expect(Date.now(), stderr).toBeLessThan(deadline)
      await new Promise((r) => setTimeout(r, 100))
      if (!existsSync(dbFile)) continue
      const db = openDatabase(dbFile)
      const running = store.listRuns(db, { state: 'running' }).find((r) => store.runMetrics(db, r.id).length >= 3)
      db.close()
      if (running) break
    }
    const holder = await holdWriteLock(dbFile, HOLD_S)
    expect(await holder.exited).toBe(0)

    const code = await labExit
    expect(code, stderr).toBe(0)
    expect(stderr).not.toMatch(/database is locked.*\n\s+at /)
    const db = openDatabase(dbFile)
    const runs = store.listRuns(db)
    expect(runs.map((r) => r.state)).toEqual(runs.map(() => 'done'))
    let total = 0
    for (const r of runs) {
      const sent = new Set<string>()
      const log = join(r.runDir, 'metrics-sent.jsonl')
      for (const line of existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) {
        const m = JSON.parse(line) as { split: string; epoch: number; step: number; values: Record<string, number> }
        for (const name of Object.keys(m.values)) sent.add(`${m.split}/${name}/${m.epoch}/${m.step}`)
      }
      const stored = new Set(store.runMetrics(db, r.id).map((m) => `${m.split}/${m.name}/${m.epoch}/${m.step}`))
      expect([...sent].filter((k) => !stored.has(k)), `${r.name}: metric rows sent but not stored`).toEqual([])
      expect(stored.size, r.name).toBe(sent.size)
      total += sent.size
    }
    db.close()
    // pretext and extract send 30 train losses each; the two downstream runs add 5 test metrics.
    expect(total).toBe(4 * 30 + 2 * 5)
  }, 180_000)
})

describe('writes that fail', () => {
  const call = (s: LabService, method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<Record<string, unknown>>

  it('a run whose reports cannot be stored is stopped at a checkpoint and marked failed with the reason, never left running', async () => {
    process.env.XLAB_ENGINE_PATH = FAKE_ENGINE
    process.env.XLAB_WORKER_MODULE = 'xlab_fake.worker'
    process.env.XLAB_FAKE_STEP_S = '0.1'
    process.env.XLAB_FAKE_STEPS = '200'
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    roots.push(root)
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    try {
      const st = await call(s, 'studies.create', { name: 'w', config: tinyConfig({ protocols: ['linear'] }) })
      await call(s, 'studies.start', { id: 'w' })
      const pre = store.listRuns(s.ctx.db, { studyId: st.id as string })[0]!
      await until(() => store.runMetrics(s.ctx.db, pre.id).length >= 2)
      // A real SQLite error on the next metric write (as an I/O error or a damaged file gives).
      s.ctx.db.exec("CREATE TRIGGER metrics_refuse BEFORE INSERT ON metrics BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END")
      expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('failed')
      const run = store.getRun(s.ctx.db, pre.id)!
      expect(run.state).toBe('failed')
      expect(run.reason).toMatch(/The lab could not store this run's reports \(disk I\/O error \(test\)\)\. The run was stopped at its last checkpoint/)
      // Stopped by SIGTERM, the worker checkpointed well before its 200 steps.
      const step = Number(readFileSync(join(pre.runDir, 'last.pth'), 'utf8'))
      expect(step).toBeGreaterThan(1)
      expect(step).toBeLessThan(200)
    } finally {
      await s.close()
      for (const k of ['XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS']) delete process.env[k]
    }
  }, 60_000)
})

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}
