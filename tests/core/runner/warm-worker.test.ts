// Warm workers (runner/warm-pool.ts, warm-worker.ts) with real processes: the real engine runs job
// after job in one process, each job with its own log and messages; a job that crashes its worker
// leaves the next job unaffected (a fresh process); SIGKILL of a warm worker mid-job resumes from
// its checkpoint, in the executor and through the queue; an idle worker outlives the heartbeat, is
// recycled after maxJobs, and closes with the executor.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LocalExecutor, type LocalExecutorOptions } from '../../../src-core/runner/executor.ts'
import type { EngineJob } from '../../../src-core/runner/job-builder.ts'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import type { WorkerMessage } from '../../../src-core/runner/worker-messages.ts'
import type { WorkerExit } from '../../../src-core/runner/worker-process.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, PYTHON, REPO, tinyConfig } from './helpers.ts'

const CRASH_KIND = join(import.meta.dirname, 'fixtures', 'crash-kind')
const logs: string[] = []
let executors: LocalExecutor[] = []

afterEach(async () => {
  for (const e of executors) await e.close()
  executors = []
})

function executor(o: Partial<LocalExecutorOptions> = {}): LocalExecutor {
  const e = new LocalExecutor({ python: PYTHON, enginePath: `${join(REPO, 'engine')}:${CRASH_KIND}`, module: 'xlab_crashkind.worker', heartbeatMs: 120_000, graceMs: 20_000, log: (m) => logs.push(m), ...o })
  executors.push(e)
  return e
}

interface Launched {
  exit: WorkerExit
  pid: number | undefined
  messages: WorkerMessage[]
  log: string
}

const runsDir = mkdtempSync(join(tmpdir(), 'xlab-warm-'))
function job(name: string, kind: string, params: Record<string, unknown>): EngineJob {
  const run_dir = join(runsDir, name)
  mkdirSync(run_dir, { recursive: true })
  return { v: 1, kind, run_id: name, run_dir, seed: 0, device: 'cpu', deterministic: true, threads: 1, params } as EngineJob
}

/** Launches a job on slot 0 and waits for its end; `onMessage` may act on the handle (kill, stop). */
async function launch(e: LocalExecutor, j: EngineJob, onMessage?: (m: WorkerMessage, pid: number | undefined) => void): Promise<Launched> {
  const jobFile = join(j.run_dir, 'job.json')
  writeFileSync(jobFile, JSON.stringify(j))
  const messages: WorkerMessage[] = []
  const started: { pid?: number } = {}
  const h = e.launch({ job: j, jobFile, slot: 0, gpu: false }, { onMessage: (m) => (messages.push(m), onMessage?.(m, started.pid)), onStderr: () => {} })
  started.pid = h.pid
  const exit = await h.exit
  return { exit, pid: h.pid, messages, log: readFileSync(join(j.run_dir, 'worker.log'), 'utf8') }
}

const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0)
    return true
  } catch {
    return false
  }
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

// Four or three real torch jobs each: about a minute on a quiet 2-core machine, far more on a shared one.
const REAL_ENGINE_MS = 600_000
const hasEngine = existsSync(join(REPO, 'engine', 'xlab', 'worker.py')) && existsSync(PYTHON)

