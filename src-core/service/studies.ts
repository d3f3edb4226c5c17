// Handlers of the studies domain; owns the lifecycle of the run queue.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { studiesApi } from '../api/studies.ts'
import { enginePython, environmentDir, environmentLayout } from '../environment/locations.ts'
import { labResources } from '../environment/resources.ts'
import { runQueueOf, startRunQueue, stopRunQueue } from '../runner/lab-runner.ts'
import * as store from '../store/runs.ts'
import { getDeviceRates } from '../store/throughput.ts'
import { parseStudyConfig, type StudyConfig } from '../study/config.ts'
import { studyEta } from '../study/eta.ts'
import { enginePath, previewPlan, toInsert } from '../study/plan-service.ts'
import { planStudy } from '../study/planner.ts'
import { PRESET_NAMES, presetConfig } from '../study/presets.ts'
import { engineVersionAt } from '../study/provenance.ts'
import { deviceChoice, machineGpuName, measureThroughput, recordRunTiming } from '../study/throughput.ts'
import { exportStudy, importStudy } from '../study/transfer.ts'
import { idShapedNameProblem } from '../util/names.ts'
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
  /** The device a config's jobs run on here (issue 23: the estimates are measured there). */
  const deviceFor = (c: StudyConfig) => deviceChoice(c, machineGpuName(queue.gpuCount()))
  const measuring = new Map<string, Promise<unknown>>()
  /** Stops a measurement still running when the lab stops. */
  const stopMeasuring = new AbortController()
  /** Measures the throughput of a config's device at its image size (one measurement at a time per
   *  device and size); `calibrate`: also time a real run of each kind of work the study plans (their
   *  fixed seconds, about a minute on a CPU at the demo size). */
  const measure = (c: StudyConfig, calibrate: boolean) => {
    const device = deviceFor(c)
    const key = `${device.key}|${c.imageSize}|${calibrate}`
    let p = measuring.get(key)
    if (!p) {
      const runs = calibrate ? planStudy(c).runs.map((r) => ({ stage: r.stage, spec: r.spec })) : []
      p = measureThroughput(ctx.db, { python: enginePython(), engineDir: enginePath(), device, imageSize: c.imageSize, batchSize: c.pretext.batchSize, signal: stopMeasuring.signal, runs, downstreamDataset: c.downstreamDataset, slots: device.engineDevice === 'cpu' ? queue.slotsFor(c.device.cpuSlots) : 1 }).finally(() => measuring.delete(key))
      measuring.set(key, p)
    }
    return p as ReturnType<typeof measureThroughput>
  }
  /** The first run of a study on a device with nothing measured there measures its rates, beside the
   *  study (not the fixed costs: their real runs would take a minute of the slots' CPU; finished runs refine each kind). */
  const measureIfMissing = (studyId: string) => {
    const s = store.getStudy(ctx.db, studyId)
    if (!s) return
    const c = parseStudyConfig(s.config)
    if (getDeviceRates(ctx.db, deviceFor(c).key, c.imageSize)) return
    measure(c, false).then(
      (r) => ctx.log('runner', `throughput of ${r.device} at ${r.imageSize} px: ${r.trainImagesPerS.toFixed(1)} training, ${r.evalImagesPerS.toFixed(1)} evaluation images/s`),
      (e: Error) => ctx.log('runner', e.message),
    )
  }
  const handlers: Handlers<typeof studiesApi> = {
    'studies.presets': async () => PRESET_NAMES.map((name) => ({ name, config: presetConfig(name) })),

    'studies.plan': async ({ config }) => {
      const p = asBadRequest(() => previewPlan(ctx.db, config, (c) => queue.slotsFor(c.device.cpuSlots), deviceFor))
      return {
        runs: p.plan.runs.map((r) => ({ ...r, spec: undefined, hash: undefined, params: r.spec.params, existing: (p.existing.get(r.id) as never) ?? null })),
        counts: p.plan.counts,
        reused: p.reused,
        estimate: p.estimate,
        notes: p.plan.notes,
      }
    },

    'studies.create': async ({ name, config }) => {
      // An id-shaped name is refused unless it is an existing study's name (made by an older version).
      const badName = store.getStudy(ctx.db, name)?.name === name ? null : idShapedNameProblem(name, 'study')
      if (badName) throw new ApiError('BAD_REQUEST', badName)
      const p = asBadRequest(() => previewPlan(ctx.db, config, (c) => queue.slotsFor(c.device.cpuSlots), deviceFor))
      // Re-planning a running study is safe: finished runs are reused, running ones keep running,
      // and a study left `running` by a stopped lab must stay editable.
      const { study } = store.saveStudyConfig(ctx.db, { newId: `st-${randomBytes(4).toString('hex')}`, name, config: p.config })
      const { created, reused } = store.attachPlannedRuns(ctx.db, study.id, p.plan.runs.map(toInsert), ctx.paths.run)
      // An edited study with new work is no longer finished; it waits for `studies.start`.
      if (created.length && ['done', 'failed', 'cancelled'].includes(study.state)) store.setStudyState(ctx.db, study.id, 'draft')
      return { ...studyOut(ctx, store.getStudy(ctx.db, study.id)!), created: created.length, reused: reused.length }
    },

    'studies.list': async () => store.listStudies(ctx.db).map((s) => studyOut(ctx, s)),
    'studies.get': async ({ id }) => studyOut(ctx, mustGet(ctx, id)),

    'studies.start': control((sid) => {
      queue.startStudy(sid)
      measureIfMissing(sid)
    }),
    'studies.pause': control((sid) => queue.pauseStudy(sid)),
    'studies.resume': control((sid) => {
      queue.resumeStudy(sid)
      measureIfMissing(sid)
    }),
    'studies.cancel': control((sid) => queue.cancelStudy(sid)),

    'studies.export': async ({ id, file, weights }) => {
      const s = mustGet(ctx, id)
      // The folder the file goes to must be one the user opened (the file itself may not exist yet).
      const dir = ctx.pathGuard.check(dirname(resolve(file)))
      const out = join(dir, basename(file))
      const engineDir = labResources().engineDir
      const lockFile = [environmentLayout(environmentDir()).requirements, join(engineDir, 'requirements.txt')].find((f) => existsSync(f))
      const r = asBadRequest(() => exportStudy(ctx.db, s.id, out, { weights, engine: { version: engineVersionAt(engineDir), lock: lockFile ? readFileSync(lockFile, 'utf8') : null } }))
      return { file: out, ...r }
    },
    'studies.import': async ({ file, name }) => {
      const path = ctx.pathGuard.check(file)
      const nameProblem = (n: string) => (store.getStudy(ctx.db, n) ? `A study named "${n}" already exists here. Import under another name (xlab study import FILE --name NEW).` : idShapedNameProblem(n, 'study'))
      const r = asBadRequest(() => importStudy(ctx.db, path, { name, newId: `st-${randomBytes(4).toString('hex')}`, nameProblem }))
      return r
    },

    'studies.measure': async ({ config }) => {
      const c = asBadRequest(() => parseStudyConfig(config))
      try {
        return await measure(c, true)
      } catch (e) {
        throw new ApiError('UNAVAILABLE', (e as Error).message)
      }
    },

    'studies.eta': async ({ id }) => {
      const s = mustGet(ctx, id)
      const c = parseStudyConfig(s.config)
      return studyEta(ctx.db, s.id, deviceFor(c).key, c.imageSize, queue.slotsFor(c.device.cpuSlots))
    },
  }
  /** A finished run refines the estimates of its kind on its study's device. */
  const offDone = ctx.events.onAny((event, payload) => {
    const e = payload as { runId?: string; studyId?: string; state?: string }
    if (event !== 'onRunState' || e.state !== 'done' || !e.runId) return
    const run = store.getRun(ctx.db, e.runId)
    const s = e.studyId ? store.getStudy(ctx.db, e.studyId) : null
    if (!run || !s) return
    try {
      const c = parseStudyConfig(s.config)
      recordRunTiming(ctx.db, run, deviceFor(c).key, c.imageSize)
    } catch (err) {
      ctx.log('runner', `could not record the timing of run ${run.id}: ${(err as Error).message}`)
    }
  })
  return {
    handlers,
    start: async () => {
      if (opts.startQueue !== false) await startRunQueue(ctx)
    },
    stop: () => {
      offDone()
      stopMeasuring.abort()
      return stopRunQueue(ctx)
    },
  }
}
