// Transfer against pretext progress (docs/analysis.md): per pretext cell and target, the downstream
// ROC-AUC of a linear probe of each encoder snapshot (pretext.snapshots, downstream.snapshotProbes)
// against the pretext step it was taken at, beside the pretext task's validation accuracy there, then
// the study's own linear probe of the extracted encoder (best.pth, at its best-validation step). A
// reader sees whether more pretext training helped or hurt transfer, and where the task was solved.
import type { PretextProgressRow } from '../api/results.ts'
import type { ResultRun } from '../store/results.ts'
import { snapshotOf } from '../study/snapshots.ts'
import { labelFractionOf } from './baselines.ts'
import { orNull, runInterval } from './cells.ts'
import type { LoadedRun } from './collect.ts'
import type { BootstrapOptions, Interval } from './stats/bootstrap.ts'

/** Validation accuracy from which a classification pretext task counts as solved (engine/xlab/train_pretext.py SOLVED_ACCURACY). */
export const SOLVED_ACCURACY = 0.99

interface SnapshotRecord {
  fraction?: number
  step?: number
  val?: Record<string, unknown> | null
}

/** The pretext task's validation value at a point: accuracy for the classification tasks, else its loss. */
function valueOf(val: Record<string, unknown> | null | undefined): { metric: string; value: number } | null {
  if (!val) return null
  for (const metric of ['accuracy', 'loss']) if (typeof val[metric] === 'number' && Number.isFinite(val[metric])) return { metric, value: val[metric] as number }
  return null
}

const auc = (iv: Interval | undefined) => ({ estimate: orNull(iv?.estimate), lo: orNull(iv?.lo), hi: orNull(iv?.hi) })

/** What the later point says against the earlier one, from their intervals (no paired test: a reading aid). */
function trendOf(first: PretextProgressRow['points'][number], last: PretextProgressRow['points'][number]): PretextProgressRow['trend'] {
  const a = first.auc
  const b = last.auc
  if (a.estimate === null || b.estimate === null) return null
  const verdict = b.lo !== null && a.hi !== null && b.lo > a.hi ? 'helped' : b.hi !== null && a.lo !== null && b.hi < a.lo ? 'hurt' : 'unclear'
  const d = b.estimate - a.estimate
  const words = { helped: 'more pretext training helped transfer', hurt: 'more pretext training hurt transfer', unclear: 'no clear change (the intervals overlap)' }[verdict]
  return { fromStep: first.step, toStep: last.step, difference: d, verdict, sentence: `ROC-AUC ${a.estimate.toFixed(3)} at step ${first.step ?? '?'} → ${b.estimate.toFixed(3)} at step ${last.step ?? '?'} (${d >= 0 ? '+' : ''}${d.toFixed(3)}): ${words}.` }
}

/**
 * One row per pretext run (a cell and its seed) and target with snapshot probes: the snapshots in step
 * order, then the extracted encoder's own linear probe when the study ran it. `snapshotRuns` and
 * `mainRuns` are aligned on the same test images; `allRuns` supplies the pretext runs' summaries.
 */
