// Report lines about the pretext runs themselves: a classification pretext task (rotation,
// structure) that reached validation accuracy 0.99 was solved early and may teach the encoder
// little, so the study's comparisons of that cell say less than they seem to.
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
