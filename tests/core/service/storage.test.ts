// storage.usage / storage.prune on a real temporary lab (real SQLite, the real queue with a
// stand-in worker): each category holds exactly what it says, a dry run deletes nothing, prune
// never touches the weights of finished runs a study uses unless their category is named, and a
// done run's resumable state is gone as soon as the queue has recorded it done. Reclaimed pretext
// weights: a later extraction of that run fails with a sentence that says to retry it, and the
// retry trains it again.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, tinyConfig } from '../runner/helpers.ts'

const call = (s: LabService, method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any
let open: LabService[] = []

beforeAll(() => {
  // The test sets the fake engine's switches (XLAB_FAKE_*) while the lab runs: one process per job,
  // so each job sees them (a warm worker keeps the environment it was started with).
  process.env.XLAB_WARM_WORKERS = '0'
  process.env.XLAB_ENGINE_PATH = FAKE_ENGINE
  process.env.XLAB_WORKER_MODULE = 'xlab_fake.worker'
})
afterAll(() => {
  delete process.env.XLAB_WARM_WORKERS
})
afterEach(async () => {
  for (const s of open) await s.close()
  open = []
  for (const k of ['XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS', 'XLAB_FAKE_SLOW_KIND']) delete process.env[k]
})

const mb = (n: number) => Buffer.alloc(n * 1_000_000)
const until = async (cond: () => boolean) => {
  const end = Date.now() + 30_000
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
const cat = (u: { categories: { id: string }[] }, id: string) => u.categories.find((c) => c.id === id) as unknown as { count: number; files: number; bytes: number; items: { runId: string | null; files: string[] }[] }

describe('storage', () => {
  it('sorts run folders into categories, prunes exactly those, and keeps the weights studies use', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    open.push(s)
    const one = await call(s, 'studies.create', { name: 'one', config: tinyConfig() })
    await call(s, 'studies.start', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('done')
    const byName = new Map(store.listRuns(s.ctx.db).map((r) => [r.name, r]))
    const pre = byName.get('rotation@tiny-pre-s0')!
    const scratch = byName.get('binary-scratch-s0')!
    // The queue removed the resumable state the worker left once each run was recorded done.
    for (const r of byName.values()) expect(existsSync(join(r.runDir, 'last.pth')), r.name).toBe(false)
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(true)

    // State from before lean checkpoints in a done run, used by a study:
    writeFileSync(join(pre.runDir, 'last.pth'), mb(3))
    writeFileSync(join(pre.runDir, 'last.prev.pth'), mb(3))
    writeFileSync(join(pre.runDir, '.last.pth.tmp-4242'), mb(1))
    writeFileSync(join(pre.runDir, 'best.pth'), mb(2))
    // A cancelled run (a second study with a slow pretext task) keeps its checkpoint for a retry:
    process.env.XLAB_FAKE_STEP_S = '0.2'
    process.env.XLAB_FAKE_STEPS = '200'
    process.env.XLAB_FAKE_SLOW_KIND = 'pretext'
    const two = await call(s, 'studies.create', { name: 'two', config: tinyConfig({ pretrainDatasets: ['tiny-chest'], protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'two' })
    const slow = store.listRuns(s.ctx.db, { studyId: two.id }).find((r) => r.stage === 'pretext')!
    await until(() => store.runMetrics(s.ctx.db, slow.id).length > 0)
    await call(s, 'runs.cancel', { id: slow.id })
    expect(await runQueueOf(s.ctx).whenSettled(two.id)).toBe('cancelled')
    expect(existsSync(join(slow.runDir, 'last.pth'))).toBe(true)
    // Study one re-planned without scratch: its scratch run is no study's any more. And a stray folder.
    await call(s, 'studies.create', { name: 'one', config: tinyConfig({ protocols: ['linear'] }) })
    mkdirSync(join(root, 'runs', 'r-000000000000'))
    writeFileSync(join(root, 'runs', 'r-000000000000', 'last.pth'), mb(1))

    const usage = await call(s, 'storage.usage', {})
    expect(usage.olderThanDays).toBe(7)
    const fin = cat(usage, 'finished-resumable')
    expect(fin.items).toEqual([expect.objectContaining({ runId: pre.id, files: ['.last.pth.tmp-4242', 'last.prev.pth', 'last.pth'].sort() })])
    expect(fin.bytes).toBe(7_000_000)
    // The cancelled run is recent: it counts only from the given age.
    expect(cat(usage, 'stopped-checkpoints').count).toBe(0)
    expect(usage.kept.activeBytes).toBeGreaterThan(0)
    const unref = cat(usage, 'unreferenced')
    expect(unref.items.map((i) => i.runId).sort()).toEqual([null, scratch.id].sort())
    // The pretext weights (its extraction is done, encoders intact) and the scratch run's weights
    // count in their opt-in categories, not as kept.
    expect(cat(usage, 'pretext-weights').items).toEqual([expect.objectContaining({ runId: pre.id, files: ['best.pth'], bytes: 2_000_000 })])

    const now = await call(s, 'storage.usage', { olderThanDays: 0 })
    expect(cat(now, 'stopped-checkpoints').items).toEqual([expect.objectContaining({ runId: slow.id, files: ['last.pth'] })])
    // A dry run deleted nothing.
    expect(existsSync(join(pre.runDir, 'last.pth'))).toBe(true)

    // No categories named: everything but the opt-in weights categories.
    const r = await call(s, 'storage.prune', { olderThanDays: 0 })
    expect(r.removed.map((x: { id: string; count: number }) => [x.id, x.count])).toEqual([
      ['finished-resumable', 1],
      ['stopped-checkpoints', 1],
      ['unreferenced', 2],
    ])
    expect(r.bytes).toBeGreaterThanOrEqual(8_000_000)
    expect(readdirSync(pre.runDir).sort()).toEqual(['best.pth', 'job.json', 'starts.txt', 'summary.json', 'worker.log', 'worker.pid'])
    expect(existsSync(join(slow.runDir, 'last.pth'))).toBe(false)
    expect(existsSync(join(slow.runDir, 'worker.log'))).toBe(true)
    expect(existsSync(scratch.runDir)).toBe(false)
    expect(store.getRun(s.ctx.db, scratch.id)).toBeNull()
    expect(existsSync(join(root, 'runs', 'r-000000000000'))).toBe(false)
    // Every run study one still uses is intact, weights included.
    for (const run of store.listRuns(s.ctx.db, { studyId: one.id })) expect(run.state).toBe('done')
    expect(existsSync(join(byName.get('extract-rotation@tiny-pre-s0')!.runDir, 'encoders'))).toBe(true)
    expect(r.usage.categories.filter((c: { optIn: boolean }) => !c.optIn).every((c: { bytes: number }) => c.bytes === 0)).toBe(true)
    expect(cat(r.usage, 'pretext-weights').bytes).toBe(2_000_000)
    // The cancelled run can still be retried (it starts over).
    expect(store.getRun(s.ctx.db, slow.id)!.state).toBe('cancelled')
  })

  it('reclaims downstream and pretext weights only when named; a later extraction of reclaimed pretext weights says to resume or retry, and either trains it again', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    open.push(s)
    const cfg = tinyConfig({ protocols: ['linear', 'finetune', 'scratch'] })
    const one = await call(s, 'studies.create', { name: 'one', config: cfg })
    await call(s, 'studies.start', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('done')
    const byName = new Map(store.listRuns(s.ctx.db).map((r) => [r.name, r]))
    const pre = byName.get('rotation@tiny-pre-s0')!
    const ext = byName.get('extract-rotation@tiny-pre-s0')!
    const ft = byName.get('binary-finetune-rotation@tiny-pre-s0')!
    const scratch = byName.get('binary-scratch-s0')!
    const linear = byName.get('binary-linear-rotation@tiny-pre-s0')!
    const results = await call(s, 'results.table', { studyId: one.id })
    expect(results.length).toBe(3)

    // A second study whose extraction is cancelled: its pretext run is done, and its weights are still needed.
    process.env.XLAB_FAKE_STEP_S = '0.2'
    process.env.XLAB_FAKE_STEPS = '200'
    process.env.XLAB_FAKE_SLOW_KIND = 'extract'
    const two = await call(s, 'studies.create', { name: 'two', config: tinyConfig({ pretrainDatasets: ['tiny-chest'], protocols: ['linear'] }) })
    await call(s, 'studies.start', { id: 'two' })
    const slowExt = store.listRuns(s.ctx.db, { studyId: two.id }).find((r) => r.stage === 'extract')!
    await until(() => store.runMetrics(s.ctx.db, slowExt.id).length > 0)
    await call(s, 'runs.cancel', { id: slowExt.id })
    expect(await runQueueOf(s.ctx).whenSettled(two.id)).toBe('cancelled')
    for (const k of ['XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS', 'XLAB_FAKE_SLOW_KIND']) delete process.env[k]
    const preTwo = store.listRuns(s.ctx.db, { studyId: two.id }).find((r) => r.stage === 'pretext')!
    expect(preTwo.state).toBe('done')
    writeFileSync(join(pre.runDir, 'best.pth'), mb(2))
    writeFileSync(join(ft.runDir, 'best.pth'), mb(3))

    const usage = await call(s, 'storage.usage', {})
    const down = cat(usage, 'downstream-weights')
    expect(usage.categories.filter((c: { optIn: boolean }) => c.optIn).map((c: { id: string }) => c.id)).toEqual(['downstream-weights', 'pretext-weights'])
    expect(down.items.map((i) => i.runId)).toEqual([ft.id, scratch.id])
    expect(down.items.every((i) => i.files.join() === 'best.pth')).toBe(true)
    expect(down.bytes).toBe(3_000_000 + statSync(join(scratch.runDir, 'best.pth')).size)
    // Only the pretext run whose extraction is done: the other one's extraction was cancelled.
    expect(cat(usage, 'pretext-weights').items).toEqual([expect.objectContaining({ runId: pre.id, files: ['best.pth'], bytes: 2_000_000 })])
    expect(usage.kept.weightsBytes).toBe(statSync(join(preTwo.runDir, 'best.pth')).size)

    // An encoder file cut short (or missing) keeps the pretext weights.
    const st = join(ext.runDir, 'encoders', 'encoder__rotation__tiny-pre__s0.safetensors')
    const good = readFileSync(st)
    writeFileSync(st, good.subarray(0, good.length - 2))
    expect(cat(await call(s, 'storage.usage', {}), 'pretext-weights').count).toBe(0)
    rmSync(st)
    expect(cat(await call(s, 'storage.usage', {}), 'pretext-weights').count).toBe(0)
    writeFileSync(st, good)

    // A prune of everything leaves them; naming a category takes exactly its files.
    const all = await call(s, 'storage.prune', {})
    expect(all.removed.map((x: { id: string }) => x.id)).toEqual(['finished-resumable', 'stopped-checkpoints', 'unreferenced'])
    for (const r of [pre, ft, scratch]) expect(existsSync(join(r.runDir, 'best.pth')), r.name).toBe(true)
    const d = await call(s, 'storage.prune', { categories: ['downstream-weights'] })
    expect(d.removed).toEqual([{ id: 'downstream-weights', count: 2, files: 2, bytes: down.bytes }])
    expect(readdirSync(ft.runDir).sort()).toEqual(['job.json', 'starts.txt', 'summary.json', 'worker.log', 'worker.pid'])
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(true)
    // The results read metrics and records, not the networks: they are the same.
    expect(await call(s, 'results.table', { studyId: one.id })).toEqual(results)
    const p = await call(s, 'storage.prune', { categories: ['pretext-weights'] })
    expect(p.removed).toEqual([{ id: 'pretext-weights', count: 1, files: 1, bytes: 2_000_000 }])
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(false)
    expect(readdirSync(join(ext.runDir, 'encoders')).sort()).toEqual(['encoder__rotation__tiny-pre__s0.pth', 'encoder__rotation__tiny-pre__s0.safetensors'])
    expect(existsSync(join(preTwo.runDir, 'best.pth'))).toBe(true)
    expect(p.usage.categories.every((c: { bytes: number }) => c.bytes === 0)).toBe(true)
    expect((await call(s, 'runs.get', { id: pre.id })).weightsReclaimed).toBe(true)
    expect((await call(s, 'runs.get', { id: preTwo.id })).weightsReclaimed).toBe(false)
    // Downstream runs and pretext runs that still have weights are not retried.
    await expect(call(s, 'runs.retry', { id: ft.id })).rejects.toThrow(/is done; only failed or cancelled runs, and done pretext runs whose weights were reclaimed/)
    await expect(call(s, 'runs.retry', { id: preTwo.id })).rejects.toThrow(/is done; only failed/)

    // The study needs that extraction again (its folder and record went, as unreferenced runs go
    // after an edited plan, and the study was planned again): a sentence, not a crash.
    rmSync(ext.runDir, { recursive: true, force: true })
    store.deleteRuns(s.ctx.db, [ext.id])
    await call(s, 'studies.create', { name: 'one', config: cfg })
    expect(store.getRun(s.ctx.db, ext.id)!.state).toBe('queued')
    await call(s, 'studies.start', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('failed')
    const failed = store.getRun(s.ctx.db, ext.id)!
    expect(failed.state).toBe('failed')
    expect(failed.reason).toContain(`Pretext run rotation@tiny-pre-s0 (${pre.id}) no longer has its weights`)
    expect(failed.reason).toContain('Resume the study (xlab study resume NAME) to train that pretext run again from step 0')
    for (const r of [ft, linear]) expect(store.getRun(s.ctx.db, r.id)!.state, r.name).toBe('done')

    // The retry trains the pretext run again; the extraction follows it and the study is done.
    await call(s, 'runs.retry', { id: pre.name })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('done')
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(true)
    expect(store.getRun(s.ctx.db, ext.id)!.state).toBe('done')
    expect(readdirSync(join(ext.runDir, 'encoders')).length).toBe(2)
    expect((await call(s, 'runs.get', { id: pre.id })).weightsReclaimed).toBe(false)

    // The same through a resume of the study (the CLI's way, and the app's Resume): the pretext run
    // trains again because the extraction it re-queues needs its weights.
    expect((await call(s, 'storage.prune', { categories: ['pretext-weights'] })).removed[0].count).toBe(1)
    rmSync(ext.runDir, { recursive: true, force: true })
    store.deleteRuns(s.ctx.db, [ext.id])
    await call(s, 'studies.create', { name: 'one', config: cfg })
    await call(s, 'studies.start', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('failed')
    expect(store.getRun(s.ctx.db, pre.id)!.state).toBe('done')
    await call(s, 'studies.resume', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('done')
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(true)
    expect(store.getRun(s.ctx.db, ext.id)!.state).toBe('done')
    // A resume with nothing that needs them leaves reclaimed pretext weights alone.
    await call(s, 'storage.prune', { categories: ['pretext-weights'] })
    await call(s, 'studies.resume', { id: 'one' })
    expect(await runQueueOf(s.ctx).whenSettled(one.id)).toBe('done')
    expect([store.getRun(s.ctx.db, pre.id)!.state, existsSync(join(pre.runDir, 'best.pth'))]).toEqual(['done', false])
  })
})
