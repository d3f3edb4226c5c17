// Handlers of the runs domain: reading runs, logs, metrics and artifacts; per-run queue controls.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { runsApi } from '../api/runs.ts'
import { runQueueOf } from '../runner/lab-runner.ts'
import { hasCheckpoint } from '../runner/run-files.ts'
import { clusterJobOf } from '../runner/slurm/run-info.ts'
import * as store from '../store/runs.ts'
import type { DomainFactory, LabContext } from './context.ts'

function mustGet(ctx: LabContext, key: string): store.RunRecord {
  const r = store.getRun(ctx.db, key)
  if (!r) throw new ApiError('NOT_FOUND', `There is no run "${key}". List runs with \`xlab runs list\`.`)
  return r
}

/** A done pretext run whose checkpoint is gone (storage pretext-weights): a retry trains it again, for extractions planned later. */
const weightsReclaimed = (r: store.RunRecord) => r.stage === 'pretext' && r.state === 'done' && !hasCheckpoint(r.runDir)

const withDeps = (ctx: LabContext, r: store.RunRecord) => ({ ...r, deps: store.dependenciesOf(ctx.db, r.id), weightsReclaimed: weightsReclaimed(r) })

/** The last `n` lines of a text file (whole file read: worker logs stay small). */
function tailLines(file: string, n: number): string[] {
  if (!existsSync(file)) return []
  const lines = readFileSync(file, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(-n)
}

export const runsDomain: DomainFactory = (ctx) => {
  const queue = runQueueOf(ctx)
  const handlers: Handlers<typeof runsApi> = {
    'runs.list': async ({ studyId, state }) => {
      const study = studyId ? store.getStudy(ctx.db, studyId) : null
      if (studyId && !study) throw new ApiError('NOT_FOUND', `There is no study "${studyId}".`)
      return store.listRuns(ctx.db, { studyId: study?.id, state }).map((r) => {
        const { spec: _spec, ...rest } = withDeps(ctx, r)
        return rest
      })
    },
    'runs.get': async ({ id }) => {
      const r = mustGet(ctx, id)
      return { ...withDeps(ctx, r), cluster: clusterJobOf(r.runDir) }
    },
    'runs.logs': async ({ id, tail }) => {
      const r = mustGet(ctx, id)
      const file = join(r.runDir, 'worker.log')
      return { file, lines: tailLines(file, tail ?? 200), events: store.runEvents(ctx.db, r.id, tail ?? 200) }
    },
    'runs.metrics': async ({ id }) => store.runMetrics(ctx.db, mustGet(ctx, id).id),
    'runs.cancel': async ({ id }) => {
      const r = mustGet(ctx, id)
      if (!['queued', 'running', 'interrupted', 'paused'].includes(r.state)) throw new ApiError('CONFLICT', `Run ${r.name} is ${r.state}; only queued, running, paused or interrupted runs can be cancelled.`)
      queue.cancelRun(r.id)
      return withDeps(ctx, mustGet(ctx, r.id))
    },
    'runs.retry': async ({ id }) => {
      const r = mustGet(ctx, id)
      if (r.state !== 'failed' && r.state !== 'cancelled' && !weightsReclaimed(r)) throw new ApiError('CONFLICT', `Run ${r.name} is ${r.state}; only failed or cancelled runs, and done pretext runs whose weights were reclaimed, can be retried.`)
      queue.retryRun(r.id)
      return withDeps(ctx, mustGet(ctx, r.id))
    },
    'runs.resume': async ({ id }) => {
      const r = mustGet(ctx, id)
      if (r.state !== 'paused' && r.state !== 'interrupted') throw new ApiError('CONFLICT', `Run ${r.name} is ${r.state}; only paused or interrupted runs can be resumed.`)
      queue.resumeRun(r.id)
      return withDeps(ctx, mustGet(ctx, r.id))
    },
    'runs.artifacts': async ({ id }) => store.runArtifacts(ctx.db, mustGet(ctx, id).id),
    'runs.artifactImage': async ({ id, name }) => {
      const r = mustGet(ctx, id)
      const a = store.runArtifacts(ctx.db, r.id).find((x) => x.name === name)
      if (!a) throw new ApiError('NOT_FOUND', `Run ${r.name} has no artifact called "${name}".`)
      const path = resolve(a.path)
      // Artifacts are reported by the worker; serve only files inside the run folder.
      if (!path.startsWith(resolve(r.runDir) + sep)) throw new ApiError('PATH_REFUSED', `Artifact "${name}" lies outside the run folder and is not served.`)
      if (!path.toLowerCase().endsWith('.png')) throw new ApiError('BAD_REQUEST', `Artifact "${name}" is not a PNG image.`)
      if (!existsSync(path)) throw new ApiError('NOT_FOUND', `The file of artifact "${name}" is missing (${path}).`)
      return { name, dataUrl: `data:image/png;base64,${readFileSync(path).toString('base64')}` }
    },
  }
  return { handlers }
}
