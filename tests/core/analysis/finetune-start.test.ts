// Issue 24: a fine-tuning run that ends below the linear probe it started from is flagged in its run
// extras (read from the engine's summary.json), in the report and in the summary; the supervised
// reference is a baseline row, listed first, never an H1 cell.
import { describe, expect, it } from 'vitest'
import type { ResultCell, StudyAnalysis } from '../../../src-core/api/results.ts'
import { baselineRows, encoderKindOf, isPretextOrScratch } from '../../../src-core/analysis/baselines.ts'
import { finetuneStartSection } from '../../../src-core/analysis/report/evaluations.ts'
import { runExtrasOf } from '../../../src-core/analysis/run-extras.ts'
import { writeSummary } from '../../../src-core/analysis/summary.ts'

// summary.json of a finetune run as engine/xlab/downstream/__init__.py writes it (start_check)
const engineSummary = (start: number, end: number) => ({
  protocol: 'finetune',
  test: { roc_auc: end },
  start: {
    source: 'linear_probe', metric: 'roc_auc', C: 3.162278, val: { roc_auc: 0.81 }, test: { roc_auc: start },
    compare: { val: { start: 0.81, end: 0.8, delta: -0.01 }, test: { start, end, delta: end - start } },
    below: end < start || 0.8 < 0.81,
  },
})

const analysisWith = (runs: { name: string; summary: Record<string, unknown> }[], cells: Partial<ResultCell>[] = []) =>
  ({
    cells, verdicts: [], selection: [], h2: [], ensembles: [], flags: [], sampleSizes: [], bootstrap: { unit: 'patient' },
    runs: runs.map((r, i) => ({ runId: `r-${i}`, name: r.name, extras: runExtrasOf(r.summary) })),
    baselines: baselineRows(cells as ResultCell[]),
  }) as unknown as StudyAnalysis

describe('fine-tuning against its starting probe', () => {
  it('reads the start, the end and the flag from summary.json', () => {
    expect(runExtrasOf(engineSummary(0.84, 0.79)).finetuneStart).toEqual({ metric: 'roc_auc', valStart: 0.81, valEnd: 0.8, testStart: 0.84, testEnd: 0.79, below: true })
    const grid = [0.01, 0.1, 1].map((C, i) => ({ C, val: { roc_auc: 0.7 + i / 100, loss: 0.6 }, value: 0.7 + i / 100, loss: 0.5, iterations: 30, grad_max: 1e-6, converged: C !== 1 }))
    expect(runExtrasOf({ protocol: 'linear', linear_fit: { solver: 'lbfgs', grid, chosen: { C: 0.1 }, at_edge: false, converged: false } }).linearFit).toEqual({
      chosenC: 0.1, gridSize: 3, atEdge: false, converged: false,
      grid: [{ c: 0.01, val: { roc_auc: 0.7, loss: 0.6 }, converged: true }, { c: 0.1, val: { roc_auc: 0.71, loss: 0.6 }, converged: true }, { c: 1, val: { roc_auc: 0.72, loss: 0.6 }, converged: false }],
    })
    expect(runExtrasOf({ protocol: 'scratch' }).finetuneStart).toBeNull()
  })

  it('names a run that ended below its start in the report and the summary, and says so when none did', () => {
    const below = { name: 'binary-finetune-rotation@demo-mammo-s0', summary: engineSummary(0.84, 0.79) }
    const fine = { name: 'binary-finetune-inpainting@demo-mammo-s0', summary: { ...engineSummary(0.8, 0.85), start: { ...engineSummary(0.8, 0.85).start, below: false } } }
    const a = analysisWith([fine, below])
    const html = finetuneStartSection(a)
    expect(html).toContain('<strong>1 of 2 fine-tuning run(s) ended below the linear probe they started from</strong>')
    // the run below its start is listed first, marked
    expect(html.indexOf('binary-finetune-rotation@demo-mammo-s0')).toBeLessThan(html.indexOf('binary-finetune-inpainting@demo-mammo-s0'))
    expect(html).toContain('0.840 → 0.790')
    const { summary } = writeSummary(a, { generated: [], seeds: [0], datasets: ['demo-mammo'] })
    expect(summary.find((l) => l.startsWith('Fine-tuning ended below'))).toBe('Fine-tuning ended below the linear probe it started from in 1 of 2 run(s) (binary-finetune-rotation@demo-mammo-s0): there the fine-tuning budget did not suffice and the linear probe is the better model; these fine-tuning results are not a property of the protocol.')
    const ok = writeSummary(analysisWith([fine]), { generated: [], seeds: [0], datasets: ['demo-mammo'] }).summary
    expect(ok).toContain('Every fine-tuning run (1) ended at or above the linear probe it started from.')
    expect(finetuneStartSection(analysisWith([]))).toBe('')
  })

  it('the supervised reference is a baseline row listed first and never an H1 cell', () => {
    const cell = (encoder: string, auc: number): Partial<ResultCell> => ({ kind: 'single', target: 'binary', protocol: 'linear', encoders: [encoder], runIds: [encoder], metrics: { roc_auc: { mean: auc, sd: null, perSeed: [], lo: auc - 0.05, hi: auc + 0.05 } } })
    const rows = baselineRows([cell('random-init', 0.8), cell('rotation/demo-mammo', 0.7), cell('supervised/demo-natural', 0.9)] as ResultCell[])
    expect(rows.map((r) => [r.encoder, r.kind])).toEqual([['supervised/demo-natural', 'supervised'], ['random-init', 'random-init']])
    expect([encoderKindOf('supervised/demo-natural'), isPretextOrScratch(['supervised/demo-natural'])]).toEqual(['supervised', false])
    const { summary } = writeSummary(analysisWith([], [cell('supervised/demo-natural', 0.9)]), { generated: [], seeds: [0], datasets: [] })
    expect(summary.some((l) => l.startsWith('Supervised reference') && l.includes('supervised/demo-natural binary linear, ROC-AUC 0.900 [0.850, 0.950]'))).toBe(true)
  })
})
