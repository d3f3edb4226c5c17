// Races and signals of the run queue (issue 26): pause then an immediate resume, Ctrl-C on
// `xlab study run`, a study left running by a killed lab, one worker's outside SIGTERM, and the
// queue lock's message. The stand-in engine keeps each case to seconds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { openDatabase } from '../../../src-core/store/db.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, REPO, tinyConfig } from './helpers.ts'

const xlab = join(REPO, 'bin', 'xlab.mjs')
const call = (s: LabService, method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<Record<string, unknown>>
const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' }
let open: LabService[] = []
let children: ChildProcess[] = []

beforeAll(() => {
  process.env.XLAB_ENGINE_PATH = FAKE_ENGINE
  process.env.XLAB_WORKER_MODULE = 'xlab_fake.worker'
})
afterEach(async () => {
  for (const s of open) await s.close()
  open = []
  for (const c of children) c.kill('SIGKILL')
  children = []
  for (const k of ['XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS']) delete process.env[k]
})

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const within = <T,>(p: Promise<T>, ms: number, what: string) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms))])

/** The study's runs as stored, read through a fresh connection (another process may own the data root). */
function runsOf(root: string, study: string): store.RunRecord[] {
  const db = openDatabase(join(root, 'lab.sqlite'))
  try {
    const s = store.getStudy(db, study)
    return s ? store.listRuns(db, { studyId: s.id }) : []
  } finally {
    db.close()
  }
}

const starts = (r: store.RunRecord) => (existsSync(join(r.runDir, 'starts.txt')) ? readFileSync(join(r.runDir, 'starts.txt'), 'utf8').trim().split('\n').length : 0)

