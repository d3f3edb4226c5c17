// Shaping results rows into heatmap cells, encoder bars and fusion comparisons.
import { describe, expect, it } from 'vitest'
import type { ResultRow } from '../../src-renderer/api/shapes.ts'
import { encoderBars, fusionVsBest, heatmap, heatmapGroups, meanStd } from '../../src-renderer/composables/results-model.ts'

function row(over: Partial<ResultRow> & { auc: number }): ResultRow {
  const { auc, ...rest } = over
  return { runId: Math.random().toString(36), name: 'r', pretext: 'rotation', pretrainDataset: 'demo-mammo', seed: 0, target: 'binary', protocol: 'linear', fusionMode: null, encoders: [], labelFraction: 1, state: 'done', metrics: { roc_auc: auc, accuracy: auc, loss: null, f1_weighted: null, balanced_accuracy: null }, provenance: { datasets: {}, engine: [], stale: false, staleReasons: [] }, ...rest }
}

const rows: ResultRow[] = [
  row({ auc: 0.6, seed: 0 }),
  row({ auc: 0.8, seed: 1 }),
  row({ auc: 0.5, pretext: 'inpainting' }),
  row({ auc: 0.9, pretrainDataset: 'demo-natural' }),
  row({ auc: 0.99, protocol: 'finetune' }),
  row({ auc: 0.4, state: 'failed', pretext: 'structure' }),
  row({ auc: 0.75, pretext: null, pretrainDataset: null, protocol: null, fusionMode: 'linear', encoders: ['rotation/demo-mammo', 'inpainting/demo-mammo'] }),
]

describe('results model', () => {
  it('computes mean and sample sd', () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 })
    expect(meanStd([5])).toEqual({ mean: 5, std: 0, n: 1 })
  })

  it('averages seeds per pretext x dataset cell and ignores unfinished runs', () => {
    const h = heatmap(rows, 'roc_auc', 'linear', 'binary')
    expect(h.rows).toEqual(['inpainting', 'rotation'])
    expect(h.cols).toEqual(['demo-mammo', 'demo-natural'])
    expect(h.values.rotation!['demo-mammo']).toBeCloseTo(0.7)
    expect(h.values.rotation!['demo-natural']).toBe(0.9)
    expect(h.values.inpainting!['demo-natural']).toBeNull()
    expect(heatmapGroups(rows)).toEqual([{ protocol: 'linear', target: 'binary' }, { protocol: 'finetune', target: 'binary' }])
  })

  it('bars encoders with their spread over seeds, best first', () => {
    const bars = encoderBars(rows, 'roc_auc', 'linear', 'binary')
    expect(bars[0]!.label).toBe('rotation/demo-natural')
    const mammo = bars.find((b) => b.label === 'rotation/demo-mammo')!
    expect(mammo.n).toBe(2)
    expect(mammo.std).toBeCloseTo(Math.sqrt(0.02))
    expect(bars.some((b) => b.label.startsWith('fusion['))).toBe(true)
  })

  it('puts each fusion set beside its best member under the same protocol', () => {
    expect(fusionVsBest(rows, 'roc_auc')).toEqual([{ set: 'rotation/demo-mammo + inpainting/demo-mammo', mode: 'linear', target: 'binary', fusion: 0.75, best: 'rotation/demo-mammo', bestValue: expect.closeTo(0.7) }])
  })
})

describe('results table columns', () => {
  it('shows each metric with its interval when the analysis has one, and keeps the number for sorting', async () => {
    const { resultColumnsWith } = await import('../../src-renderer/composables/results-model.ts')
    const r = row({ auc: 0.7123 })
    const auc = resultColumnsWith({ [r.runId]: { roc_auc: { lo: 0.61, hi: 0.8 } } }).find((c) => c.key === 'roc_auc')!
    expect(auc.label).toBe('ROC-AUC')
    expect(auc.display!(r)).toBe('0.712 [0.610, 0.800]')
    expect(auc.value(r)).toBe(0.7123)
    expect(resultColumnsWith().find((c) => c.key === 'roc_auc')!.display!(r)).toBe('0.712')
  })
})
