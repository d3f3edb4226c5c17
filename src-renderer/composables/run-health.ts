// A running job's health from its progress events: throughput, elapsed and remaining time (the
// worker's own measured pace), the memory it holds, and whether it has gone quiet.

/** The progress fields this needs. */
export interface HealthProgress {
  /** Training images/s over the last interval. */
  imagesPerSec: number | null
  /** Seconds left at the run's own pace so far (engine: remaining steps x wall time per step of this process). */
  etaS: number | null
  /** MiB the worker holds (accelerator memory, or resident set on CPU). */
  memoryMb?: number | null
}

/** What the Runs view shows of a running run. */
export interface RunHealth {
  imagesPerSec: number | null
  elapsedS: number | null
  remainingS: number | null
  memoryMb: number | null
  /** Minutes without a progress event, once that is at least the stall threshold; null while it reports. */
  quietMin: number | null
}

/** Seconds without progress after which a running run is flagged (a step, even on a slow CPU, takes seconds). */
export const QUIET_AFTER_S = 180

/**
 * Health of a running run. `lastSeenMs`: when its latest progress event arrived, else when it started
 * or when this view began watching, whichever is later (a view opened mid-run has not seen one yet).
 */
export function runHealth(startedAt: string | null, p: HealthProgress | undefined, lastSeenMs: number, now = Date.now()): RunHealth {
  const started = startedAt ? Date.parse(startedAt) : NaN
  const quietS = (now - lastSeenMs) / 1000
  return {
    imagesPerSec: p?.imagesPerSec ?? null,
    elapsedS: Number.isFinite(started) ? Math.max(0, (now - started) / 1000) : null,
    remainingS: p?.etaS ?? null,
    memoryMb: p?.memoryMb ?? null,
    quietMin: quietS >= QUIET_AFTER_S ? Math.floor(quietS / 60) : null,
  }
}

/** "812 MiB" / "3.4 GiB". */
export function memoryText(mb: number | null): string {
  if (mb === null) return '—'
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${Math.round(mb)} MiB`
}
