// H2's missing baseline: the ensemble of a fusion set's members, i.e. the average of their predicted
// test probabilities (each member's single-encoder run with the fusion's target, protocol and seed,
// at fraction 1). "Fusion beats its best member" can be more models beating one; fusion minus the
// ensemble of the same members tells whether learning on the joint features adds anything beyond
// averaging. Fusion's interval is its cell's; the ensemble's and the difference's come from the
// same resamples (the hierarchical bootstrap and the paired test across seeds with two or more
// seeds, the patient bootstrap with one), as for H2.
import type { EnsembleOut, ResultCell } from '../api/results.ts'
import type { LoadedRun } from './collect.ts'
import { pairedAcrossSeeds, validationValue } from './h2.ts'
import { cellKindOf, orNull } from './cells.ts'
import type { BootstrapOptions } from './stats/bootstrap.ts'
import { mean } from './stats/describe.ts'
import { computeMetric, type Predictions } from './stats/metrics.ts'
import { hierarchicalOf, intervalOf, plainStat, testSetOf } from './stats/resampled.ts'
import { PRIMARY_METRIC } from './verdict-rules.ts'

/** The member-average prediction set (members aligned on the same test images). */
export function ensembleOf(members: readonly Predictions[]): Predictions {
  const first = members[0]!
  const probs = first.probs.map((row, i) => row.map((_, k) => members.reduce((s, m) => s + m.probs[i]![k]!, 0) / members.length))
  return { indices: first.indices, targets: first.targets, probs, classNames: first.classNames }
}

/** The ensemble beside each fusion set (primary metric), for the seeds where every member's run finished. */
export function ensembleComparisons(runs: readonly LoadedRun[], cells: readonly ResultCell[], clusters: number[][], opts: BootstrapOptions, warnings: string[]): EnsembleOut[] {
  const singles = runs.filter((l) => cellKindOf(l.run) === 'single')
  const out: EnsembleOut[] = []
  for (const cell of cells.filter((c) => c.kind === 'fusion')) {
    const fusions = runs.filter((l) => cell.runIds.includes(l.run.id)).sort((a, b) => a.run.seed - b.run.seed)
    const mode = fusions[0]?.run.fusionMode ?? cell.protocol
    const memberRuns = (seed: number) => cell.encoders.map((e) => singles.find((s) => s.run.target === cell.target && s.run.protocol === mode && s.run.seed === seed && s.run.encoders[0] === e))
    const paired = fusions.map((f) => ({ f, members: memberRuns(f.run.seed) })).filter((p) => p.members.every(Boolean)) as { f: LoadedRun; members: LoadedRun[] }[]
    if (!paired.length) {
      warnings.push(`No ensemble for ${cell.label}: not every member has a finished ${mode} run with the fusion's seed.`)
      continue
    }
    const ens = paired.map((p) => ensembleOf(p.members.map((m) => m.pred)))
    const n = ens[0]!.targets.length
    const all = Array.from({ length: n }, (_, i) => i)
    const auc = (pred: Predictions, rows: readonly number[]) => computeMetric(pred, PRIMARY_METRIC, rows)
    const ts = testSetOf(n, clusters, opts)
    const ensIv = paired.length === 1 ? intervalOf(plainStat(ens[0]!, ts, PRIMARY_METRIC), opts.level) : hierarchicalOf(ens, ts, PRIMARY_METRIC)
    const diff = pairedAcrossSeeds(paired.map((p, s) => ({ a: p.f.pred, b: ens[s]! })), clusters, PRIMARY_METRIC, opts)
    // The best member as H2 picks it: on validation where every member reported it, else on test.
    const memberScores = cell.encoders.map((e, j) => {
      const vals = paired.map((p) => validationValue(p.members[j]!, PRIMARY_METRIC))
      const tests = paired.map((p) => auc(p.members[j]!.pred, all))
      return { encoder: e, val: vals.every((v) => v !== null) ? mean(vals as number[]) : null, test: mean(tests) }
    })
    const byVal = memberScores.every((m) => m.val !== null)
    const best = memberScores.reduce((a, b) => ((byVal ? b.val! > a.val! : b.test > a.test) ? b : a))
    const fm = cell.metrics[PRIMARY_METRIC]
    out.push({
      target: cell.target,
      mode,
      members: cell.encoders,
      fusion: { auc: fm?.mean ?? null, lo: fm?.lo ?? null, hi: fm?.hi ?? null, runIds: paired.map((p) => p.f.run.id) },
      ensemble: { auc: orNull(mean(ens.map((e) => auc(e, all)))), lo: orNull(ensIv.lo), hi: orNull(ensIv.hi) },
      bestMember: { encoder: best.encoder, auc: orNull(best.test), selectedBy: byVal ? 'validation' : 'test' },
      fusionMinusEnsemble: { diff: orNull(diff.estimate), lo: orNull(diff.lo), hi: orNull(diff.hi), p: orNull(diff.p) },
      memberRunIds: paired.flatMap((p) => p.members.map((m) => m.run.id)),
    })
  }
  return out
}
