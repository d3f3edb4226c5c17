// Turns a run's spec into the engine job JSON (docs/architecture.md "Engine jobs and protocol"):
// path placeholders become absolute paths at the moment the run starts, so a spec can be planned
// before its datasets are imported or its encoders exist.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { encodersRootOfRunDir, fileSha256Sync, readManifest, referenceDir } from '../encoders/reference-files.ts'
import type { RunRecord } from '../store/runs.ts'
import { datasetContentChecksum } from '../study/provenance.ts'
import { engineJob } from './worker-messages.ts'

/** What the runner needs to know about a dataset (a subset of the datasets store's record). */
export interface DatasetInfo {
  /** Stable id, e.g. `ds-1a2b3c4d`. */
  id: string
  /** Unique name. */
  name: string
  /** The cache folder. */
  dir: string
  /** Import state; only `ready` datasets can be trained on. */
  status: string
}

/** Finds a dataset by name or id; null when there is none. */
export type DatasetResolver = (key: string) => DatasetInfo | null

/** The engine job file. */
export interface EngineJob {
  /** Protocol version. */
  v: 1
  /** Job kind. */
  kind: string
  /** The run this job belongs to. */
  run_id: string
  /** Absolute run folder (checkpoints, logs, outputs). */
  run_dir: string
  /** Seed. */
  seed: number
  /** `auto`, `cpu` or `cuda`. */
  device: string
  /** Deterministic algorithms (slower). */
  deterministic: boolean
  /** torch threads (0 = torch's default). */
  threads: number
  /** Kind-specific params with absolute paths. */
  params: Record<string, unknown>
}

/** Reads other runs' outputs when a spec references them. */
export interface RunLookup {
  /** A run by id. */
  run(id: string): RunRecord | null
}

export class JobBuildError extends Error {}

/** The encoder `.pth` an extract run wrote (`encoders/encoder__<pretext>__<dataset>__s<seed>.pth`). */
export function encoderPathOf(run: RunRecord): string {
  const dir = join(run.runDir, 'encoders')
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('encoder__') && f.endsWith('.pth')) : []
  if (files.length !== 1) throw new JobBuildError(`Extract run ${run.name} (${run.id}) has ${files.length} encoder .pth files in ${dir}, expected one; retry that run.`)
  return join(dir, files[0]!)
}

/** The checkpoint a pretext run leaves for extraction: best.pth, else last.pth. */
export function checkpointPathOf(run: RunRecord): string {
  for (const f of ['best.pth', 'last.pth']) if (existsSync(join(run.runDir, f))) return join(run.runDir, f)
  // A done run without weights: they were reclaimed (storage pretext-weights) once its encoder was
  // extracted, or deleted by hand. Only training it again gives weights to extract from.
  if (run.state === 'done') {
    throw new JobBuildError(
      `Pretext run ${run.name} (${run.id}) no longer has its weights (best.pth in ${run.runDir}): they were reclaimed as pretext-weights after an earlier extraction, or deleted, and this extraction needs them. Resume the study (xlab study resume NAME) to train that pretext run again from step 0, or retry it alone in the app's Runs view; this extraction then follows it.`,
    )
  }
  throw new JobBuildError(`Pretext run ${run.name} (${run.id}) has no best.pth or last.pth in ${run.runDir}; retry that run.`)
}

/** The encoder snapshot a pretext run wrote at `step` (`snapshots/encoder__<pretext>__<dataset>__s<seed>__step<N>.pth`). */
export function snapshotPathOf(run: RunRecord, step: number): string {
  const dir = join(run.runDir, 'snapshots')
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('encoder__') && f.endsWith(`__step${step}.pth`)) : []
  if (files.length !== 1) throw new JobBuildError(`Pretext run ${run.name} (${run.id}) has ${files.length} encoder snapshots of step ${step} in ${dir}, expected one; retry that pretext run (it writes its snapshots again).`)
  return join(dir, files[0]!)
}

/** Finds a reference encoder's stored file by name: its path and sha256; null when none is stored. */
export type ReferenceResolver = (name: string) => { path: string; sha256: string } | null

