// Run curves: one chart per metric group (a throughput never shares an axis with a loss), x in
// epochs with one distinct x per epoch, train and validation told apart, test values as a table.
import { describe, expect, it } from 'vitest'
import { curveChartConfig, distinctX, groupCurves, seriesOf, testValues } from '../../src-renderer/composables/curves.ts'

const pts = (...ys: number[]) => ys.map((y, i) => ({ x: i + 1, step: 4 * (i + 1), y }))
const curves = {
  'train/loss': pts(1.2, 0.9, 0.7),
  'val/loss': pts(1.1, 1.0, 0.95),
  'train/images_per_s': pts(40, 80, 82),
  'val/roc_auc': pts(0.6, 0.7, 0.72),
  'val/accuracy': pts(0.55, 0.6, 0.66),
  'test/roc_auc': [{ x: 3, step: 12, y: 0.71 }],
}

describe('curves', () => {
  it('groups metrics by kind and leaves test values out of the charts', () => {
    const groups = groupCurves(seriesOf('r1', 'run one', curves))
    expect(groups.map((g) => g.group)).toEqual(['loss', 'quality', 'throughput'])
    expect(groups[1]!.series.map((s) => s.name).sort()).toEqual(['accuracy', 'roc_auc'])
    expect(groups.flatMap((g) => g.series).every((s) => s.split !== 'test')).toBe(true)
    expect(groups.flatMap((g) => g.series).every((s) => distinctX(s) === 3)).toBe(true)
  })

  it('lists test values with human names', () => {
    expect(testValues(seriesOf('r1', 'run one', curves))).toEqual([{ runName: 'run one', name: 'roc_auc', label: 'ROC-AUC', value: 0.71 }])
  })

  it('dashes train, keeps validation solid, and names the run when several are overlaid', () => {
    const series = [...seriesOf('r1', 'one', { 'train/loss': pts(1, 0.5), 'val/loss': pts(1, 0.8) }), ...seriesOf('r2', 'two', { 'val/loss': pts(0.9, 0.7) })]
    const cfg = curveChartConfig(series, ['#111', '#222', '#333'])
    const ds = cfg.data.datasets as { label: string; borderDash: number[]; borderColor: string }[]
    expect(ds.map((d) => d.label)).toEqual(['one · train loss', 'one · validation loss', 'two · validation loss'])
    expect(ds.map((d) => d.borderDash.length > 0)).toEqual([true, false, false])
    expect(ds[2]!.borderColor).not.toBe(ds[1]!.borderColor)
  })
})
