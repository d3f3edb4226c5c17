// Planning against the store: what a config needs, what already exists, and how much is left.
import { join } from 'node:path'
import { repoRoot } from '../config/paths.ts'
import type { Db } from '../store/db.ts'
import { getDatasetByIdOrName } from '../store/datasets.ts'
import { getReferenceEncoder, listReferenceEncoders } from '../store/reference-encoders.ts'
import { runFactorsOf, runsByHash, type RunInsert } from '../store/runs.ts'
import { parseStudyConfig, type StudyConfig } from './config.ts'
import { datasetProblems } from './dataset-checks.ts'
import { estimateWork, type WorkEstimate } from './estimate.ts'
import { planStudy, type PlannedRun, type StudyPlan } from './planner.ts'
import { datasetContentChecksum, engineVersionAt, type PlanProvenance } from './provenance.ts'
import { deviceChoice, rateBook, splitSizesOf, workerJobs, type DeviceChoice } from './throughput.ts'

/** The engine folder the runner starts workers from (XLAB_ENGINE_PATH swaps in another build). */
export function enginePath(): string {
  return process.env.XLAB_ENGINE_PATH || join(repoRoot(), 'engine')
}

/** Current dataset checksums (ready datasets of the store) and engine version. */
export function currentProvenance(db: Db): PlanProvenance {
  const sums = new Map<string, string | null>()
  return {
    engineVersion: engineVersionAt(enginePath()),
    datasetChecksum: (name) => {
      if (!sums.has(name)) {
        const d = getDatasetByIdOrName(db, name)
        sums.set(name, d && d.status === 'ready' ? datasetContentChecksum(d.dir) : null)
      }
      return sums.get(name)!
    },
    referenceChecksum: (name) => getReferenceEncoder(db, name)?.sha256 ?? null,
    datasetClasses: (name) => {
      const d = getDatasetByIdOrName(db, name)
      return d && d.status === 'ready' ? { classes: d.labelNames.length, multiLabel: d.multiLabel, testImages: d.splits.test ?? null } : null
    },
  }
}

/** referenceEncoders of a config that are not imported, each as a sentence saying how to import it. */
export function referenceProblems(db: Db, cfg: StudyConfig): string[] {
  return cfg.referenceEncoders
    .filter((name) => !getReferenceEncoder(db, name))
    .map((name) => `referenceEncoders: "${name}" is not imported; import it with xlab encoders import FILE --name ${name} (a torchvision resnet18 state_dict) or remove it (imported: ${listNames(db)})`)
}

function listNames(db: Db): string {
  const names = listReferenceEncoders(db).map((e) => e.name)
  return names.length ? names.join(', ') : 'none'
}

/** A plan with the state of runs that already exist (they are reused, not trained again). */
export interface PlanPreview {
  /** The validated config. */
  config: StudyConfig
  /** The planner's output. */
  plan: StudyPlan
  /** State of the existing run per planned run id. */
  existing: Map<string, string>
  /** Planned runs already done. */
  reused: number
  /** Work left (runs not done), from the throughput measured on the device that will run it. */
  estimate: WorkEstimate & { slots: number }
}

export function previewPlan(db: Db, rawConfig: unknown, slotsFor: (config: StudyConfig) => number, deviceFor: (config: StudyConfig) => DeviceChoice = (c) => deviceChoice(c, null)): PlanPreview {
  const config = parseStudyConfig(rawConfig)
  const problems = [...datasetProblems(db, config), ...referenceProblems(db, config)]
  if (problems.length) throw Object.assign(new Error(`The study cannot run on its datasets and encoders (${problems.join('; ')}).`), { code: 'BAD_REQUEST' })
  const slots = slotsFor(config)
  const plan = planStudy(config, currentProvenance(db))
  const byHash = runsByHash(db, plan.runs.map((r) => r.hash))
  const existing = new Map<string, string>()
  for (const r of plan.runs) {
    const e = byHash.get(r.hash)
    if (e) existing.set(r.id, e.state)
  }
  const todo = plan.runs.filter((r) => existing.get(r.id) !== 'done')
  const book = rateBook(db, deviceFor(config).key, config.imageSize)
  return { config, plan, existing, reused: plan.runs.length - todo.length, estimate: { ...estimateWork(todo, book, slots, splitSizesOf(db), config.imageSize, [], true, workerJobs()), slots } }
}

/** The store's insert shape of a planned run. */
export function toInsert(r: PlannedRun): RunInsert {
  return {
    id: r.id,
    name: r.name,
    stage: r.stage,
    spec: r.spec,
    hash: r.hash,
    deps: r.deps,
    ...runFactorsOf(r),
  }
}
