// The Results overview from the analysis: every task x protocol, one shared scale, intervals written
// exactly as the report writes them, n in words; the report frame keeps its contents links inside.
import { describe, expect, it } from 'vitest'
import type { StudyAnalysisView } from '../../src-renderer/api/shapes.ts'
import { reportFrameDocument } from '../../src-renderer/composables/report-frame.ts'
import { formatInterval, overviewPanels, rankedCells, sampleText } from '../../src-renderer/composables/results-overview.ts'

type Cell = StudyAnalysisView['cells'][number]
const m = (mean: number, lo = mean - 0.05, hi = mean + 0.05) => ({ mean, sd: null, perSeed: [{ seed: 0, value: mean }], lo, hi })
function cell(target: string, protocol: string, kind: Cell['kind'], pretext: string | null, ds: string | null, auc: number, loss?: number): Cell {
  const enc = pretext ? [`${pretext}/${ds}`] : kind === 'fusion' ? ['rotation/a', 'inpainting/a'] : []
  return { key: `${target}|${protocol}|${kind}|${enc.join('+')}`, label: `${target} ${protocol} ${enc.join('+') || 'scratch'}`, kind, target, protocol, pretext, pretrainDataset: ds, encoders: enc, runIds: ['r'], metrics: { roc_auc: m(auc), ...(loss !== undefined ? { loss: m(loss) } : {}) }, perClassAuc: {}, interval: 'patients' }
}
const analysis = {
  bootstrap: { replicates: 1000, seed: 0, level: 0.95, unit: 'patient', nImages: 120, nUnits: 61 },
  runs: [{ seed: 0 }, { seed: 1 }],
  cells: [
    cell('binary', 'linear', 'single', 'rotation', 'a', 0.7), cell('binary', 'linear', 'single', 'inpainting', 'a', 0.72), cell('binary', 'linear', 'single', 'rotation', 'b', 0.65),
    cell('binary', 'finetune', 'single', 'rotation', 'a', 0.8),
    cell('3class', 'linear', 'single', 'rotation', 'a', 0.6),
    cell('binary', 'scratch', 'scratch', null, null, 0.55), cell('binary', 'linear', 'fusion', null, null, 0.74),
  ],
} as unknown as StudyAnalysisView

describe('results overview', () => {
  it('has a panel for every task x protocol with single encoders, and one scale over all of them', () => {
    const { panels, scale } = overviewPanels(analysis, 'roc_auc')
    expect(panels.map((p) => `${p.target}|${p.protocol}`)).toEqual(['3class|linear', 'binary|linear', 'binary|finetune'])
    expect(scale).toEqual({ min: 0.5, max: 0.8, higherIsBetter: true }) // chance (0.5) is on the scale
    const bl = panels[1]!
    expect(bl.rows).toEqual(['inpainting', 'rotation'])
    expect(bl.cols).toEqual(['a', 'b'])
    expect(bl.extras.map((c) => c.kind)).toEqual(['scratch', 'fusion'])
    expect(panels[2]!.extras.map((c) => c.kind)).toEqual(['scratch'])
  })

  it('writes intervals as the report does and says what n is', () => {
    expect(formatInterval(0.6512, 0.77)).toBe('[0.651, 0.770]')
    expect(formatInterval(null, 0.7)).toBe('[–, 0.700]')
    expect(sampleText(analysis)).toBe('120 test images, 61 patients, 2 seeds')
  })

  it('ranks configurations best first, lowest first for a loss', () => {
    expect(rankedCells(analysis, 'roc_auc', 'binary').map((c) => c.metrics.roc_auc!.mean)).toEqual([0.8, 0.74, 0.72, 0.7, 0.65, 0.55])
    const withLoss = { ...analysis, cells: [cell('binary', 'linear', 'single', 'rotation', 'a', 0.7, 0.4), cell('binary', 'linear', 'single', 'inpainting', 'a', 0.7, 0.3)] } as StudyAnalysisView
    expect(rankedCells(withLoss, 'loss', 'binary').map((c) => c.metrics.loss!.mean)).toEqual([0.3, 0.4])
  })
})

describe('overview panels beside their baselines', () => {
  const withBaselines = (riAuc: number, holm: number, verdict: 'better' | 'worse' | 'no evidence') => ({
    ...analysis,
    method: { alpha: 0.05, primaryMetric: 'roc_auc' },
    sampleSizes: [],
    cells: [...analysis.cells, { ...cell('binary', 'linear', 'single', null, null, riAuc), key: 'ri', label: 'binary linear random-init', pretext: 'random-init', encoders: ['random-init'] }],
    beatsRandomInit: [{ target: 'binary', protocol: 'linear', encoder: 'inpainting/a', seeds: [0], difference: { estimate: 0.72 - riAuc, lo: 0, hi: 0, p: 0.001, verdict }, pHolm: holm }],
  }) as unknown as StudyAnalysisView

  it('lists random-init first, then scratch, then fusion, and gives chance', () => {
    const bl = overviewPanels(withBaselines(0.6, 0.01, 'better'), 'roc_auc').panels.find((p) => p.target === 'binary' && p.protocol === 'linear')!
    expect(bl.extras.map((c) => (c.encoders[0] === 'random-init' ? 'random-init' : c.kind))).toEqual(['random-init', 'scratch', 'fusion'])
    expect(bl.chance).toBe(0.5)
  })

  it('stars a pretext cell only when it beats random-init after the correction, and marks that', () => {
    const ok = overviewPanels(withBaselines(0.6, 0.01, 'better'), 'roc_auc').panels.find((p) => p.target === 'binary' && p.protocol === 'linear')!
    expect(ok.best).toEqual({ key: 'inpainting|a', isBaseline: false })
    expect(ok.marks).toEqual({ 'inpainting|a': 'better' })
    const notSignificant = overviewPanels(withBaselines(0.6, 0.2, 'better'), 'roc_auc').panels.find((p) => p.target === 'binary' && p.protocol === 'linear')!
    expect(notSignificant.best).toBeNull()
    expect(notSignificant.marks).toEqual({})
  })

  it('never stars a cell whose interval reaches chance (a lone 0.477 in a tiny study)', () => {
    const tiny = { ...analysis, sampleSizes: [], cells: [cell('binary', 'linear', 'single', 'rotation', 'a', 0.477)] } as unknown as StudyAnalysisView
    const [p] = overviewPanels(tiny, 'roc_auc').panels
    expect(p!.best).toBeNull()
    const fine = { ...analysis, sampleSizes: [], cells: [cell('binary', 'linear', 'single', 'rotation', 'a', 0.7)] } as unknown as StudyAnalysisView
    expect(overviewPanels(fine, 'roc_auc').panels[0]!.best).toEqual({ key: 'rotation|a', isBaseline: false })
  })

  it('gives the star to random-init when it beats every pretext encoder (never to a beaten cell)', () => {
    const p = overviewPanels(withBaselines(0.863, 0.001, 'worse'), 'roc_auc').panels.find((x) => x.target === 'binary' && x.protocol === 'linear')!
    expect(p.best).toEqual({ key: 'ri', isBaseline: true })
    expect(p.marks).toEqual({ 'inpainting|a': 'worse' })
  })
})

describe('report frame', () => {
  it('darkens the report in the dark theme only (its links are checked in the e2e run)', () => {
    const html = '<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body><a href="#h1">H1</a></body></html>'
    expect(reportFrameDocument(html, 'light')).toBe(html)
    expect(reportFrameDocument(html, 'dark')).toMatch(/^<!doctype html><html lang="en"><head><style>body\{background:#16191d/)
  })
})
