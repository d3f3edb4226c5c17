// The datasets domain of the lab service: handlers for src-core/api/datasets.ts.
import { rmSync } from 'node:fs'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { datasetsApi } from '../api/datasets.ts'
import { demoSpecs, generateDemoSource } from '../datasets/demo/index.ts'
import { ImportManager } from '../datasets/import-manager.ts'
import { ImportInputError } from '../datasets/plan.ts'
import type { ImportReport } from '../datasets/report.ts'
import { cacheDamage, damagedMessage } from '../datasets/cache-health.ts'
import { thumbnails } from '../datasets/thumbnails.ts'
import * as store from '../store/datasets.ts'
import type { DomainFactory, LabContext } from './context.ts'
import { processAlive } from '../util/process.ts'

/** The public view of a dataset record. */
export function publicDataset(d: store.DatasetRecord) {
  // A ready dataset whose cache files went missing or were cut short is shown as damaged, with why.
  const damage = d.status === 'ready' ? cacheDamage(d.dir, d.n) : null
  const status = damage ? ('damaged' as const) : d.status
  const error = damage ? damagedMessage(d.name, damage) : d.error
  return { id: d.id, name: d.name, kind: d.kind, source: d.source, dir: d.dir, status, n: d.n, height: d.height, width: d.width, channels: d.channels, labelNames: d.labelNames, multiLabel: d.multiLabel, splits: d.splits, error, createdAt: d.createdAt }
}

function find(ctx: LabContext, key: string): store.DatasetRecord {
  const d = store.getDatasetByIdOrName(ctx.db, key)
  if (!d) throw new ApiError('NOT_FOUND', `There is no dataset "${key}". List them with xlab datasets list.`)
  return d
}


function asApiError(e: unknown): never {
  if (e instanceof ImportInputError) throw new ApiError('BAD_REQUEST', e.message)
  throw e
}

/** Generates and imports the demo datasets, returning each one's record when all are done. */
export async function generateDemo(ctx: LabContext, imports: ImportManager, o: { scale: 'small' | 'default'; size?: number; seed?: number; onSource?: (name: string, done: number, total: number) => void }): Promise<store.DatasetRecord[]> {
  const size = o.size ?? (o.scale === 'small' ? 32 : 48)
  const out: store.DatasetRecord[] = []
  for (const spec of demoSpecs(o.scale)) {
    const existing = store.getDatasetByIdOrName(ctx.db, spec.name)
    if (existing?.status === 'ready') {
      const damage = cacheDamage(existing.dir, existing.n)
      if (!damage) {
        out.push(existing)
        continue
      }
      // A damaged demo cache (files lost, or cut by an older importer) is the demo's own: made again.
      ctx.log('datasets', `${damagedMessage(existing.name, damage)} Generating it again.`)
      rmSync(existing.dir, { recursive: true, force: true })
      store.deleteDataset(ctx.db, existing.id)
    }
    const req = await generateDemoSource(ctx.paths.sources, spec, { size, seed: o.seed ?? 0, onImage: (d, t) => o.onSource?.(spec.name, d, t) })
    const started = await imports.start(req)
    out.push(await started.done)
  }
  return out
}

export const datasetsDomain: DomainFactory = (ctx) => {
  const imports = new ImportManager(
    { db: ctx.db, datasetsDir: ctx.paths.datasets },
    {
      onProgress: (p) => ctx.events.emit('onImportProgress', p),
      onChanged: () => ctx.events.emit('onDatasetsChanged', {}),
      log: (m) => ctx.log('datasets', m),
    },
  )
  const handlers: Handlers<typeof datasetsApi> = {
    'datasets.list': async () => store.listDatasets(ctx.db).map(publicDataset),
    'datasets.get': async ({ id }) => publicDataset(find(ctx, id)),
    'datasets.import': async (input) => {
      const path = ctx.pathGuard.check(input.path)
      const started = await imports.start({ ...input, path, allowFile: (file) => ctx.pathGuard.allows(file) }).catch(asApiError)
      return { id: started.id, name: started.name }
    },
    'datasets.cancelImport': async ({ id }) => ({ cancelled: imports.cancel(find(ctx, id).id) }),
    'datasets.remove': async ({ id }) => {
      const d = find(ctx, id)
      if (imports.isActive(d.id)) throw new ApiError('BUSY', `"${d.name}" is being imported. Cancel the import first.`)
      rmSync(d.dir, { recursive: true, force: true })
      store.deleteDataset(ctx.db, d.id)
      ctx.events.emit('onDatasetsChanged', {})
      return { removed: d.id }
    },
    'datasets.generateDemo': async ({ size, scale }) => {
      let last = 0
      const onSource = (name: string, done: number, total: number) => {
        if (done !== total && Date.now() - last < 250) return
        last = Date.now()
        ctx.events.emit('onImportProgress', { datasetId: `sources/${name}`, name, phase: 'generating', done, total, imagesPerSec: 0, etaS: 0 })
      }
      const list = await generateDemo(ctx, imports, { scale: scale ?? 'default', size, onSource }).catch(asApiError)
      return { datasets: list.map((d) => ({ id: d.id, name: d.name })) }
    },
    'datasets.report': async ({ id }) => {
      const d = find(ctx, id)
      const r = store.getReport(ctx.db, d.id) as ImportReport | null
      if (!r) throw new ApiError('NOT_READY', `"${d.name}" has no report yet (status: ${d.status}${d.error ? `: ${d.error}` : ''}).`)
      return r
    },
    'datasets.thumbnails': async ({ id, perLabel, label }) => {
      const d = find(ctx, id)
      if (d.status !== 'ready') throw new ApiError('NOT_READY', `"${d.name}" is not ready (status: ${d.status}).`)
      const damage = cacheDamage(d.dir, d.n)
      if (damage) throw new ApiError('NOT_READY', damagedMessage(d.name, damage))
      if (label !== undefined && !d.labelNames.includes(label)) throw new ApiError('BAD_REQUEST', `"${d.name}" has no label "${label}" (labels: ${d.labelNames.join(', ')}).`)
      return thumbnails(d, perLabel, label)
    },
  }
  /** Imports left `importing` by a process that is gone (killed, crashed) become resumable `cancelled` ones. */
  const start = () => {
    for (const d of store.listDatasets(ctx.db)) {
      if (d.status === 'importing' && !imports.isActive(d.id) && (d.importPid === null || !processAlive(d.importPid))) {
        store.markStopped(ctx.db, d.id, 'cancelled', 'The import was interrupted (its process ended). Run the same import again to continue where it stopped.')
      }
    }
  }
  return { handlers, start, stop: () => imports.stopAll() }
}
