// The table `npm run demo` and `xlab study status --results` print (study/results-table.ts): a
// downstream run trained on a fraction of the train labels says so in its protocol (`linear@10%`),
// beside the all-labels run of the same encoder, so a 10% number is never read as the main result.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-core/store/db.ts'
import * as runs from '../../../src-core/store/runs.ts'
import { parseStudyConfig, type StudyConfig } from '../../../src-core/study/config.ts'
import { toInsert } from '../../../src-core/study/plan-service.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { formatResultTable, resultRows } from '../../../src-core/study/results-table.ts'
import { tmp } from '../datasets/helpers.ts'

/** A fresh lab holding the planned runs of `config` as study st-1. */
function labWith(config: StudyConfig) {
  const root = tmp('xlab-results-table-')
  const db = openDatabase(join(root, 'lab.sqlite'))
  runs.insertStudy(db, { id: 'st-1', name: 'table', config })
  const plan = planStudy(config)
  runs.attachPlannedRuns(db, 'st-1', plan.runs.map(toInsert), (id) => join(root, 'runs', id))
  return { db, downstream: plan.runs.filter((r) => r.stage === 'downstream') }
}

const testAccuracy = (db: ReturnType<typeof openDatabase>, runId: string, accuracy: number) =>
  runs.writeReports(db, runId, { metrics: [{ split: 'test', epoch: 1, step: 1, values: { accuracy } }], artifacts: [], events: [] })

describe('results table', () => {
  it("tags the demo's 10% label runs linear@10% and only those, each beside its all-labels row", () => {
    const { db, downstream } = labWith(presetConfig('demo'))
    const byName = new Map(downstream.map((r) => [r.name, r]))
    testAccuracy(db, byName.get('binary-linear-rotation@demo-mammo-s0')!.id, 0.8)
    testAccuracy(db, byName.get('binary-linear-rotation@demo-mammo-f0.1-s0')!.id, 0.6)
    const rows = resultRows(db, 'st-1')
    expect(rows).toHaveLength(downstream.length)
    const tagged = rows.filter((r) => r.protocol.includes('@'))
    expect(new Set(tagged.map((r) => r.protocol))).toEqual(new Set(['linear@10%']))
    expect(tagged).toHaveLength(downstream.filter((r) => r.name.includes('-f0.1-')).length)
    expect(tagged.length).toBeGreaterThan(0)
    for (const t of tagged) expect(rows.some((r) => r.protocol === 'linear' && r.encoder === t.encoder && r.task === t.task && r.seed === t.seed)).toBe(true)
    // The numbers sit on the run they came from.
    const row = (protocol: string) => rows.find((r) => r.task === 'binary' && r.protocol === protocol && r.encoder === 'rotation/demo-mammo' && r.seed === 0)!
    expect([row('linear').metrics.accuracy, row('linear@10%').metrics.accuracy]).toEqual([0.8, 0.6])
    const table = formatResultTable(rows)
    expect(table).toMatch(/\| binary +\| linear@10% +\| rotation\/demo-mammo +\| 0 +\| 0\.600 /)
    expect(table).toMatch(/\| binary +\| linear +\| rotation\/demo-mammo +\| 0 +\| 0\.800 /)
  })

  it('writes other fractions as percentages with up to three digits', () => {
    const demo = presetConfig('demo')
    const { db } = labWith(parseStudyConfig({ ...demo, downstream: { ...demo.downstream, labelFractions: [0.01, 0.333, 1], labelFractionProtocols: ['linear'] } }))
    expect([...new Set(resultRows(db, 'st-1').map((r) => r.protocol).filter((p) => p.includes('@')))].sort()).toEqual(['linear@1%', 'linear@33.3%'])
  })
})
