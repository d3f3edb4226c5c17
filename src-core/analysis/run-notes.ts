// Report lines about how the runs ran. A classification pretext task (rotation, structure) that
// reached validation accuracy 0.99 was solved early and may teach the encoder little, so the
// comparisons of that cell say less than they seem to. And which BatchNorm statistics each
// downstream protocol used: with pretext statistics in the linear probes and re-estimated ones in
// LP-FT, part of a finetune-vs-linear gap is BatchNorm adaptation, not fine-tuning.
import type { ResultRun } from '../store/results.ts'

/** The engine's `solved_early` record in a pretext run's summary (engine/xlab/train_pretext.py). */
interface SolvedEarly {
  step: number | null
  accuracy: number
}

/** One sentence per finished pretext run flagged as solved early, in run order. */
export function solvedEarlyLines(runs: ResultRun[]): string[] {
  const lines: string[] = []
  for (const r of runs) {
    const flag = r.stage === 'pretext' && r.state === 'done' ? (r.summary?.solved_early as SolvedEarly | null | undefined) : null
    if (!flag) continue
    const steps = typeof r.summary?.steps === 'number' ? ` of ${r.summary.steps}` : ''
    lines.push(`Pretext run ${r.name} (${r.pretext} on ${r.pretrainDataset}) was solved early: validation accuracy ${flag.accuracy.toFixed(3)} at step ${flag.step ?? '?'}${steps}; the task may teach the encoder little.`)
  }
  return lines
}

/** One sentence saying which BatchNorm statistics the finished downstream runs used, per protocol and mode. */
export function batchNormLines(runs: ResultRun[]): string[] {
  const used = new Map<string, Set<string>>()
  for (const r of runs) {
    const bn = r.stage === 'downstream' && r.state === 'done' ? r.summary?.batchnorm : undefined
    if (typeof bn !== 'string') continue
    const key = `${r.fusionMode ? `fusion ${r.fusionMode}` : r.protocol}`
    if (!used.has(key)) used.set(key, new Set())
    used.get(key)!.add(bn)
  }
  if (!used.size) return []
  const parts = [...used].map(([k, v]) => `${k}: ${[...v].join(' / ')}`)
  const mixed = used.get('linear')?.has('pretext') && [...used.values()].some((v) => v.has('adabn, then trained'))
  return [`BatchNorm statistics by protocol (pretext = those of the pretraining data, adabn = re-estimated on the downstream train images): ${parts.join('; ')}.` +
    (mixed ? ' Part of the difference between fine-tuning and linear probing is therefore BatchNorm adaptation; downstream.linearBatchNorm adabn removes it.' : '')]
}