describe.skipIf(!hasEngine)('warm workers with the real engine', () => {
  let dataset = ''
  beforeAll(() => {
    dataset = join(mkdtempSync(join(tmpdir(), 'xlab-ds-')), 'pre')
    mkdirSync(dataset)
    const r = spawnSync(PYTHON, ['-m', 'xlab.fixtures', dataset, '--n', '96', '--size', '32'], { env: { ...process.env, PYTHONPATH: join(REPO, 'engine') }, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
  })
  const pretext = (name: string, epochs = 1) =>
    job(name, 'pretext', { task: 'rotation', dataset_dir: dataset, image_size: 32, epochs, batch_size: 16, max_steps_per_epoch: 3, checkpoint_every_steps: 1, checkpoint_every_s: 0, max_val_images: 16 })

  it('runs jobs in a row in one process, each with its own log and messages; a crash leaves the next job unaffected', async () => {
    const e = executor()
    const a = await launch(e, pretext('w-a'))
    expect(a.exit.reason, a.log).toBe('done')
    const b = await launch(e, job('w-b', 'extract', { checkpoint: join(runsDir, 'w-a', 'best.pth'), pretext: 'rotation', dataset_name: 'pre', out_dir: join(runsDir, 'w-b', 'encoders') }))
    expect(b.exit.reason, b.log).toBe('done')
    expect(b.pid).toBe(a.pid) // the same warm process took the second job
    expect(b.exit.summary).toMatchObject({ worker: { mode: 'warm', jobs_before: 1 }, train_seconds: 0 })

    const c = await launch(e, job('w-c', 'crash', {}))
    expect(c.exit).toMatchObject({ reason: 'crashed', code: 1 })
    expect(c.pid).toBe(a.pid)
    expect(alive(c.pid)).toBe(false)

    const d = await launch(e, pretext('w-d'))
    expect(d.exit.reason, d.log).toBe('done')
    expect(d.pid).not.toBe(a.pid) // a fresh process
    expect(d.exit.summary).toMatchObject({ worker: { mode: 'warm', jobs_before: 0 } })
    // Unaffected: the same deterministic job gives the same result as before the crash.
    expect(d.exit.summary!.final_val).toEqual(a.exit.summary!.final_val)

    // Each job's messages carry its run id only, and each log holds only its own job's lines.
    for (const [r, name] of [[a, 'w-a'], [b, 'w-b'], [c, 'w-c'], [d, 'w-d']] as const) {
      expect(new Set(r.messages.map((m) => m.run_id))).toEqual(new Set([name]))
      expect(r.messages.some((m) => m.type === 'ready')).toBe(false)
      expect(r.log).not.toMatch(/\u001exlab-job/)
    }
    expect(c.log).toMatch(/crashing on purpose/)
    for (const r of [a, b, d]) expect(r.log).not.toMatch(/crashing on purpose/)
  }, REAL_ENGINE_MS)

  it('resumes from its checkpoint after a warm worker was SIGKILLed mid-job', async () => {
    const e = executor()
    const warmUp = await launch(e, pretext('k-warm'))
    expect(warmUp.exit.reason).toBe('done')
    const j = pretext('k-run', 3)
    const killed = await launch(e, j, (m, pid) => {
      if (m.type === 'checkpoint' && m.which !== 'best' && m.epoch >= 1) process.kill(pid!, 'SIGKILL')
    })
    expect(killed.pid).toBe(warmUp.pid) // killed while it was a warm worker's second job
    expect(killed.exit).toMatchObject({ reason: 'killed', signal: 'SIGKILL' })
    const again = await launch(e, j)
    expect(again.exit.reason, again.log).toBe('done')
    expect(again.pid).not.toBe(killed.pid)
    expect(again.messages.some((m) => m.type === 'log' && /Resuming from/.test(m.message))).toBe(true)
    const first = again.messages.find((m) => m.type === 'progress')
    expect(first && first.type === 'progress' ? first.epoch : -1).toBeGreaterThanOrEqual(2)
  }, REAL_ENGINE_MS)
})

describe('warm workers with a stand-in worker', () => {
  const fakeExecutor = (o: Partial<LocalExecutorOptions> = {}) => executor({ enginePath: FAKE_ENGINE, module: 'xlab_fake.worker', heartbeatMs: 1500, ...o })
  const fake = (name: string, params: Record<string, unknown> = {}) => job(name, 'pretext', { steps: 2, ...params })

  it('keeps an idle worker past the heartbeat, recycles it after maxJobs, and closes it with the executor', async () => {
    const e = fakeExecutor({ warm: { maxJobs: 2, idleMs: 60_000 } })
    const one = await launch(e, fake('f-1'))
    await new Promise((r) => setTimeout(r, 3000)) // twice the heartbeat, idle
    const two = await launch(e, fake('f-2'))
    expect([one.exit.reason, two.exit.reason]).toEqual(['done', 'done'])
    expect(two.pid).toBe(one.pid)
    await until(() => !alive(one.pid)) // recycled after its second job
    const three = await launch(e, fake('f-3'))
    expect(three.exit.reason).toBe('done')
    expect(three.pid).not.toBe(one.pid)
    expect(readFileSync(join(runsDir, 'f-2', 'starts.txt'), 'utf8')).toMatch(/warm 2/)
    await e.close()
    expect(alive(three.pid)).toBe(false)
  })

  it('closes a worker idle for idleMs, and runs a fresh process per job when warm workers are off', async () => {
    const e = fakeExecutor({ warm: { maxJobs: 20, idleMs: 500 } })
    const one = await launch(e, fake('i-1'))
    await until(() => !alive(one.pid))
    const off = fakeExecutor({ warm: false })
    const a = await launch(off, fake('o-1'))
    const b = await launch(off, fake('o-2'))
    expect([a.exit.reason, b.exit.reason]).toEqual(['done', 'done'])
    expect(a.pid).not.toBe(b.pid)
    expect(readFileSync(join(runsDir, 'o-1', 'starts.txt'), 'utf8')).not.toMatch(/warm/)
  })

  it('ends the worker of a job stopped with SIGTERM as a one-shot worker ends; the next job gets a fresh one', async () => {
    const e = fakeExecutor()
    const j = fake('s-1', { steps: 40, step_s: 0.05 })
    const jobFile = join(j.run_dir, 'job.json')
    writeFileSync(jobFile, JSON.stringify(j))
    const h = e.launch({ job: j, jobFile, slot: 0, gpu: false }, { onMessage: (m) => m.type === 'checkpoint' && h.stop('stopped by the test'), onStderr: () => {} })
    const exit = await h.exit
    expect(exit).toMatchObject({ reason: 'cancelled', code: 3, message: 'stopped by the test' })
    const next = await launch(e, fake('s-2'))
    expect(next.exit.reason).toBe('done')
    expect(next.pid).not.toBe(h.pid)
  })
})

describe('the queue on warm workers', () => {
  let s: LabService | undefined
  afterEach(async () => {
    await s?.close()
    for (const k of ['XLAB_ENGINE_PATH', 'XLAB_WORKER_MODULE', 'XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS', 'XLAB_FAKE_SLOW_KIND']) delete process.env[k]
  })

  it('retries a run whose warm worker was SIGKILLed mid-job from its checkpoint, each step recorded once', async () => {
    Object.assign(process.env, { XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker', XLAB_FAKE_STEP_S: '0.15', XLAB_FAKE_STEPS: '8', XLAB_FAKE_SLOW_KIND: 'extract' })
    s = await LabService.open({ dataRoot: dataRootWith(['tiny-pre', 'tiny-chest']), allowAllPaths: true })
    const call = (method: string, input: unknown) => s!.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<Record<string, unknown>>
    const st = await call('studies.create', { name: 'warm-kill', config: tinyConfig({ protocols: ['linear'] }) })
    await call('studies.start', { id: 'warm-kill' })
    const [pre, ext] = store.listRuns(s.ctx.db, { studyId: st.id as string })
    // The extract run is its warm worker's second job (after the pretext run): kill that worker once it checkpointed.
    await until(() => store.runMetrics(s!.ctx.db, ext!.id).some((m) => m.step === 3))
    const pid = Number(readFileSync(join(ext!.runDir, 'worker.pid'), 'utf8'))
    expect(readFileSync(join(pre!.runDir, 'starts.txt'), 'utf8').trim().split(' ')[0]).toBe(String(pid))
    process.kill(pid, 'SIGKILL')
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('done')
    const after = store.getRun(s.ctx.db, ext!.id)!
    expect(after).toMatchObject({ state: 'done', attempts: 2 })
    const starts = readFileSync(join(ext!.runDir, 'starts.txt'), 'utf8').trim().split('\n')
    expect(starts).toHaveLength(2)
    expect(starts[0]).toMatch(new RegExp(`^${pid} warm 2$`))
    expect(starts[1]).not.toMatch(new RegExp(`^${pid} `))
    expect(readFileSync(join(ext!.runDir, 'worker.log'), 'utf8')).toMatch(/resuming from step [3-7]/)
    const losses = store.runMetrics(s.ctx.db, ext!.id).filter((m) => m.split === 'train' && m.name === 'loss')
    expect(losses.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

    // The last run's worker waits idle for the next job; closing the lab ends it.
    const lin = store.listRuns(s.ctx.db, { studyId: st.id as string }).find((r) => r.stage === 'downstream')!
    const idlePid = Number(readFileSync(join(lin.runDir, 'worker.pid'), 'utf8'))
    expect(alive(idlePid)).toBe(true)
    await s.close()
    s = undefined
    expect(alive(idlePid)).toBe(false)
  })
})
