// Migration 0011: the measured fixed seconds of each kind of work, per device and image size; a new
// calibration replaces the old one of that device and size whole.
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'
import { putWorkCosts, workCosts, type WorkCost } from '../../../src-core/store/throughput.ts'

const fresh = () => {
  const db = openDatabase(':memory:', [])
  migrate(db, migrations)
  return db
}
const costs = (entries: [string, WorkCost][]) => new Map(entries)

describe('migration 0011 work costs', () => {
  it('keeps one calibration per device and image size, the newest whole', () => {
    const db = fresh()
    putWorkCosts(db, 'cpu/1t', 32, costs([['pretext-rotation', { fixedS: 3, trainImagesPerS: 180 }], ['extract', { fixedS: 0.4, trainImagesPerS: null }]]), '2026-12-05T17:00:00Z')
    putWorkCosts(db, 'cpu/1t', 224, costs([['extract', { fixedS: 2, trainImagesPerS: null }]]), '2026-12-05T17:00:00Z')
    putWorkCosts(db, 'cpu/1t', 32, costs([['downstream-linear/binary/1', { fixedS: 6, trainImagesPerS: null }]]), '2026-12-05T18:00:00Z')
    expect([...workCosts(db, 'cpu/1t', 32)]).toEqual([['downstream-linear/binary/1', { fixedS: 6, trainImagesPerS: null }]])
    expect(workCosts(db, 'cpu/1t', 224).get('extract')).toEqual({ fixedS: 2, trainImagesPerS: null })
    expect(workCosts(db, 'cuda/H100', 32).size).toBe(0)
  })

  it('refuses a negative fixed cost or a training rate of 0, and stores nothing of that calibration', () => {
    const db = fresh()
    putWorkCosts(db, 'cpu/1t', 32, costs([['extract', { fixedS: 0.4, trainImagesPerS: null }]]), '2026-12-05T17:00:00Z')
    expect(() => putWorkCosts(db, 'cpu/1t', 32, costs([['a', { fixedS: 1, trainImagesPerS: null }], ['b', { fixedS: -1, trainImagesPerS: null }]]), 'now')).toThrow(/CHECK/)
    expect(() => putWorkCosts(db, 'cpu/1t', 32, costs([['a', { fixedS: 1, trainImagesPerS: 0 }]]), 'now')).toThrow(/CHECK/)
    expect([...workCosts(db, 'cpu/1t', 32).keys()]).toEqual(['extract'])
  })
})
