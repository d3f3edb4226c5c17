// Compare: search across studies, and only the settings that differ between the picked runs.
import { describe, expect, it } from 'vitest'
import { differingParams, flatten, searchRuns } from '../../src-renderer/composables/compare-model.ts'

describe('compare model', () => {
  it('finds runs by every word of the search, across studies', () => {
    const runs = [
      { runId: 'a', name: 'binary-linear-rotation@demo-mammo-s0', text: 'binary-linear-rotation@demo-mammo-s0 pilot' },
      { runId: 'b', name: 'binary-linear-rotation@demo-mammo-s0', text: 'binary-linear-rotation@demo-mammo-s0 paper-run' },
      { runId: 'c', name: '3class-finetune-structure@demo-natural-s1', text: '3class-finetune-structure@demo-natural-s1 pilot #check' },
    ]
    expect(searchRuns(runs, 'pilot').map((r) => r.runId)).toEqual(['a', 'c'])
    expect(searchRuns(runs, 'ROTATION paper').map((r) => r.runId)).toEqual(['b'])
    expect(searchRuns(runs, '', 2)).toHaveLength(2)
  })

  it('ranks exact and whole-word matches first: the single-encoder run before the fusion run and the 10% run', () => {
    const runs = [
      { runId: 'fusion', name: 'binary-fusion-linear-rotation@demo-mammo+structure@demo-natural-s0', text: 'binary-fusion-linear-rotation@demo-mammo+structure@demo-natural-s0' },
      { runId: 'frac', name: 'binary-linear-rotation@demo-mammo-f0.1-s0', text: 'binary-linear-rotation@demo-mammo-f0.1-s0' },
      { runId: 'single', name: 'binary-linear-rotation@demo-mammo-s0', text: 'binary-linear-rotation@demo-mammo-s0' },
      { runId: 'mammography', name: 'binary-linear-rotation@mammography-s0', text: 'binary-linear-rotation@mammography-s0' },
    ]
    expect(searchRuns(runs, 'rotation mammo linear binary').map((r) => r.runId)).toEqual(['single', 'frac', 'fusion', 'mammography'])
    expect(searchRuns(runs, 'binary-linear-rotation@demo-mammo-f0.1-s0')[0]!.runId).toBe('frac')
  })

  it('lists only the settings that differ, leaving paths out', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual({ 'a.b': '1', 'a.c': '[1,2]', d: 'x' })
    const specs = {
      r1: { kind: 'downstream', seed: 0, params: { protocol: 'linear', lr_head: 0.003, epochs: 4, dataset_dir: { $dataset: 'demo-chest' } } },
      r2: { kind: 'downstream', seed: 1, params: { protocol: 'finetune', lr_head: 0.003, epochs: 4, lr_encoder: 0.0001, dataset_dir: { $dataset: 'other' } } },
    }
    expect(differingParams(specs, ['r1', 'r2'])).toEqual([
      { key: 'params.lr_encoder', values: { r1: '—', r2: '0.0001' } },
      { key: 'params.protocol', values: { r1: 'linear', r2: 'finetune' } },
      { key: 'seed', values: { r1: '0', r2: '1' } },
    ])
  })
})
