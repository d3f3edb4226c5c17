// A run's spec: the engine job it will become, minus anything that depends on where things live.
// Paths are written as references ({"$dataset": name}, {"$encoder": runId}, ...) and resolved only
// when the run starts (runner/job-builder.ts), so the content hash of a spec names the work itself
// and a finished run is reused by any study, now or after an edit, that asks for the same work.
import { createHash } from 'node:crypto'

export type Stage = 'pretext' | 'extract' | 'downstream' | 'probe'

/** A placeholder for a path, resolved by the job builder. */
export type PathRef =
  /** The cache folder of a dataset, by name. */
  | { $dataset: string }
  /** The encoder `.pth` written by an extract run. */
  | { $encoder: string }
  /** The best (else last) checkpoint of a pretext run. */
  | { $checkpoint: string }
  /** A sub-folder of this run's own folder. */
  | { $runDir: string }
  /** The stored file of an imported reference encoder, by name (`xlab encoders list`). */
  | { $reference: string }
  /** The encoder snapshot a pretext run wrote at `step` (study/snapshots.ts). */
  | { $snapshot: string; step: number }

/** What the engine will be asked to do. */
export interface RunSpec {
  /** Engine job kind. */
  kind: Stage
  /** Seed of the job. */
  seed: number
  /** Engine job params; path-valued fields hold PathRef placeholders. */
  params: Record<string, unknown>
  /** Content checksums of the datasets it reads and the engine version (study/provenance.ts); part of the hash, not of the engine job. */
  provenance?: { engine: string; datasets: Record<string, string | null>; references?: Record<string, string | null> }
}

/** Bump when the meaning of a spec changes, so old results are not reused by mistake. */
export const SPEC_VERSION = 1

/** JSON with sorted keys, so equal specs hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** The content hash of a spec (sha256 hex). Referenced runs enter through their ids, which are hashes too. */
export function specHash(spec: RunSpec): string {
  return createHash('sha256').update(canonicalJson({ v: SPEC_VERSION, ...spec })).digest('hex')
}

/** The run id that belongs to a spec hash: stable, short, and the same in every study. */
export function runIdFor(hash: string): string {
  return `r-${hash.slice(0, 12)}`
}
