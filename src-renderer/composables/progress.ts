// How far a run is from its last progress event. The engine counts epochs (or validation rounds)
// from 1 and steps over the whole run.

/** The fields of a progress event this needs. */
export interface ProgressLike {
  /** Current epoch, from 1. */
  epoch: number
  /** Epochs in total. */
  epochs: number
  /** Steps done in the run (the global step). */
  step: number
  /** Steps of the whole run. */
  steps: number
}

/** Fraction done in [0, 1]. */
export function progressFraction(p: ProgressLike): number {
  if (!p.epochs || !p.steps) return 0
  return Math.min(1, Math.max(0, p.step / p.steps))
}
