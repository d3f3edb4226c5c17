// The queue inside a real lab service, with a stand-in worker (no torch start-up): dependency
// order, reuse across studies, cancel, bounded retries and failure cascades.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, tinyConfig } from './helpers.ts'

const call = (s: LabService, method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<Record<string, unknown>>
let open: LabService[] = []

beforeAll(() => {
  process.env.XLAB_ENGINE_PATH = FAKE_ENGINE
  process.env.XLAB_WORKER_MODULE = 'xlab_fake.worker'
})
afterEach(async () => {
  for (const s of open) await s.close()
  open = []
  for (const k of ['XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS', 'XLAB_FAKE_FAIL_KIND', 'XLAB_FAKE_CRASH_KIND']) delete process.env[k]
})

async function service(root: string): Promise<LabService> {
  const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
  open.push(s)
  return s
}

describe('run queue', () => {
  it('runs a study in dependency order, records metrics, and reuses its runs in a second study', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const s = await service(root)
    const st = await call(s, 'studies.create', { name: 'one', config: tinyConfig() })
    expect(st).toMatchObject({ created: 4, reused: 0 })
    await call(s, 'studies.start', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('done')
    const runs = store.listRuns(s.ctx.db, { studyId: st.id as string })
    expect(runs.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done'])
    const byName = new Map(runs.map((r) => [r.name, r]))
    const pre = byName.get('rotation@tiny-pre-s0')!
    const ext = byName.get('extract-rotation@tiny-pre-s0')!
    const lin = byName.get('binary-linear-rotation@tiny-pre-s0')!
    expect(Date.parse(pre.finishedAt!)).toBeLessThanOrEqual(Date.parse(ext.startedAt!))
    expect(Date.parse(ext.finishedAt!)).toBeLessThanOrEqual(Date.parse(lin.startedAt!))
    // The downstream job got the encoder path the extract run wrote.
    const job = JSON.parse(readFileSync(join(lin.runDir, 'job.json'), 'utf8'))
    expect(job.params.encoders).toEqual([join(ext.runDir, 'encoders', 'encoder__rotation__tiny-pre__s0.pth')])
    expect(store.runMetrics(s.ctx.db, lin.id).filter((m) => m.split === 'test').map((m) => m.name).sort()).toEqual(['accuracy', 'balanced_accuracy', 'f1_weighted', 'loss', 'roc_auc'])
    expect(lin.summary).toMatchObject({ test: { accuracy: 0.75 } })

    // A second study with one more protocol trains only the new run.
    const two = await call(s, 'studies.create', { name: 'two', config: tinyConfig({ protocols: ['linear', 'finetune', 'scratch'] }) })
    expect(two).toMatchObject({ created: 1, reused: 4 })
    await call(s, 'studies.start', { id: 'two' })
    expect(await runQueueOf(s.ctx).whenSettled(two.id as string)).toBe('done')
    expect(readFileSync(join(pre.runDir, 'starts.txt'), 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it('cancels a running run with SIGTERM and cascades to the runs that wait for it', async () => {
    process.env.XLAB_FAKE_STEP_S = '0.2'
    process.env.XLAB_FAKE_STEPS = '200'
    const s = await service(dataRootWith(['tiny-pre', 'tiny-chest']))
    const st = await call(s, 'studies.create', { name: 'c', config: tinyConfig({ protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'c' })
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string })[0]!
    await until(() => store.runMetrics(s.ctx.db, pre.id).length > 0)
    await call(s, 'runs.cancel', { id: pre.id })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('cancelled')
    const runs = store.listRuns(s.ctx.db, { studyId: st.id as string })
    expect(runs[0]).toMatchObject({ state: 'cancelled', reason: 'cancelled by the user' })
    expect(runs.slice(1).every((r) => r.state === 'cancelled' && /waits for rotation@tiny-pre-s0/.test(r.reason!))).toBe(true)
    // The worker checkpointed on SIGTERM.
    expect(Number(readFileSync(join(pre.runDir, 'last.pth'), 'utf8'))).toBeGreaterThan(0)
  })

  it('fails a bad job without retrying and says why; a missing dataset fails with a clear message', async () => {
    const s = await service(dataRootWith(['tiny-pre']))
    const st = await call(s, 'studies.create', { name: 'm', config: tinyConfig({ protocols: ['scratch'], pretextTasks: ['rotation'] }) })
    await call(s, 'studies.start', { id: 'm' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('failed')
    const scratch = store.listRuns(s.ctx.db, { studyId: st.id as string }).find((r) => r.protocol === 'scratch')!
    expect(scratch.state).toBe('failed')
    expect(scratch.reason).toMatch(/Dataset "tiny-chest" is not imported/)
  })
})

describe('failures and retries', () => {
  it('retries a crashing worker up to maxAttempts, then fails it and cancels its dependents', async () => {
    process.env.XLAB_FAKE_CRASH_KIND = 'extract'
    const s = await service(dataRootWith(['tiny-pre', 'tiny-chest']))
    const st = await call(s, 'studies.create', { name: 'r', config: tinyConfig({ protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'r' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('failed')
    const [pre, ext, lin] = store.listRuns(s.ctx.db, { studyId: st.id as string })
    expect(pre!.state).toBe('done')
    expect(ext).toMatchObject({ state: 'failed', attempts: 2 })
    expect(ext!.reason).toMatch(/exit code 1/)
    expect(readFileSync(join(ext!.runDir, 'starts.txt'), 'utf8').trim().split('\n')).toHaveLength(2)
    expect(lin).toMatchObject({ state: 'cancelled', reason: 'waits for extract-rotation@tiny-pre-s0, which failed' })

    // Fixed: a retry re-queues the failed run and the run that waited for it.
    delete process.env.XLAB_FAKE_CRASH_KIND
    await call(s, 'runs.retry', { id: ext!.id })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('done')
    expect(store.listRuns(s.ctx.db, { studyId: st.id as string }).map((r) => r.state)).toEqual(['done', 'done', 'done'])
  })

  it('does not retry a bad-input failure and keeps the engine message as the reason', async () => {
    process.env.XLAB_FAKE_FAIL_KIND = 'pretext'
    const s = await service(dataRootWith(['tiny-pre', 'tiny-chest']))
    const st = await call(s, 'studies.create', { name: 'b', config: tinyConfig({ protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'b' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('failed')
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string })[0]!
    expect(pre).toMatchObject({ state: 'failed', attempts: 1, reason: 'BAD_INPUT: params.fake asked for a bad-input failure.' })
  })
})

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
