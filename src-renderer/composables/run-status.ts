// What a run is doing right now, in words, with a sensible fraction and ETA for every kind of run,
// and how far a whole study is: from the run states, start/finish times and progress events.
import { formatDuration } from './format.ts'
import { progressFraction, type ProgressLike } from './progress.ts'

/** The fields of a run this needs. */
export interface RunTimes {
  /** Run state. */
  state: string
  /** Pipeline stage (pretext / extract / downstream / probe). */
  stage: string
  /** ISO start time, null until started. */
  startedAt: string | null
  /** ISO finish time. */
  finishedAt: string | null
}

/** A progress event's fields this needs. */
export interface PhaseProgress extends ProgressLike {
  /** train / val / test / features. */
  stage: string
  /** Worker's own ETA of the current stage, seconds. */
  etaS: number | null
}

/** What the run is doing: label, fraction (null: not measurable yet) and ETA (null: unknown). */
export interface RunPhase {
  /** "starting", "training", "evaluating", "extracting features", "finishing". */
  label: string
  /** Fraction done in [0, 1], or null while it cannot be known. */
  fraction: number | null
  /** Seconds left, or null. */
  etaS: number | null
}

const STAGE_WORDS: Record<string, string> = { train: 'training', val: 'evaluating (validation)', test: 'evaluating (test)', features: 'extracting features' }

/** Seconds between two ISO times (or until now). */
export function secondsBetween(from: string | null, to: string | null, now = Date.now()): number | null {
  if (!from) return null
  const a = Date.parse(from)
  const b = to ? Date.parse(to) : now
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : null
}

/** Phase of a running run. Before the first progress event it is starting (loading data); once a
 *  stage reports 100% while the run still runs (a linear probe's head, writing outputs) it is
 *  finishing, with no ETA rather than "ETA 0 s". */
export function runPhase(run: RunTimes, p: PhaseProgress | undefined): RunPhase {
  if (run.state !== 'running') return { label: run.state, fraction: run.state === 'done' ? 1 : null, etaS: null }
  if (!p) return { label: 'starting: loading the data and the model', fraction: null, etaS: null }
  const fraction = progressFraction(p)
  const word = STAGE_WORDS[p.stage] ?? p.stage
  if (fraction >= 1) return { label: `finishing (${word} done, writing results)`, fraction: null, etaS: null }
  // Features and evaluation are one pass: their ETA is the worker's; training's covers all epochs.
  return { label: word, fraction, etaS: p.etaS }
}

/** A study's progress: runs done of all, and an ETA from the measured durations of its finished
 *  runs per stage (mean), spread over the device slots. */
export function studyProgress(runs: readonly RunTimes[], slots: number, now = Date.now()): { done: number; total: number; failed: number; running: number; etaS: number | null } {
  const done = runs.filter((r) => r.state === 'done').length
  const failed = runs.filter((r) => r.state === 'failed' || r.state === 'cancelled').length
  const running = runs.filter((r) => r.state === 'running').length
  const perStage = new Map<string, number[]>()
  for (const r of runs) {
    const s = r.state === 'done' ? secondsBetween(r.startedAt, r.finishedAt, now) : null
    if (s !== null) perStage.set(r.stage, [...(perStage.get(r.stage) ?? []), s])
  }
  const all = [...perStage.values()].flat()
  if (all.length === 0) return { done, total: runs.length, failed, running, etaS: null }
  const overall = all.reduce((a, b) => a + b, 0) / all.length
  const mean = (stage: string) => {
    const xs = perStage.get(stage)
    return xs ? xs.reduce((a, b) => a + b, 0) / xs.length : overall
  }
  let left = 0
  for (const r of runs) {
    if (r.state === 'queued' || r.state === 'paused' || r.state === 'interrupted') left += mean(r.stage)
    else if (r.state === 'running') left += Math.max(0, mean(r.stage) - (secondsBetween(r.startedAt, null, now) ?? 0))
  }
  return { done, total: runs.length, failed, running, etaS: left / Math.max(1, slots) }
}

/** "3 min 05 s" for a done run, "running 42 s" for a running one, em dash otherwise. */
export function durationText(run: RunTimes, now = Date.now()): string {
  const s = secondsBetween(run.startedAt, run.finishedAt, now)
  if (s === null) return '—'
  return run.state === 'running' ? `running ${formatDuration(s)}` : formatDuration(s)
}

/** Which study controls make sense in a study state (the others are disabled). */
export function studyControls(state: string | undefined): { pause: boolean; resume: boolean; cancel: boolean } {
  return {
    pause: state === 'running',
    resume: state === 'paused' || state === 'cancelled' || state === 'failed' || state === 'draft',
    cancel: state === 'running' || state === 'paused',
  }
}
