// The plain-language summary: a short list of verdicts, one line per rule (verdict-rules.ts), each
// with its number, interval and corrected p, and the caveats that bound what they can mean. Never
// a sentence that is not a rule applied to a corrected test.
import type { SelectionOut, StudyAnalysis, VerdictOut } from '../api/results.ts'
import { smallSampleCaveats } from './samples.ts'

export { PRIMARY_METRIC } from './verdict-rules.ts'

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3))

/** What the caveats depend on beyond the analysis itself. */
export interface SummaryContext {
  /** Datasets whose own metadata says they were generated (demo stand-ins), by name. */
  generated: string[]
  /** Seeds of the analysed runs. */
  seeds: number[]
  /** Pretraining datasets of the study. */
  datasets: string[]
}

type Base = Omit<StudyAnalysis, 'summary' | 'caveats'>

/** One line for a rule whose verdicts cover several scopes: the claimed ones named, the rest counted. */
function grouped(label: string, vs: readonly VerdictOut[]): string | null {
  if (!vs.length) return null
  const claimed = vs.filter((v) => v.outcome === 'claimed')
  const untestable = vs.filter((v) => v.outcome === 'not testable')
  if (vs.length === 1) return `${label}: ${vs[0]!.sentence}`
  if (claimed.length) return `${label}: ${claimed.map((v) => v.sentence).join(' ')} ${vs.length - claimed.length ? `No evidence in the other ${vs.length - claimed.length} of ${vs.length}.` : ''}`.trim()
  if (untestable.length === vs.length) return `${label}: ${vs[0]!.sentence} The same holds in the other ${vs.length - 1} setting${vs.length === 2 ? '' : 's'}.`
  // Nothing survives: show the closest call so the reader sees how far from the line it is.
  const closest = [...vs].filter((v) => v.pAdjusted !== null).sort((a, b) => a.pAdjusted! - b.pAdjusted!)[0] ?? vs[0]!
  return `${label}: no evidence either way in any of ${vs.length} settings; closest: ${closest.sentence.replace(/^No evidence either way that /, '')}`
}

function bestLine(sel: SelectionOut, scratchSentence: string | undefined): string {
  return `Best ${sel.target} configuration (chosen on validation ROC-AUC from ${sel.chosenFrom}): ${sel.label}, test ROC-AUC ${f3(sel.test.mean)} [${f3(sel.test.lo)}, ${f3(sel.test.hi)}].${scratchSentence ? ` ${scratchSentence}` : ''}`
}

