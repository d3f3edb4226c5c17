// Runs imports in the background of the lab service: one AbortController per dataset, progress as
// events, and a promise per import for callers that wait (the CLI, demo generation, tests).
import { basename } from 'node:path'
import type { Db } from '../store/db.ts'
import * as store from '../store/datasets.ts'
import { ImportCancelled } from './cache-writer.ts'
import { prepareImport, type ImportProgress, type ImportRequest } from './import-job.ts'
import { ImportInputError } from './plan.ts'

/** Progress or a terminal phase, for the onImportProgress event. */
export type ImportEvent = Omit<ImportProgress, 'phase'> & { phase: ImportProgress['phase'] | 'done' | 'failed' | 'cancelled' }

export class ImportManager {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<store.DatasetRecord> }>()
  /** Names whose import is being planned here (before its dataset row exists). */
  private readonly planning = new Set<string>()

  constructor(
    private readonly env: { db: Db; datasetsDir: string },
    private readonly hooks: { onProgress?: (e: ImportEvent) => void; onChanged?: () => void; log?: (m: string) => void } = {},
  ) {}

  /** Plans (refusing bad input at once), then imports in the background. */
  async start(req: ImportRequest): Promise<{ id: string; name: string; done: Promise<store.DatasetRecord> }> {
    // Checked before planning: preparing a different plan under a running import's name would clear its folder.
    const name = req.name ?? basename(req.path)
    const running = store.getDatasetByIdOrName(this.env.db, name)
    if ((running && this.active.has(running.id)) || this.planning.has(name)) {
      throw new ImportInputError(`"${running?.name ?? name}" is already being imported: one import per name at a time. Wait for it, or cancel it first, or choose another name.`)
    }
    // Reserved before the first await: a second request for the name while this one plans is refused.
    this.planning.add(name)
    let prepared: Awaited<ReturnType<typeof prepareImport>>
    try {
      prepared = await prepareImport(this.env, req)
    } finally {
      this.planning.delete(name)
    }
    const controller = new AbortController()
    this.hooks.onChanged?.()
    const last = { done: 0, total: 0 }
    const done = prepared
      .run({
        signal: controller.signal,
        onProgress: (p) => {
          last.done = p.done
          last.total = p.total
          this.hooks.onProgress?.(p)
        },
      })
      .then(
        (rec) => {
          this.hooks.onProgress?.({ datasetId: rec.id, name: rec.name, phase: 'done', done: last.total, total: last.total, imagesPerSec: 0, etaS: 0 })
          this.hooks.log?.(`imported ${rec.name} (${rec.id}): ${rec.n} images`)
          return rec
        },
        (e: unknown) => {
          const phase = e instanceof ImportCancelled ? 'cancelled' : 'failed'
          this.hooks.onProgress?.({ datasetId: prepared.id, name: prepared.name, phase, ...last, imagesPerSec: 0, etaS: 0 })
          this.hooks.log?.(`import of ${prepared.name} ${phase}: ${(e as Error).message}`)
          throw e
        },
      )
      .finally(() => {
        this.active.delete(prepared.id)
        this.hooks.onChanged?.()
      })
    // The caller may not wait; the rejection is reported through events and the dataset row.
    done.catch(() => undefined)
    this.active.set(prepared.id, { controller, done })
    return { id: prepared.id, name: prepared.name, done }
  }

  /** Asks a running import to stop; false when none runs here. */
  cancel(id: string): boolean {
    const a = this.active.get(id)
    a?.controller.abort()
    return !!a
  }

  /** True while this process imports the dataset. */
  isActive(id: string): boolean {
    return this.active.has(id)
  }

  /** Cancels every import and waits for them to leave a resumable state. */
  async stopAll(): Promise<void> {
    for (const a of this.active.values()) a.controller.abort()
    await Promise.allSettled([...this.active.values()].map((a) => a.done))
  }
}
