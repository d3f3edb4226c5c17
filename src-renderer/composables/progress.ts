// How far a run is from its last progress event. The engine counts epochs from 1 and steps
// within the current epoch.

/** The fields of a progress event this needs. */
export interface ProgressLike {
  /** Current epoch, from 1. */
  epoch: number
  /** Epochs in total. */
  epochs: number
  /** Step within the epoch. */
  step: number
  /** Steps per epoch. */
  steps: number
}

/** Fraction done in [0, 1]. */
export function progressFraction(p: ProgressLike): number {
  if (!p.epochs || !p.steps) return 0
  return Math.min(1, (Math.max(0, p.epoch - 1) + Math.min(1, p.step / p.steps)) / p.epochs)
}
