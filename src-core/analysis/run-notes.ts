// Report lines about how the runs ran. A classification pretext task (rotation, structure) that
// reached validation accuracy 0.99 was solved early and may teach the encoder little, so the
// comparisons of that cell say less than they seem to. And which BatchNorm statistics each
// downstream protocol used: with pretext statistics in the linear probes and re-estimated ones in
// LP-FT, part of a finetune-vs-linear gap is BatchNorm adaptation, not fine-tuning. And which pretext
// cells a trivial statistic solves (the shortcut score the engine measures before training).
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

/** The engine's `shortcut` record in a pretext run's summary (engine/xlab/shortcut.py). */
interface ShortcutRecord {
  stats?: { metric: string; value: number; chance: number; normalised: number }
  random_init?: { value: number }
  trivial?: boolean
}

/** One finished pretext run's shortcut score, as the report's H1 section lists it. */
export interface ShortcutCell {
  /** Run name. */
  run: string
  /** Pretext task. */
  pretext: string
  /** Pretraining dataset. */
  dataset: string
  /** Seed. */
  seed: number
  /** The task's measure (accuracy, auc, hole_l1). */
  metric: string
  /** What an unlearned guess scores on it. */
  chance: number
  /** The cheap-statistic regression's held-out score. */
  stats: number
  /** How far that lies from chance (0) to perfect (1). */
  normalised: number
  /** The random-init ResNet-18 probe's held-out score, when measured. */
  randomInit: number | null
  /** The run's own final validation value of the same measure. */
  achieved: number | null
  /** True when the cheap statistics alone solve the task (at least 0.9 of the way). */
  trivial: boolean
}

/** The shortcut score of every finished pretext run that has one, in run order. */
export function shortcutCells(runs: readonly ResultRun[]): ShortcutCell[] {
  const out: ShortcutCell[] = []
  for (const r of runs) {
    const sc = r.stage === 'pretext' && r.state === 'done' ? (r.summary?.shortcut as ShortcutRecord | null | undefined) : null
    if (!sc?.stats) continue
    const chance = r.summary?.chance as { achieved?: number; metric?: string } | null | undefined
    out.push({
      run: r.name, pretext: r.pretext ?? '?', dataset: r.pretrainDataset ?? '?', seed: r.seed, metric: sc.stats.metric, chance: sc.stats.chance,
      stats: sc.stats.value, normalised: sc.stats.normalised, randomInit: sc.random_init?.value ?? null,
      achieved: typeof chance?.achieved === 'number' ? chance.achieved : null, trivial: Boolean(sc.trivial),
    })
  }
  return out
}

/** One sentence per pretext run whose task a trivial statistic solves. */
export function shortcutLines(cells: readonly ShortcutCell[]): string[] {
  return cells.filter((c) => c.trivial).map((c) => `Pretext run ${c.run} (${c.pretext} on ${c.dataset}): a regression on 24 cheap image statistics solves the task before any training (${c.metric} ${c.stats.toFixed(3)}, chance ${c.chance.toFixed(3)}); its pretext accuracy says little about what the encoder learned.`)
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
