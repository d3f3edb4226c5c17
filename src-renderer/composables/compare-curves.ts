// What Compare draws for each picked run's training: curves over epochs where a run has them, and
// for an L-BFGS linear probe (one full-batch fit per C of a grid, the C chosen on validation; see
// engine/xlab/downstream/lbfgs.py) its validation metric against C with the chosen C marked. A run
// with a single epoch has no curve: it is named in a sentence, never drawn as a one-dot "curve".
import type { ChartConfiguration } from 'chart.js'
import type { RunResult } from '../api/shapes.ts'
import { formatMetric } from './format.ts'
import { metricLabel } from './metric-names.ts'

/** A picked run's training record, as Compare shows it. */
export type TrainingShape =
  | { kind: 'curves' }
  | { kind: 'c-grid'; grid: NonNullable<RunResult['linearFit']>['grid']; chosenC: number | null }
  | { kind: 'one-fit'; sentence: string }

/** Distinct epochs a run's train/val curves cover. */
const epochsOf = (r: RunResult) => new Set(r.curves.filter((c) => c.split === 'train' || c.split === 'val').flatMap((c) => c.points.map((p) => p.epoch))).size

/** How a run's training is shown: curves (more than one epoch), the C grid (an L-BFGS probe), else a sentence. */
export function trainingShape(r: RunResult, name: string): TrainingShape {
  const fit = r.linearFit
  if (fit && fit.grid.length > 1) return { kind: 'c-grid', grid: fit.grid, chosenC: fit.chosenC }
  if (epochsOf(r) > 1) return { kind: 'curves' }
  if (fit) return { kind: 'one-fit', sentence: `${name}: one full-batch L-BFGS fit${fit.chosenC !== null ? ` at C ${fit.chosenC} (chosen on validation out of ${fit.gridSize})` : ''}; this run did not record its grid's validation values, so there is no curve to draw.` }
  return { kind: 'one-fit', sentence: `${name}: a single epoch was recorded, so there is no curve to draw; its test metrics are in the table above.` }
}

/** One run on the C-grid chart. */
export interface CGridRun {
  /** Run id. */
  id: string
  /** Legend name. */
  name: string
  /** The grid with validation metrics. */
  grid: NonNullable<RunResult['linearFit']>['grid']
  /** The C chosen on validation. */
  chosenC: number | null
}

/** The validation metric against C (log axis) for every L-BFGS probe, one colour per run, and the
 *  chosen C of each ringed (one more series: "C chosen on validation"). Null when no run has the metric. */
export function cGridConfig(runs: readonly CGridRun[], metric: string, colours: readonly string[], chosenColour: string): ChartConfiguration<'line'> | null {
  const has = runs.filter((r) => r.grid.some((g) => typeof g.val[metric] === 'number'))
  if (!has.length) return null
  const point = (g: CGridRun['grid'][number]) => ({ x: g.c, y: g.val[metric] as number })
  const chosen = has.flatMap((r) => r.grid.filter((g) => g.c === r.chosenC && typeof g.val[metric] === 'number').map(point))
  const cs = has.flatMap((r) => r.grid.map((g) => g.c))
  return {
    type: 'line',
    data: {
      datasets: [
        ...has.map((r, i) => ({ label: r.name, data: r.grid.filter((g) => typeof g.val[metric] === 'number').map(point), borderColor: colours[i]!, backgroundColor: colours[i]!, borderWidth: 1.8, pointRadius: 3, clip: 10 })),
        // Not clipped at the plot's edge: a C chosen at the end of the grid (a hint that the grid is too narrow) shows whole.
        { label: 'C chosen on validation', data: chosen, borderColor: chosenColour, backgroundColor: 'transparent', showLine: false, pointRadius: 8, pointBorderWidth: 2, borderWidth: 2, clip: 10 },
      ],
    },
    options: {
      parsing: false,
      scales: {
        x: { type: 'logarithmic', min: Math.min(...cs) / 1.5, max: Math.max(...cs) * 1.5, title: { display: true, text: 'C, inverse L2 strength (log scale; larger C = weaker penalty)' }, ticks: { callback: (v) => { const n = Number(v); const h = Math.log10(n) * 2; return Math.abs(h - Math.round(h)) < 1e-9 ? String(Number(n.toPrecision(2))) : '' } } },
        y: { title: { display: true, text: `validation ${metricLabel(metric)}` } },
      },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: C ${Number((ctx.raw as { x: number }).x.toPrecision(3))}, ${metricLabel(metric)} ${formatMetric((ctx.raw as { y: number }).y)}` } } },
    },
  }
}