export function pretextProgress(snapshotRuns: readonly LoadedRun[], mainRuns: readonly LoadedRun[], allRuns: readonly ResultRun[], clusters: number[][], opts: BootstrapOptions): PretextProgressRow[] {
  const pretextById = new Map(allRuns.filter((r) => r.stage === 'pretext').map((r) => [r.id, r]))
  const groups = new Map<string, { pre: ResultRun | null; pretextRunId: string; target: string; runs: { l: LoadedRun; step: number }[] }>()
  for (const l of snapshotRuns) {
    const snap = snapshotOf(l.run.spec)
    if (!snap) continue
    const key = `${snap.pretextRunId}|${l.run.target}`
    const g = groups.get(key) ?? { pre: pretextById.get(snap.pretextRunId) ?? null, pretextRunId: snap.pretextRunId, target: l.run.target ?? '?', runs: [] }
    g.runs.push({ l, step: snap.step })
    groups.set(key, g)
  }
  const rows: PretextProgressRow[] = []
  for (const g of groups.values()) {
    const first = g.runs[0]!.l.run
    const summary = g.pre?.summary ?? null
    const records = (Array.isArray(summary?.snapshots) ? summary.snapshots : []) as SnapshotRecord[]
    const totalSteps = typeof summary?.steps === 'number' ? summary.steps : null
    const points: PretextProgressRow['points'] = [...g.runs]
      .sort((a, b) => a.step - b.step)
      .map(({ l, step }) => {
        const rec = records.find((r) => r.step === step)
        const val = valueOf(rec?.val)
        return {
          kind: 'snapshot' as const,
          step,
          fraction: typeof rec?.fraction === 'number' ? rec.fraction : totalSteps ? step / totalSteps : null,
          auc: auc(runInterval(l.pred, clusters, opts).roc_auc),
          n: l.pred.targets.length,
          valMetric: val?.metric ?? null,
          val: val?.value ?? null,
          solved: val?.metric === 'accuracy' ? val.value >= SOLVED_ACCURACY : null,
          runId: l.run.id,
          runName: l.run.name,
        }
      })
    // The study's linear probe of the extracted encoder of the same cell, seed and target (all labels).
    const label = first.encoders[0]?.replace(/@step\d+$/, '') ?? ''
    const main = mainRuns.find((m) => m.run.protocol === 'linear' && !m.run.fusionMode && m.run.target === first.target && m.run.seed === first.seed && labelFractionOf(m.run) === 1 && m.run.encoders.length === 1 && m.run.encoders[0] === label)
    if (main) {
      const best = (summary?.best ?? null) as { step?: number; metrics?: Record<string, unknown> } | null
      const val = valueOf(best?.metrics)
      const step = typeof best?.step === 'number' ? best.step : null
      points.push({
        kind: 'extracted',
        step,
        fraction: step !== null && totalSteps ? step / totalSteps : null,
        auc: auc(runInterval(main.pred, clusters, opts).roc_auc),
        n: main.pred.targets.length,
        valMetric: val?.metric ?? null,
        val: val?.value ?? null,
        solved: val?.metric === 'accuracy' ? val.value >= SOLVED_ACCURACY : null,
        runId: main.run.id,
        runName: main.run.name,
      })
    }
    const solved = (summary?.solved_early ?? null) as { step?: number | null; accuracy?: number } | null
    const ordered = points.filter((p) => p.step !== null).sort((a, b) => a.step! - b.step!)
    rows.push({
      pretext: first.pretext ?? '?',
      dataset: first.pretrainDataset ?? '?',
      seed: first.seed,
      target: g.target,
      pretextRun: g.pre?.name ?? g.pretextRunId,
      totalSteps,
      solvedEarly: solved && typeof solved.accuracy === 'number' ? { step: solved.step ?? null, accuracy: solved.accuracy } : null,
      points,
      trend: ordered.length >= 2 ? trendOf(ordered[0]!, ordered[ordered.length - 1]!) : null,
    })
  }
  return rows.sort((a, b) => a.target.localeCompare(b.target) || a.dataset.localeCompare(b.dataset) || a.pretext.localeCompare(b.pretext) || a.seed - b.seed)
}

/** Caveat lines: which cells got worse (or better) downstream with more pretext training, per target. */
export function progressLines(rows: readonly PretextProgressRow[]): string[] {
  const lines: string[] = []
  for (const verdict of ['hurt', 'helped'] as const) {
    const hit = rows.filter((r) => r.trend?.verdict === verdict)
    if (!hit.length) continue
    const solved = hit.filter((r) => r.solvedEarly)
    lines.push(
      `More pretext training ${verdict} linear transfer (ROC-AUC interval of the last point ${verdict === 'hurt' ? 'below' : 'above'} the first's) in ${hit.map((r) => `${r.pretext} on ${r.dataset} (${r.target})`).join(', ')}` +
        (solved.length ? `; ${solved.length} of them ${solved.length === 1 ? 'was' : 'were'} solved early, so the task had little left to teach` : '') +
        '. One seed, test-sampling intervals only.',
    )
  }
  return lines
}