/** The stored reference encoders of the data root a run folder lies in (`<root>/encoders/<name>/reference.json`). */
export function fileReferenceResolver(run: Pick<RunRecord, 'runDir'>): ReferenceResolver {
  return (name) => readManifest(referenceDir(encodersRootOfRunDir(run.runDir), name))
}

/** The weights file of reference encoder `name` for `run`, checked against the checksum it was planned with. */
export function referencePathOf(run: RunRecord, name: string, resolve: ReferenceResolver): string {
  const planned = run.spec.provenance?.references?.[name]
  const stored = resolve(name)
  if (!stored || !existsSync(stored.path)) throw new JobBuildError(`Reference encoder "${name}" is not imported in this lab. Import it (xlab encoders import FILE --name ${name}), then plan the study again (xlab study create NAME) and resume.`)
  if (!planned) throw new JobBuildError(`Reference encoder "${name}" was not imported when ${run.name} was planned. Plan the study again (xlab study create NAME) so its runs record the encoder's checksum, then resume.`)
  // The bytes are hashed, not the manifest trusted: a replaced file must not pass as the planned weights.
  const now = fileSha256Sync(stored.path)
  if (now !== planned) throw new JobBuildError(`Reference encoder "${name}" has other weights than when ${run.name} was planned (sha256 ${planned.slice(0, 12)}, now ${now.slice(0, 12)}). Plan the study again to get runs for these weights.`)
  return stored.path
}

export function buildJob(run: RunRecord, opts: { datasets: DatasetResolver; runs: RunLookup; device: string; threads: number; references?: ReferenceResolver }): EngineJob {
  const references = opts.references ?? fileReferenceResolver(run)
  const ref = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(ref)
    if (!value || typeof value !== 'object') return value
    const o = value as Record<string, unknown>
    if (typeof o.$dataset === 'string') {
      const ds = opts.datasets(o.$dataset)
      if (!ds) throw new JobBuildError(`Dataset "${o.$dataset}" is not imported. Import it (xlab datasets import ..., or xlab datasets demo for the demo sets) and resume the study.`)
      if (ds.status !== 'ready') throw new JobBuildError(`Dataset "${o.$dataset}" is ${ds.status}, not ready. Wait for its import to finish or import it again, then resume the study.`)
      // A run is planned for one content of each dataset it reads; results on other content would carry the wrong checksum.
      const planned = run.spec.provenance?.datasets[o.$dataset]
      const now = planned ? datasetContentChecksum(ds.dir) : null
      if (planned && now !== planned) {
        throw new JobBuildError(`Dataset "${o.$dataset}" has other content than when ${run.name} was planned (checksum ${planned.slice(0, 12)}, now ${now ? now.slice(0, 12) : 'unreadable'}). Plan the study again (xlab study create NAME) to get runs for the new content; the finished runs on the old content stay browsable, marked stale.`)
      }
      return ds.dir
    }
    if (typeof o.$encoder === 'string' || typeof o.$checkpoint === 'string') {
      const id = (o.$encoder ?? o.$checkpoint) as string
      const dep = opts.runs.run(id)
      if (!dep || dep.state !== 'done') throw new JobBuildError(`Run ${id} that this run depends on is not done.`)
      return typeof o.$encoder === 'string' ? encoderPathOf(dep) : checkpointPathOf(dep)
    }
    if (typeof o.$snapshot === 'string' && typeof o.step === 'number') {
      const dep = opts.runs.run(o.$snapshot)
      if (!dep || dep.state !== 'done') throw new JobBuildError(`Run ${o.$snapshot} that this run depends on is not done.`)
      return snapshotPathOf(dep, o.step)
    }
    if (typeof o.$runDir === 'string') return join(run.runDir, o.$runDir)
    if (typeof o.$reference === 'string') return referencePathOf(run, o.$reference, references)
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, ref(v)]))
  }
  const job: EngineJob = {
    v: 1,
    kind: run.spec.kind,
    run_id: run.id,
    run_dir: run.runDir,
    seed: run.spec.seed,
    device: opts.device,
    deterministic: false,
    threads: opts.threads,
    params: ref(run.spec.params) as Record<string, unknown>,
  }
  // The protocol's own schema checks the envelope before a worker ever sees it.
  const checked = engineJob.safeParse(job)
  if (!checked.success) throw new JobBuildError(`The job for run ${run.name} is not valid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`)
  return job
}