describe('run queue races', () => {
  it('pause then an immediate resume: the late exit of the paused worker does not undo the resume', async () => {
    process.env.XLAB_FAKE_STEP_S = '0.05'
    process.env.XLAB_FAKE_STEPS = '20'
    const s = await LabService.open({ dataRoot: dataRootWith(['tiny-pre', 'tiny-chest']), allowAllPaths: true })
    open.push(s)
    const st = await call(s, 'studies.create', { name: 'pr', config: tinyConfig({ protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'pr' })
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string })[0]!
    await until(() => store.runMetrics(s.ctx.db, pre.id).length > 0)
    await call(s, 'studies.pause', { id: 'pr' })
    await call(s, 'studies.resume', { id: 'pr' })
    expect(await within(runQueueOf(s.ctx).whenSettled(st.id as string), 30_000, 'the resumed study')).toBe('done')
    const runs = store.listRuns(s.ctx.db, { studyId: st.id as string })
    expect(runs.map((r) => r.state)).toEqual(['done', 'done', 'done'])
    // The pretext run went on from its checkpoint, and the pause cost it no attempt.
    expect(store.getRun(s.ctx.db, pre.id)!.attempts).toBe(1)
  })

  it("one worker's outside SIGTERM retries that run from its checkpoint; the study finishes", async () => {
    process.env.XLAB_FAKE_STEP_S = '0.05'
    process.env.XLAB_FAKE_STEPS = '40'
    const s = await LabService.open({ dataRoot: dataRootWith(['tiny-pre', 'tiny-chest']), allowAllPaths: true })
    open.push(s)
    const st = await call(s, 'studies.create', { name: 'term', config: tinyConfig({ protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'term' })
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string })[0]!
    await until(() => store.runMetrics(s.ctx.db, pre.id).length >= 3 && existsSync(join(pre.runDir, 'worker.pid')))
    process.kill(Number(readFileSync(join(pre.runDir, 'worker.pid'), 'utf8')), 'SIGTERM')
    expect(await within(runQueueOf(s.ctx).whenSettled(st.id as string), 60_000, 'the study')).toBe('done')
    const run = store.getRun(s.ctx.db, pre.id)!
    expect(run.state).toBe('done')
    expect(run.attempts).toBe(2)
    expect(store.runEvents(s.ctx.db, pre.id).map((e) => e.message).join('\n')).toMatch(/stopped from outside the lab/)
    expect(readFileSync(join(pre.runDir, 'worker.log'), 'utf8')).toMatch(/resuming from step [1-9]/)
  })

  it('Ctrl-C pauses the study as the help says, and `study run B` never runs study A\'s runs', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const slow = { ...env, XLAB_FAKE_STEP_S: '0.1', XLAB_FAKE_STEPS: '100' }
    writeFileSync(join(root, 'a.json'), JSON.stringify(tinyConfig({ protocols: ['linear'] })))
    const a = spawn(process.execPath, [xlab, 'study', 'run', 'A', '--config', join(root, 'a.json'), '--plain', '--data', root], { env: slow, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(a)
    let out = ''
    a.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    a.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => a.on('exit', r))
    await until(() => runsOf(root, 'A').some((r) => r.state === 'running' && existsSync(join(r.runDir, 'last.pth'))))
    a.kill('SIGINT')
    expect(await within(exited, 60_000, 'xlab study run after Ctrl-C')).toBe(130)
    expect(out).toMatch(/pausing study A/)
    const db = openDatabase(join(root, 'lab.sqlite'))
    expect(store.getStudy(db, 'A')!.state).toBe('paused')
    db.close()
    const pausedRuns = runsOf(root, 'A')
    expect(pausedRuns.map((r) => r.state)).toEqual(pausedRuns.map(() => 'paused'))
    const startsBefore = pausedRuns.map(starts)

    // B with a config that fails to load, then B for real (another seed: runs of its own).
    writeFileSync(join(root, 'bad.json'), '{ not json')
    const bad = spawnSync(process.execPath, [xlab, 'study', 'run', 'B', '--config', join(root, 'bad.json'), '--plain', '--data', root], { env, encoding: 'utf8', timeout: 60_000 })
    expect(bad.status).not.toBe(0)
    writeFileSync(join(root, 'b.json'), JSON.stringify(tinyConfig({ protocols: ['linear'], seeds: [7] })))
    const b = spawnSync(process.execPath, [xlab, 'study', 'run', 'B', '--config', join(root, 'b.json'), '--plain', '--data', root], { env, encoding: 'utf8', timeout: 120_000 })
    expect(b.status, b.stderr).toBe(0)
    const after = runsOf(root, 'A')
    expect(after.map((r) => r.state)).toEqual(pausedRuns.map(() => 'paused'))
    expect(after.map(starts)).toEqual(startsBefore)
  }, 240_000)

  it("a study left running by a killed lab is not run by `study run` of another study", async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    writeFileSync(join(root, 'a.json'), JSON.stringify(tinyConfig({ protocols: ['linear'] })))
    const a = spawn(process.execPath, [xlab, 'study', 'run', 'A', '--config', join(root, 'a.json'), '--plain', '--data', root], { env: { ...env, XLAB_FAKE_STEP_S: '0.1', XLAB_FAKE_STEPS: '100' }, stdio: 'ignore' })
    children.push(a)
    const exited = new Promise((r) => a.on('exit', r))
    await until(() => runsOf(root, 'A').some((r) => r.state === 'running' && existsSync(join(r.runDir, 'last.pth'))))
    a.kill('SIGKILL')
    await exited
    const startsBefore = runsOf(root, 'A').map(starts)
    writeFileSync(join(root, 'b.json'), JSON.stringify(tinyConfig({ protocols: ['linear'], seeds: [7] })))
    const b = spawnSync(process.execPath, [xlab, 'study', 'run', 'B', '--config', join(root, 'b.json'), '--plain', '--data', root], { env, encoding: 'utf8', timeout: 120_000 })
    expect(b.status, b.stderr).toBe(0)
    const after = runsOf(root, 'A')
    expect(after.map(starts)).toEqual(startsBefore)
    expect(after.some((r) => r.state === 'done')).toBe(false)
  }, 240_000)

  it('the queue lock names its file and the process that holds it; a reused pid of another program does not block', () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    writeFileSync(join(root, 'a.json'), JSON.stringify(tinyConfig({ protocols: ['linear'] })))
    const lock = join(root, 'queue.lock')
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    children.push(holder)
    writeFileSync(lock, String(holder.pid))
    const blocked = spawnSync(process.execPath, [xlab, 'study', 'run', 'A', '--config', join(root, 'a.json'), '--plain', '--data', root], { env, encoding: 'utf8', timeout: 60_000 })
    expect(blocked.status).not.toBe(0)
    expect(blocked.stderr).toContain(`Another lab process (pid ${holder.pid}: ${process.execPath} -e setTimeout`)
    expect(blocked.stderr).toContain(`holds the run-queue lock ${lock}`)

    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
    children.push(sleeper)
    writeFileSync(lock, String(sleeper.pid))
    const ran = spawnSync(process.execPath, [xlab, 'study', 'run', 'A', '--plain', '--data', root], { env, encoding: 'utf8', timeout: 120_000 })
    expect(ran.status, ran.stderr).toBe(0)
  }, 240_000)
})