/** Summary lines and caveats for an analysis whose numbers and verdicts are filled in. */
export function writeSummary(a: Base, context: SummaryContext): { summary: string[]; caveats: string[] } {
  const summary: string[] = []
  if (!a.cells.length) {
    summary.push('No downstream run of this study has finished with test predictions yet, so there is nothing to analyse. Start or resume the study and build the report again when runs are done.')
  }
  const by = (rule: VerdictOut['rule']) => a.verdicts.filter((v) => v.rule === rule)
  for (const sel of a.selection.filter((s) => s.protocol === 'any')) {
    summary.push(bestLine(sel, by('beats-scratch').find((v) => v.scope === sel.target)?.sentence))
  }
  const untested = (vs: readonly VerdictOut[]) => vs.length > 0 && vs.every((v) => v.outcome === 'not testable')
  const h2 = by('h2-fusion')
  if (untested(h2)) {
    const largest = [...h2].sort((x, y) => (y.estimate ?? -Infinity) - (x.estimate ?? -Infinity))[0]!
    summary.push(`H2 (fusion vs its best member, ${h2.length} comparisons): not testable with one seed; training noise is unmeasured, so no verdict is claimed. Test-sampling intervals alone: largest difference ${largest.scope}, ${f3(largest.estimate)} [${f3(largest.lo)}, ${f3(largest.hi)}].`)
  } else if (h2.length) {
    const better = h2.filter((v) => v.outcome === 'claimed' && (v.estimate ?? 0) > 0)
    const worse = h2.filter((v) => v.outcome === 'claimed' && (v.estimate ?? 0) < 0)
    const largest = [...h2].sort((x, y) => (y.estimate ?? -Infinity) - (x.estimate ?? -Infinity))[0]!
    summary.push(
      `H2 (fusion vs its best member, ${h2.length} comparisons, Holm): ${better.length} better, ${worse.length} worse, ${h2.length - better.length - worse.length} no evidence either way. ` +
        `Largest difference: ${largest.scope}, ${f3(largest.estimate)} [${f3(largest.lo)}, ${f3(largest.hi)}], Holm p ${largest.pAdjusted === null ? 'n/a' : largest.pAdjusted < 0.001 ? '< 0.001' : largest.pAdjusted.toFixed(3)}.`,
    )
  }
  for (const [rule, label] of [
    ['h1-task', 'H1, pretext task'],
    ['h1-invariance', 'H1, invariance'],
    ['h1-similarity', 'H1, similarity'],
  ] as const) {
    const line = grouped(label, by(rule))
    if (line) summary.push(line)
  }
  const overall = by('h1-overall')[0]
  if (overall) summary.push(overall.sentence)
  const ri = by('beats-random-init')
  if (untested(ri)) {
    const above = ri.filter((v) => (v.lo ?? -Infinity) > 0).length
    const below = ri.filter((v) => (v.hi ?? Infinity) < 0).length
    summary.push(`Against a frozen random-init ResNet-18 (${ri.length} comparisons of pretext encoders): not testable with one seed; training noise is unmeasured, so no verdict is claimed. Test-sampling intervals alone lie above 0 in ${above}, below 0 in ${below}, across 0 in ${ri.length - above - below} (descriptive).`)
  } else if (ri.length) {
    const beats = ri.filter((v) => v.outcome === 'claimed' && (v.estimate ?? 0) > 0)
    const loses = ri.filter((v) => v.outcome === 'claimed' && (v.estimate ?? 0) < 0)
    summary.push(`Against a frozen random-init ResNet-18 (${ri.length} comparisons of pretext encoders, Holm): ${beats.length} beat it, ${loses.length} lose to it, ${ri.length - beats.length - loses.length} no evidence either way.`)
  }
  for (const e of a.ensembles ?? []) {
    summary.push(`Fusion vs the ensemble of its members (${e.target} ${e.mode} ${e.members.join(' + ')}): fusion ${f3(e.fusion.auc)}, ensemble ${f3(e.ensemble.auc)}, fusion − ensemble ${f3(e.fusionMinusEnsemble.diff)} [${f3(e.fusionMinusEnsemble.lo)}, ${f3(e.fusionMinusEnsemble.hi)}] (descriptive).`)
  }
  const started = (a.runs ?? []).filter((r) => r.extras?.finetuneStart)
  const below = started.filter((r) => r.extras.finetuneStart!.below)
  if (below.length) summary.push(`Fine-tuning ended below the linear probe it started from in ${below.length} of ${started.length} run(s) (${below.map((r) => r.name).join(', ')}): there the fine-tuning budget did not suffice and the linear probe is the better model; these fine-tuning results are not a property of the protocol.`)
  else if (started.length) summary.push(`Every fine-tuning run (${started.length}) ended at or above the linear probe it started from.`)
  const sup = (a.baselines ?? []).filter((b) => b.kind === 'supervised')
  if (sup.length) {
    const best = [...sup].sort((x, y) => (y.auc ?? -Infinity) - (x.auc ?? -Infinity))[0]!
    summary.push(`Supervised reference (the same ResNet-18 trained with each pretraining set's labels under the pretext budget, ${sup.length} row(s)): best ${best.encoder} ${best.target} ${best.protocol}, ROC-AUC ${f3(best.auc)} [${f3(best.lo)}, ${f3(best.hi)}] (descriptive).`)
  }
  const swept = (a.runs ?? []).filter((r) => r.extras?.headSweep).length
  if (swept) summary.push(`The linear heads of ${swept} run(s) were chosen from a grid of learning rates and weight decays on validation, never on test.`)

  const caveats: string[] = []
  if (context.generated.length) caveats.push(`${context.generated.join(', ')} ${context.generated.length === 1 ? 'was' : 'were'} procedurally generated (as ${context.generated.length === 1 ? 'its' : 'their'} own metadata records); these numbers show that the pipeline works, not how real radiographs behave.`)
  const k = context.seeds.length
  if (k <= 1) caveats.push('One seed per configuration: intervals cover test-set sampling only; training randomness (pretraining and downstream) is not in them, so no verdict comparing two trained models (fusion, beats scratch, beats random-init) is claimed. Run 3 or more seeds to test them.')
  else caveats.push(`${k} seeds per configuration: intervals include seed-to-seed variation (hierarchical bootstrap, seeds then patients), but ${k} seeds estimate that variation only roughly${k < 5 ? ', so the seed part of every interval is itself uncertain' : ''}.`)
  if (context.datasets.length < 4) caveats.push(`With ${context.datasets.length} pretraining dataset${context.datasets.length === 1 ? '' : 's'} the similarity relation rests on ${context.datasets.length} points: it is descriptive, and no test of it can reach 0.05.`)
  caveats.push(...smallSampleCaveats(a.sampleSizes))
  for (const flag of a.flags) caveats.push(flag.message)
  if (a.h2.some((c) => c.perSeed.some((s) => s.selectedBy === 'test'))) caveats.push('For some H2 comparisons a member had no validation value, so the best member was chosen on the test images, which favours the member.')
  if (a.bootstrap.unit === 'image') caveats.push('No patient ids were found, so intervals resample single images and may be too narrow if patients have several images.')
  return { summary, caveats }
}
