// Planning against the store: what a config needs, what already exists, and how much is left.
import type { Db } from '../store/db.ts'
import { runFactorsOf, runsByHash, type RunInsert } from '../store/runs.ts'
import { parseStudyConfig, type StudyConfig } from './config.ts'
import { datasetProblems } from './dataset-checks.ts'
import { estimateWork, type WorkEstimate } from './estimate.ts'
import { planStudy, type PlannedRun, type StudyPlan } from './planner.ts'

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
  /** Work left (runs not done). */
  estimate: WorkEstimate & { slots: number }
}

export function previewPlan(db: Db, rawConfig: unknown, slotsFor: (config: StudyConfig) => number): PlanPreview {
  const config = parseStudyConfig(rawConfig)
  const problems = datasetProblems(db, config)
  if (problems.length) throw Object.assign(new Error(`The study cannot run on its datasets (${problems.join('; ')}).`), { code: 'BAD_REQUEST' })
  const slots = slotsFor(config)
  const plan = planStudy(config)
  const byHash = runsByHash(db, plan.runs.map((r) => r.hash))
  const existing = new Map<string, string>()
  for (const r of plan.runs) {
    const e = byHash.get(r.hash)
    if (e) existing.set(r.id, e.state)
  }
  const todo = plan.runs.filter((r) => existing.get(r.id) !== 'done')
  return { config, plan, existing, reused: plan.runs.length - todo.length, estimate: { ...estimateWork(todo, config, slots), slots } }
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
