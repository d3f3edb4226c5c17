// The plain-language summary: sentences written from the numbers, never from expectations, and the
// caveats that bound what they can mean.
import type { StudyAnalysis } from '../api/results.ts'

/** The metric the summary leads with (threshold-free, robust to class imbalance). */
export const PRIMARY_METRIC = 'roc_auc'

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3))
const pf = (p: number | null | undefined) => (p === null || p === undefined ? 'n/a' : p < 0.001 ? '< 0.001' : p.toFixed(3))
const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${Math.round(x * 100)}%`)

/** Summary paragraphs and caveats for an analysis whose numbers are already filled in. */
export function writeSummary(a: Omit<StudyAnalysis, 'summary' | 'caveats'>, context: { synthetic: boolean; seeds: number[]; datasets: string[] }): { summary: string[]; caveats: string[] } {
  const summary: string[] = []
  const m = PRIMARY_METRIC
  if (!a.cells.length) {
    summary.push('No downstream run of this study has finished with test predictions yet, so there is nothing to analyse. Start or resume the study and build the report again when runs are done.')
  }
  for (const target of [...new Set(a.cells.map((c) => c.target))]) {
    const ranked = a.cells.filter((c) => c.target === target && c.metrics[m]?.mean != null).sort((x, y) => y.metrics[m]!.mean! - x.metrics[m]!.mean!)
    const best = ranked[0]
    const scratch = a.cells.find((c) => c.target === target && c.kind === 'scratch')
    if (!best) continue
    let s = `For the ${target} task the best configuration is ${best.label} with ROC-AUC ${f3(best.metrics[m]!.mean)} (95% CI ${f3(best.metrics[m]!.lo)}-${f3(best.metrics[m]!.hi)}).`
    if (scratch && scratch !== best) {
      const sm = scratch.metrics[m]!
      const beats = ranked.filter((c) => c.kind !== 'scratch' && c.metrics[m]!.lo != null && sm.hi != null && c.metrics[m]!.lo! > sm.hi!).length
      s += ` Training from scratch reaches ${f3(sm.mean)}; ${beats} of ${ranked.length - 1} other configurations have an interval wholly above the scratch interval.`
    }
    summary.push(s)
  }

  const anovas = a.h1.anova.filter((t) => t.metric === m)
  for (const t of anovas) {
    const eta = (src: string) => t.rows.find((r) => r.source === src)?.etaSq ?? null
    const ep = eta('pretext')
    const ed = eta('dataset')
    const larger = ep !== null && ed !== null ? (ep > ed ? 'the pretext task' : ed > ep ? 'the pretraining dataset' : null) : null
    const pOf = (src: string) => t.rows.find((r) => r.source === src)?.p ?? null
    const pp = pOf('pretext')
    const pd = pOf('dataset')
    const significant = [pp, pd].some((p) => p !== null && p < 0.05)
    const verdict = !larger
      ? '.'
      : pp === null && pd === null
        ? `; ${larger} has the larger share, but there are no degrees of freedom left to test it.`
        : significant
          ? `; ${larger} has the larger share.`
          : `; ${larger} has the larger share, though neither effect is significant at 0.05.`
    summary.push(
      `H1, ${t.target} ${t.protocol}: the pretext task accounts for ${pct(ep)} of the variance in ROC-AUC (p ${pf(pp)}) and the pretraining dataset for ${pct(ed)} (p ${pf(pd)})` +
        verdict +
        (t.interactionSeparated ? ` Their interaction accounts for ${pct(eta('pretext x dataset'))}.` : ''),
    )
  }
  for (const setting of [...new Set(a.h1.correlations.filter((c) => c.metric === m).map((c) => `${c.target}|${c.protocol}`))]) {
    const [target, protocol] = setting.split('|')
    const cs = a.h1.correlations.filter((c) => c.metric === m && c.target === target && c.protocol === protocol && c.rho !== null)
    const fr = cs.find((c) => c.family === 'similarity' && c.variable === 'frechet')
    const inv = cs.filter((c) => c.family === 'invariance').sort((x, y) => Math.abs(y.rho!) - Math.abs(x.rho!))[0]
    const parts: string[] = []
    if (fr) {
      const strength = Math.abs(fr.rho!) < 0.3 ? 'hardly related to' : fr.rho! < 0 ? 'higher' : 'lower'
      const evidence = fr.p !== null && fr.p < 0.05 ? '' : ', not significant'
      const lead = strength === 'hardly related to'
        ? 'ROC-AUC is hardly related to how close the pretraining data are to the chest images'
        : `ROC-AUC tends to be ${strength} for encoders pretrained on data closer to the chest images`
      parts.push(`${lead} (Spearman rho with the Fréchet distance ${f3(fr.rho)} over ${fr.n} encoders, p ${pf(fr.p)}${evidence}; a negative rho means similarity helps)`)
    }
    if (inv) parts.push(`the strongest invariance link is ${inv.variable}: ROC-AUC is ${inv.rho! > 0 ? 'higher' : 'lower'} for encoders more invariant to it (rho ${f3(inv.rho)}, p ${pf(inv.p)}${inv.p !== null && inv.p < 0.05 ? '' : ', not significant'})`)
    if (parts.length) summary.push(`H1, ${target} ${protocol}: ${parts.join('; ')}.`)
  }

  // One overall H1 sentence: count the settings where the task-side evidence outweighs the data side.
  if (anovas.length) {
    const share = (t: (typeof anovas)[number], src: string) => t.rows.find((r) => r.source === src)?.etaSq ?? 0
    const pretextWins = anovas.filter((t) => share(t, 'pretext') > share(t, 'dataset')).length
    const settings = [...new Set(a.h1.correlations.filter((c) => c.metric === m).map((c) => `${c.target}|${c.protocol}`))]
    const invWins = settings.filter((st) => {
      const cs = a.h1.correlations.filter((c) => c.metric === m && `${c.target}|${c.protocol}` === st && c.rho !== null)
      const sim = Math.max(0, ...cs.filter((c) => c.family === 'similarity').map((c) => Math.abs(c.rho!)))
      const inv = Math.max(0, ...cs.filter((c) => c.family === 'invariance').map((c) => Math.abs(c.rho!)))
      return inv > sim
    }).length
    const significantPretext = anovas.filter((t) => (t.rows.find((r) => r.source === 'pretext')?.p ?? 1) < 0.05).length
    const comparison = pretextWins * 2 > anovas.length ? 'more than' : pretextWins * 2 === anovas.length ? 'about as much as' : 'less than'
    summary.push(
      `H1 overall: the pretext task explains more of the ROC-AUC variance than the pretraining dataset in ${pretextWins} of ${anovas.length} target x protocol settings` +
        (settings.length ? `, and an invariance correlates more strongly with ROC-AUC than any similarity distance in ${invWins} of ${settings.length}` : '') +
        `. In this study the pretext task, and the invariance it induces, appears to matter ${comparison} domain similarity` +
        ` (the pretext effect is significant at 0.05 in ${significantPretext} of ${anovas.length} settings${settings.length ? '' : '; no probe results yet, so the pretraining dataset stands in for similarity'}); see the caveats before generalising.`,
    )
  }

  const h2 = a.h2.filter((c) => c.metric === m)
  if (h2.length) {
    const count = (v: string) => h2.filter((c) => c.difference.verdict === v).length
    const holm = (v: string) => h2.filter((c) => c.holm.verdict === v).length
    const best = [...h2].sort((x, y) => (y.difference.estimate ?? -Infinity) - (x.difference.estimate ?? -Infinity))[0]!
    summary.push(
      `H2: of ${h2.length} fusion comparisons (set x mode x target), ${count('better')} beat their best single member on ROC-AUC, ${count('no evidence')} show no evidence either way and ${count('worse')} are worse` +
        (h2.length > 1 ? `; after Holm's correction for the ${h2.length} comparisons, ${holm('better')} better and ${holm('worse')} worse remain. ` : '. ') +
        `The largest difference is ${best.encoders.join(' + ')} (${best.target}, ${best.mode}): ${f3(best.difference.estimate)} (95% CI ${f3(best.difference.lo)} to ${f3(best.difference.hi)}).`,
    )
  }

  const caveats: string[] = []
  if (context.synthetic) caveats.push('The demo datasets are procedurally generated stand-ins; these numbers show that the pipeline works, not how real radiographs behave.')
  if (context.seeds.length < 3) caveats.push(`Only ${context.seeds.length} seed${context.seeds.length === 1 ? '' : 's'} per cell: seed-to-seed variation is ${context.seeds.length === 1 ? 'unknown' : 'barely estimated'}, and intervals cover test-set sampling only.`)
  if (context.datasets.length < 5) caveats.push(`With ${context.datasets.length} pretraining dataset${context.datasets.length === 1 ? '' : 's'}, a correlation with similarity rests on very few distinct similarity values; treat rank correlations as descriptive.`)
  caveats.push('Spearman p-values use the t approximation, which is rough for under ten points, and are not corrected for the many correlations; H2 verdicts are given per comparison and after Holm\'s correction.')
  if (a.h2.some((c) => c.perSeed.some((s) => s.selectedBy === 'test'))) caveats.push('For some H2 comparisons a member had no validation value, so the best member was chosen on the test images, which favours the member.')
  if (a.bootstrap.unit === 'image') caveats.push('No patient ids were found, so intervals resample single images and may be too narrow if patients have several images.')
  return { summary, caveats }
}
