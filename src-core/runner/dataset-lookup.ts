// How the runner finds a dataset's cache folder by name: through the datasets store
// (getDatasetByIdOrName, datasets team) when it is present, else from the caches' meta.json files.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheDamage } from '../datasets/cache-health.ts'
import type { Db } from '../store/db.ts'
import type { DatasetInfo, DatasetResolver } from './job-builder.ts'

type StoreLookup = (db: Db, key: string) => { id: string; name: string; dir: string; status: string } | null | undefined

/** Scans `<datasetsRoot>/<id>/meta.json`; a cache with a meta.json is complete (it is written last). */
export function metaJsonResolver(datasetsRoot: string): DatasetResolver {
  return (key) => {
    if (!existsSync(datasetsRoot)) return null
    for (const id of readdirSync(datasetsRoot)) {
      const meta = join(datasetsRoot, id, 'meta.json')
      if (!existsSync(meta)) continue
      try {
        const m = JSON.parse(readFileSync(meta, 'utf8')) as { id?: string; name?: string }
        if (m.name === key || id === key) return { id, name: m.name ?? id, dir: join(datasetsRoot, id), status: 'ready' }
      } catch {
        continue
      }
    }
    return null
  }
}

/** The datasets store's lookup when that module exists, else the meta.json scan. */
export async function makeDatasetResolver(db: Db, datasetsRoot: string): Promise<DatasetResolver> {
  const fallback = metaJsonResolver(datasetsRoot)
  // A variable specifier: the datasets store is another team's module and may not exist yet.
  const specifier = '../store/datasets.ts'
  let lookup: StoreLookup | undefined
  try {
    lookup = ((await import(specifier)) as { getDatasetByIdOrName?: StoreLookup }).getDatasetByIdOrName
  } catch {
    lookup = undefined
  }
  if (!lookup) return fallback
  const fromStore = lookup
  return (key): DatasetInfo | null => {
    const d = fromStore(db, key)
    // A ready row whose cache files went missing since must not reach a worker.
    const status = d && d.status === 'ready' && cacheDamage(d.dir, null) ? 'damaged' : d?.status
    return d ? { id: d.id, name: d.name, dir: d.dir, status: status! } : fallback(key)
  }
}
