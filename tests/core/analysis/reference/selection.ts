// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// "Best configuration" chosen on validation, never on test (DESIGN.md "Scientific rules"): per
// target and protocol, the cell with the highest validation ROC-AUC at the selected epochs (mean
// over seeds) wins; its test value is reported beside how many cells it was chosen from. The
// winner of all pretrained cells of a target is compared with scratch as a paired difference.
import type { ResultCell, SelectionOut } from '../../../../src-core/api/results.ts'
import type { LoadedRun } from '../../../../src-core/analysis/collect.ts'
import { acrossSeeds, poolAcrossFamily, validationValue } from './h2.ts'
import { orNull } from './cells.ts'
import { holmAdjust, type BootstrapOptions, type PairedDifference } from './stats/bootstrap.ts'
import { mean } from '../../../../src-core/analysis/stats/describe.ts'
import { computeMetric } from './stats/metrics.ts'
import { PRIMARY_METRIC } from '../../../../src-core/analysis/verdict-rules.ts'

/** The protocol group a cell is selected within. */
export function protocolGroupOf(c: ResultCell): string {
  return c.kind === 'fusion' ? `fusion-${c.protocol}` : c.protocol
}

/** Validation ROC-AUC of a cell (mean over its seeds), null when a seed's run did not report one. */
export function cellValidation(c: ResultCell, runsById: Map<string, LoadedRun>): number | null {
  const vs = c.runIds.map((id) => {
    const l = runsById.get(id)
    return l ? validationValue(l, PRIMARY_METRIC) : null
  })
  return vs.length && vs.every((v) => v !== null) ? mean(vs as number[]) : null
}

/** Best cell per target and protocol group, plus `any` (all pretrained cells of the target), chosen on validation. */
export function selectOnValidation(cells: readonly ResultCell[], runsById: Map<string, LoadedRun>, warnings: string[]): SelectionOut[] {
  const out: SelectionOut[] = []
  for (const target of [...new Set(cells.map((c) => c.target))]) {
    const pretrained = cells.filter((c) => c.target === target && c.kind !== 'scratch')
    const lacking = pretrained.filter((c) => cellValidation(c, runsById) === null)
    if (lacking.length) warnings.push(`${lacking.length} ${target} configuration(s) reported no validation ROC-AUC and cannot be chosen as the best: ${lacking.map((c) => c.label).join(', ')}.`)
    const groups = [...new Set(pretrained.map(protocolGroupOf))].sort()
    for (const group of [...groups, 'any']) {
      const candidates = pretrained.filter((c) => (group === 'any' || protocolGroupOf(c) === group) && cellValidation(c, runsById) !== null)
      if (!candidates.length) continue
      const best = candidates.reduce((a, b) => (cellValidation(b, runsById)! > cellValidation(a, runsById)! ? b : a))
      const m = best.metrics[PRIMARY_METRIC]
      out.push({ target, protocol: group, cellKey: best.key, label: best.label, chosenFrom: candidates.length, validation: orNull(cellValidation(best, runsById)), test: { mean: m?.mean ?? null, lo: m?.lo ?? null, hi: m?.hi ?? null } })
    }
  }
  return out
}

/** The validation-chosen best pretrained configuration of a target minus scratch. */
export interface ScratchComparison {
  /** binary / 3class. */
  target: string
  /** The chosen configuration's label. */
  label: string
  /** How many it was chosen from. */
  chosenFrom: number
  /** Seeds both cells have. */
  seeds: number[]
  /** Paired difference best - scratch of the primary metric. */
  difference: PairedDifference
  /** Holm-adjusted p over the targets. */
  pHolm: number
}

/** Paired differences best - scratch per target, on the same resamples; Holm over the targets. */
export function scratchComparisons(selection: readonly SelectionOut[], cells: readonly ResultCell[], runsById: Map<string, LoadedRun>, clusters: number[][], opts: BootstrapOptions): ScratchComparison[] {
  const out: Omit<ScratchComparison, 'pHolm'>[] = []
  for (const sel of selection.filter((s) => s.protocol === 'any')) {
    const best = cells.find((c) => c.key === sel.cellKey)
    const scratch = cells.find((c) => c.target === sel.target && c.kind === 'scratch')
    if (!best || !scratch) continue
    const bySeed = (c: ResultCell) => new Map(c.runIds.map((id) => runsById.get(id)!).filter(Boolean).map((l) => [l.run.seed, l]))
    const a = bySeed(best)
    const b = bySeed(scratch)
    const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y)
    if (!seeds.length) continue
    const n = a.get(seeds[0]!)!.pred.targets.length
    const difference = acrossSeeds(seeds.length, n, clusters, (s, rows) => computeMetric(a.get(seeds[s]!)!.pred, PRIMARY_METRIC, rows) - computeMetric(b.get(seeds[s]!)!.pred, PRIMARY_METRIC, rows), opts)
    out.push({ target: sel.target, label: sel.label, chosenFrom: sel.chosenFrom, seeds, difference })
  }
  // Issue 24: the seed spread pooled over the targets' comparisons.
  const pooled = poolAcrossFamily(out.map((c) => c.difference), opts.level)
  const adjusted = holmAdjust(pooled.map((d) => d.p))
  return out.map((c, i) => ({ ...c, difference: pooled[i]!, pHolm: adjusted[i]! }))
}
