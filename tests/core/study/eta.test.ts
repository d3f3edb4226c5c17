// The study ETA read from the store: queued runs priced from the device's measured rates and
// scheduled over the slots behind the running runs, which count for what their own pace says is
// left; and a finished run refining its kind's estimate.
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'
import * as store from '../../../src-core/store/runs.ts'
import { kindTimings, putDeviceRates, putWorkCosts } from '../../../src-core/store/throughput.ts'
import { studyEta } from '../../../src-core/study/eta.ts'
import { recordRunTiming } from '../../../src-core/study/throughput.ts'

const rates = { device: 'cpu/1t', imageSize: 32, batchSize: 64, trainImagesPerS: 100, evalImagesPerS: 400, startupS: 10, jobS: 2, measuredAt: '2026-12-05T17:00:00Z' }
const ins = (id: string, stage: 'pretext' | 'extract', deps: string[], params: Record<string, unknown>): store.RunInsert => ({ id, name: id, stage, spec: { kind: stage, seed: 0, params }, hash: `h-${id}`, deps, pretext: null, pretrainDataset: null, seed: 0, target: null, protocol: null, fusionMode: null, encoders: null })

function fixture() {
  const db = openDatabase(':memory:', [])
  migrate(db, migrations)
  store.insertStudy(db, { id: 'st-1', name: 'tiny', config: {} })
  // 2 + 2000 / 100 + 1000 / 400 = 24.5 s: the job set-up, its training and its shortcut score (1,000 samples: half its images)
  const pretext = { task: 'rotation', image_size: 32, steps: 40, batch_size: 50 }
  store.attachPlannedRuns(db, 'st-1', [ins('p', 'pretext', [], pretext), ins('e', 'extract', ['p'], {}), ins('q', 'pretext', [], pretext)], (id) => `/runs/${id}`)
  return db
}

describe('study ETA', () => {
  it('says it is not measured rather than guessing', () => {
    const db = fixture()
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 1)).toMatchObject({ measured: false, etaS: null })
  })

  it('is the schedule of the queued runs behind the running one, and never less than what the running run shows', () => {
    const db = fixture()
    putDeviceRates(db, rates)
    store.markRunStarted(db, 'p')
    // before its first progress: its own estimate less the time it has run
    const early = studyEta(db, 'st-1', 'cpu/1t', 32, 1)
    expect(early.running).toEqual([{ runId: 'p', remainingS: null }])
    expect(early.etaS).toBeGreaterThanOrEqual(24.5 + 2 + 24.5 - 1)
    store.writeReports(db, 'p', { metrics: [], artifacts: [], events: [], progress: { etaS: 40 } })
    const one = studyEta(db, 'st-1', 'cpu/1t', 32, 1)
    expect(one).toMatchObject({ measured: true, slots: 1, running: [{ runId: 'p', remainingS: 40 }] })
    expect(one.etaS).toBe(Math.round(40 + 2 + 24.5)) // p's 40 s, then the extraction (waits for p) and q in a row: the sum
    // two slots: q runs beside p, the extraction after p
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 2).etaS).toBe(42)
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 2).etaS!).toBeGreaterThanOrEqual(40)
  })

  it("a finished run adds its wall time against the model to its kind, which then scales that kind's estimates", () => {
    const db = fixture()
    putDeviceRates(db, rates)
    store.markRunStarted(db, 'p')
    store.setRunState(db, 'p', 'done')
    const finished = store.getRun(db, 'p')!.finishedAt!
    db.prepare('UPDATE runs SET started_at = ? WHERE id = ?').run(new Date(Date.parse(finished) - 44_000).toISOString(), 'p')
    expect(recordRunTiming(db, store.getRun(db, 'p')!, 'cpu/1t', 32)).toBe(true)
    expect(kindTimings(db, 'cpu/1t', 32).get('pretext-rotation')).toEqual({ wallS: 44, modelledS: 24.5, runs: 1 })
    // q is the same work: now 44 / 24.5 x 24.5 s; the extraction keeps its own (unrefined) 2 s
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 1).etaS).toBe(44 + 2)
  })

  it('prices the queued runs with the fixed seconds measured for their kinds, and a running run still bounds it from below', () => {
    const db = fixture()
    putDeviceRates(db, rates)
    putWorkCosts(db, 'cpu/1t', 32, new Map([['pretext-rotation', { fixedS: 5, trainImagesPerS: 80 }], ['extract', { fixedS: 0.5, trainImagesPerS: null }]]), rates.measuredAt)
    store.markRunStarted(db, 'p')
    store.writeReports(db, 'p', { metrics: [], artifacts: [], events: [], progress: { etaS: 40 } })
    // q: 5 + 2000 / 80 + 1000 / 400 = 32.5 s; the extraction 0.5 s
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 1).etaS).toBe(Math.round(40 + 0.5 + 32.5))
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 2).etaS).toBe(Math.round(40 + 0.5))
    expect(studyEta(db, 'st-1', 'cpu/1t', 32, 1).basis).toMatch(/fixed costs of all 2 kinds of work measured/)
  })
})
