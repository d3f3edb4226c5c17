// Results tied to the exact data they came from, end to end through the lab service: real demo
// datasets imported by the real importers, a planned study whose runs are then marked done, a
// re-import of one dataset under the same name with other pixels, and a re-plan.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resultsApi } from '../../../src-core/api/results.ts'
import { buildJob, JobBuildError } from '../../../src-core/runner/job-builder.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { getDatasetByIdOrName } from '../../../src-core/store/datasets.ts'
import * as runs from '../../../src-core/store/runs.ts'
import { datasetContentChecksum, datasetRefsOf } from '../../../src-core/study/provenance.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { tmp } from '../datasets/helpers.ts'

describe('run provenance through the store', () => {
  let service: LabService
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  const config = { ...presetConfig('demo'), fusion: { sets: [['rotation/demo-mammo', 'inpainting/demo-mammo']], modes: ['linear'] } }

  beforeAll(async () => {
    service = await LabService.open({ dataRoot: tmp('xlab-prov-'), allowAllPaths: true, startQueue: false })
    await call('datasets.generateDemo', { scale: 'small' })
  }, 120_000)
  afterAll(() => service.close())

  it('re-importing a dataset with other content re-plans exactly the runs that read it; the old runs stay, marked stale', async () => {
    const db = service.ctx.db
    const first = (await call('studies.create', { name: 'prov', config })) as { id: string; created: number }
    const planned = runs.listRuns(db, { studyId: first.id })
    const mammo = getDatasetByIdOrName(db, 'demo-mammo')!
    const before = datasetContentChecksum(mammo.dir)!
    const pretext = planned.find((r) => r.name === 'rotation@demo-mammo-s0')!
    expect(pretext.spec.provenance).toEqual({ engine: '0.2.0', datasets: { 'demo-mammo': before } })
    for (const r of planned) runs.setRunState(db, r.id, 'done', null, {})

    // Same name, same source, other pixels: a smaller import size.
    const source = JSON.parse(readFileSync(join(mammo.dir, 'meta.json'), 'utf8')).source as string
    await call('datasets.remove', { id: 'demo-mammo' })
    await call('datasets.import', { kind: 'mammogram', path: source, name: 'demo-mammo', size: 24 })
    for (let i = 0; i < 600 && getDatasetByIdOrName(db, 'demo-mammo')?.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100))
    const after = datasetContentChecksum(getDatasetByIdOrName(db, 'demo-mammo')!.dir)!
    expect(after).not.toBe(before)

    const second = (await call('studies.create', { name: 'prov', config })) as { created: number; reused: number }
    const replanned = runs.listRuns(db, { studyId: first.id })
    const oldIds = new Set(planned.map((r) => r.id))
    const fresh = replanned.filter((r) => !oldIds.has(r.id))
    // Expected from what each run reads (its own specs' datasets and its dependencies'), not from hashes.
    const byId = new Map(planned.map((r) => [r.id, r]))
    const reads = (r: runs.RunRecord): boolean => datasetRefsOf(r.spec.params).includes('demo-mammo') || runs.dependenciesOf(db, r.id).some((d) => reads(byId.get(d)!))
    const expected = planned.filter(reads).map((r) => r.name).sort()
    expect(fresh.map((r) => r.name).sort()).toEqual(expected)
    expect(second.created).toBe(expected.length)
    expect(second.reused).toBe(planned.length - expected.length)
    // 3 pretext + 3 extract + 3 x 2 targets x 3 (linear, knn, linear at fraction 0.1) + 2 fusion + 3
    // invariance probes + the similarity probe, + the supervised reference of demo-mammo (its classes:
    // pretext, extract, 2 targets x 3 frozen runs), + the snapshot probes of the 3 mammogram cells
    // (2 snapshots x 2 targets each)
    expect(expected.length).toBe(3 + 3 + 18 + 2 + 3 + 1 + 8 + 12)

    // The old runs stay in the store, browsable; the results table marks exactly the mammogram ones stale.
    for (const r of planned) expect(runs.getRun(db, r.id)).not.toBeNull()
    const table = resultsApi['results.table'].output.parse(await call('results.table', {}))
    const oldRows = table.filter((row) => oldIds.has(row.runId))
    const staleNames = oldRows.filter((row) => row.provenance.stale).map((row) => row.name).sort()
    expect(staleNames).toEqual(expected.filter((n) => planned.find((r) => r.name === n)!.stage === 'downstream'))
    const stale = oldRows.find((row) => row.name === 'binary-linear-rotation@demo-mammo-s0')!
    expect(stale.provenance.datasets['demo-mammo']).toBe(before)
    expect(stale.provenance.staleReasons.join(' ')).toMatch(/demo-mammo .* when planned, now /)
    const current = table.find((row) => row.name === 'binary-linear-rotation@demo-brainct-s0' && oldIds.has(row.runId))!
    expect(current.provenance.stale).toBe(false)

    // A queued run planned for the old content refuses to start on the new one.
    runs.setRunState(db, pretext.id, 'queued')
    const resolve = (key: string) => {
      const d = getDatasetByIdOrName(db, key)
      return d ? { id: d.id, name: d.name, dir: d.dir, status: d.status } : null
    }
    expect(() => buildJob(runs.getRun(db, pretext.id)!, { datasets: resolve, runs: { run: (id) => runs.getRun(db, id) }, device: 'cpu', threads: 1 })).toThrow(JobBuildError)
    expect(() => buildJob(runs.getRun(db, pretext.id)!, { datasets: resolve, runs: { run: (id) => runs.getRun(db, id) }, device: 'cpu', threads: 1 })).toThrow(/other content than when .* was planned/)
  }, 180_000)
})
