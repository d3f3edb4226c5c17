// Transfer against pretext progress (docs/evaluations.md): a pretext run saves its encoder at a few
// fractions of its step budget (`pretext.snapshots`, engine/xlab/snapshots.py), and with
// `downstream.snapshotProbes` the planner adds a linear probe of each snapshot on every target, for the
// study's first seed. This module holds what the planner, the job builder and the analysis share.
import type { PathRef, RunSpec } from './spec.ts'

/** The step a snapshot at `fraction` of a `totalSteps` budget is taken at: the nearest step, halves
 *  rounded up, at least 1 (engine/xlab/snapshots.py snapshot_step: the engine names the file by it). */
export function snapshotStep(fraction: number, totalSteps: number): number {
  return Math.max(1, Math.min(totalSteps, Math.floor(fraction * totalSteps + 0.5)))
}

/** The encoder label of a snapshot probe: `rotation/demo-mammo@step12` (the cell's label and the step). */
export const snapshotLabel = (cellLabel: string, step: number) => `${cellLabel}@step${step}`

/** The path placeholder of a snapshot: the pretext run that writes it and the step. */
export const snapshotRef = (pretextRunId: string, step: number): PathRef => ({ $snapshot: pretextRunId, step })

/** The snapshot a downstream run probes (its one encoder is a `$snapshot` placeholder), or null. */
export function snapshotOf(spec: Pick<RunSpec, 'params'>): { pretextRunId: string; step: number } | null {
  const encoders = spec.params.encoders
  if (!Array.isArray(encoders) || encoders.length !== 1) return null
  const ref = encoders[0] as { $snapshot?: unknown; step?: unknown } | null
  return ref && typeof ref.$snapshot === 'string' && typeof ref.step === 'number' ? { pretextRunId: ref.$snapshot, step: ref.step } : null
}
