// Handlers of the studies domain; owns the lifecycle of the run queue.
import { randomBytes } from 'node:crypto'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { studiesApi } from '../api/studies.ts'
import { runQueueOf, startRunQueue, stopRunQueue } from '../runner/lab-runner.ts'
import * as store from '../store/runs.ts'
import { PRESET_NAMES, presetConfig } from '../study/presets.ts'
import { previewPlan, toInsert } from '../study/plan-service.ts'
import type { DomainFactory, LabContext } from './context.ts'

function studyOut(ctx: LabContext, s: store.StudyRecord) {
  return { ...s, counts: store.studyStateCounts(ctx.db, s.id) }
}

function mustGet(ctx: LabContext, key: string): store.StudyRecord {
  const s = store.getStudy(ctx.db, key)
  if (!s) throw new ApiError('NOT_FOUND', `There is no study "${key}". List studies with \`xlab study list\`.`)
  return s
}

function asBadRequest<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    const e = err as { code?: string; message: string }
    if (e.code === 'BAD_REQUEST') throw new ApiError('BAD_REQUEST', e.message)
    throw err
  }
}

export const studiesDomain: DomainFactory = (ctx, opts) => {
  const queue = runQueueOf(ctx)
  /** A study control: finds the study (or refuses), applies `act` to it, returns it as it is now. */
  const control = (act: (studyId: string) => void) => async ({ id }: { id: string }) => {
    const s = mustGet(ctx, id)
    act(s.id)
    return studyOut(ctx, mustGet(ctx, s.id))
  }
  const handlers: Handlers<typeof studiesApi> = {
    'studies.presets': async () => PRESET_NAMES.map((name) => ({ name, config: presetConfig(name) })),

    'studies.plan': async ({ config }) => {
      const p = asBadRequest(() => previewPlan(ctx.db, config, (c) => queue.slotsFor(c.device.cpuSlots)))
      return {
        runs: p.plan.runs.map((r) => ({ ...r, spec: undefined, hash: undefined, params: r.spec.params, existing: (p.existing.get(r.id) as never) ?? null })),
        counts: p.plan.counts,
        reused: p.reused,
        estimate: p.estimate,
        notes: p.plan.notes,
      }
    },

    'studies.create': async ({ name, config }) => {
      const p = asBadRequest(() => previewPlan(ctx.db, config, (c) => queue.slotsFor(c.device.cpuSlots)))
      let study = store.getStudy(ctx.db, name)
      // Re-planning a running study is safe: finished runs are reused, running ones keep running,
      // and a study left `running` by a stopped lab must stay editable.
      if (study) store.setStudyConfig(ctx.db, study.id, p.config)
      else study = store.insertStudy(ctx.db, { id: `st-${randomBytes(4).toString('hex')}`, name, config: p.config })
      const { created, reused } = store.attachPlannedRuns(ctx.db, study.id, p.plan.runs.map(toInsert), ctx.paths.run)
      // An edited study with new work is no longer finished; it waits for `studies.start`.
      if (created.length && ['done', 'failed', 'cancelled'].includes(study.state)) store.setStudyState(ctx.db, study.id, 'draft')
      return { ...studyOut(ctx, store.getStudy(ctx.db, study.id)!), created: created.length, reused: reused.length }
    },

    'studies.list': async () => store.listStudies(ctx.db).map((s) => studyOut(ctx, s)),
    'studies.get': async ({ id }) => studyOut(ctx, mustGet(ctx, id)),

    'studies.start': control((sid) => queue.startStudy(sid)),
    'studies.pause': control((sid) => queue.pauseStudy(sid)),
    'studies.resume': control((sid) => queue.resumeStudy(sid)),
    'studies.cancel': control((sid) => queue.cancelStudy(sid)),
  }
  return {
    handlers,
    start: async () => {
      if (opts.startQueue !== false) await startRunQueue(ctx)
    },
    stop: () => stopRunQueue(ctx),
  }
}
