// The Results view's H1 table of transfer against pretext progress (issue 24, item 5): one table per
// pretext cell and target, the snapshots then the extracted encoder, with ROC-AUC, interval, n, the
// pretext validation accuracy and the solved flag, and the trend sentence of the analysis.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { StudyAnalysisView } from '../../src-renderer/api/shapes.ts'
import PretextProgressTable from '../../src-renderer/components/results/PretextProgressTable.vue'

type Row = NonNullable<StudyAnalysisView['h1']['progress']>[number]
const point = (kind: 'snapshot' | 'extracted', step: number, auc: number, acc: number | null): Row['points'][number] => ({
  kind, step, fraction: step / 48, auc: { estimate: auc, lo: auc - 0.04, hi: auc + 0.04 }, n: 600, valMetric: acc === null ? 'loss' : 'accuracy', val: acc ?? 0.2,
  solved: acc === null ? null : acc >= 0.99, runId: `r-${kind}-${step}`, runName: `binary-linear-rotation@demo-natural-step${step}-s0`,
})
const rows: Row[] = [{
  pretext: 'rotation', dataset: 'demo-natural', seed: 0, target: 'binary', pretextRun: 'rotation@demo-natural-s0', totalSteps: 48,
  solvedEarly: { step: 24, accuracy: 0.995 },
  points: [point('snapshot', 12, 0.83, 0.8), point('snapshot', 24, 0.8, 0.995), point('extracted', 48, 0.72, 1)],
  trend: { fromStep: 12, toStep: 48, difference: -0.11, verdict: 'hurt', sentence: 'ROC-AUC 0.830 at step 12 → 0.720 at step 48 (-0.110): more pretext training hurt transfer.' },
}]

describe('transfer against pretext progress', () => {
  it('shows each point with its interval, n, pretext accuracy and solved flag, and the trend', () => {
    const w = mount(PretextProgressTable, { props: { rows } })
    const table = w.get('table[aria-label="rotation on demo-natural, binary: ROC-AUC by pretext step"]')
    const cells = table.findAll('tbody tr').map((tr) => tr.findAll('th, td').map((c) => c.text()))
    expect(cells).toEqual([
      ['step 12 (25%)', '0.830', '[0.790, 0.870]', '600', 'accuracy 0.800', 'no'],
      ['step 24 (50%)', '0.800', '[0.760, 0.840]', '600', 'accuracy 0.995', 'solved (≥ 0.99)'],
      ['step 48 (100%), extracted (best.pth)', '0.720', '[0.680, 0.760]', '600', 'accuracy 1.000', 'solved (≥ 0.99)'],
    ])
    expect(table.get('caption').text()).toContain('solved early at step 24')
    expect(table.get('caption').text()).toContain('more pretext training hurt transfer')
  })
})
