// Migration 0010: measured device rates (one row per device and image size, replaced by a newer
// measurement) and finished runs' timings (summed per work kind, removed with their run).
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'
import * as runs from '../../../src-core/store/runs.ts'
import { getDeviceRates, kindTimings, listDeviceRates, putDeviceRates, putRunTiming } from '../../../src-core/store/throughput.ts'

const fresh = () => {
  const db = openDatabase(':memory:', [])
  migrate(db, migrations)
  return db
}
const rates = { device: 'cpu/1t', imageSize: 32, batchSize: 64, trainImagesPerS: 80, evalImagesPerS: 350, startupS: 12, jobS: 3, measuredAt: '2026-12-05T17:00:00Z' }

describe('migration 0010 device throughput', () => {
  it('keeps one measurement per device and image size, the newest', () => {
    const db = fresh()
    putDeviceRates(db, rates)
    putDeviceRates(db, { ...rates, trainImagesPerS: 90, measuredAt: '2026-12-05T18:00:00Z' })
    putDeviceRates(db, { ...rates, imageSize: 224, trainImagesPerS: 2 })
    expect(getDeviceRates(db, 'cpu/1t', 32)).toEqual({ ...rates, trainImagesPerS: 90, measuredAt: '2026-12-05T18:00:00Z' })
    expect(getDeviceRates(db, 'cuda/H100', 32)).toBeNull()
    expect(listDeviceRates(db).map((r) => r.imageSize)).toEqual([32, 224])
    expect(() => putDeviceRates(db, { ...rates, device: 'x', trainImagesPerS: 0 })).toThrow(/CHECK/)
  })

  it('sums finished runs per work kind, replaces a retried run and drops timings with their run', () => {
    const db = fresh()
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    const run = (id: string): runs.RunInsert => ({ id, name: `run-${id}`, stage: 'pretext', spec: { kind: 'pretext', seed: 0, params: { id } }, hash: `hash-${id}`, deps: [], pretext: 'rotation', pretrainDataset: 'demo-mammo', seed: 0, target: null, protocol: null, fusionMode: null, encoders: null })
    runs.attachPlannedRuns(db, 'st-1', [run('a'), run('b')], (id) => `/runs/${id}`)
    const t = { device: 'cpu/1t', workKind: 'pretext-rotation', imageSize: 32, finishedAt: '2026-12-05T17:00:00Z' }
    putRunTiming(db, { ...t, runId: 'a', wallS: 50, modelledS: 40 })
    putRunTiming(db, { ...t, runId: 'a', wallS: 60, modelledS: 40 })
    putRunTiming(db, { ...t, runId: 'b', wallS: 30, modelledS: 20 })
    expect(kindTimings(db, 'cpu/1t', 32).get('pretext-rotation')).toEqual({ wallS: 90, modelledS: 60, runs: 2 })
    expect(kindTimings(db, 'cpu/1t', 64).size).toBe(0)
    runs.deleteRuns(db, ['a'])
    expect(kindTimings(db, 'cpu/1t', 32).get('pretext-rotation')).toEqual({ wallS: 30, modelledS: 20, runs: 1 })
  })
})
