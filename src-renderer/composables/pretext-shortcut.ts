// A pretext run's final validation beside what unlearned baselines score on the same task and data
// (engine/xlab/shortcut.py, measured before training): a task that a trivial statistic solves teaches
// the encoder little, so the Runs view shows the two side by side, and which way left/right was handled.

/** One baseline's score as the engine records it. */
interface BaselineScore {
  metric: string
  value: number
  chance: number
  normalised: number
}

/** The shortcut fields of a pretext run's summary this reads. */
export interface PretextSummaryLike {
  chance?: { metric?: string; achieved?: number; value?: number } | null
  shortcut?: { stats?: BaselineScore; random_init?: BaselineScore; trivial?: boolean; threshold?: number } | null
  laterality?: { message?: string } | null
}

/** What the Runs view shows for a pretext run, or null when the summary has neither part. */
export interface PretextLine {
  /** "validation accuracy 0.834 (chance 0.250)". */
  achieved: string | null
  /** "unlearned baselines: cheap statistics 0.41, random-init probe 0.52". */
  baselines: string | null
  /** True when the cheap statistics alone solve the task (the engine's threshold). */
  trivial: boolean
  /** The sentence for a trivially solved task, else null. */
  warning: string | null
  /** How left/right was handled. */
  laterality: string | null
}

const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '?')

/** The line for a pretext run's summary (null for other runs and for runs without these fields). */
export function pretextLine(summary: PretextSummaryLike | null | undefined): PretextLine | null {
  if (!summary) return null
  const c = summary.chance
  const s = summary.shortcut
  if (!c && !s && !summary.laterality) return null
  const achieved = c && typeof c.achieved === 'number' ? `validation ${c.metric ?? 'score'} ${num(c.achieved)} (chance ${num(c.value)})` : null
  const parts: string[] = []
  if (s?.stats) parts.push(`cheap statistics ${s.stats.metric} ${num(s.stats.value)}`)
  if (s?.random_init) parts.push(`random-init ResNet-18 probe ${num(s.random_init.value)}`)
  const trivial = Boolean(s?.trivial)
  const share = s?.stats ? Math.round(100 * s.stats.normalised) : 0
  return {
    achieved,
    baselines: parts.length ? `unlearned baselines, before training: ${parts.join(', ')}` : null,
    trivial,
    warning: trivial ? `A trivial statistic solves this task on this dataset (${share}% of the way from chance to perfect): its pretext accuracy says little about what the encoder learned.` : null,
    laterality: summary.laterality?.message ?? null,
  }
}
