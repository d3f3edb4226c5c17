// Handlers of the storage domain: what the run folders hold, by category, and reclaiming the space no
// study needs (`xlab runs prune`, the Storage view). Which file is what is decided in
// runner/run-files.ts; which run may lose what is decided here, from the run store:
//  - finished-resumable: a done run never resumes, so its last.pth / last.prev.pth can go (the
//    queue deletes them when it records a run done; these are left from before that, or by a lab
//    that stopped in between);
//  - stopped-checkpoints: failed or cancelled runs older than an age keep checkpoints for a retry
//    nobody made; deleting them makes a retry start over;
//  - unreferenced: runs no study uses (an edited plan unlinks them) and folders under runs/ that no
//    run owns; the whole folder and the run's record go.
// Two more hold the weights of finished runs a study uses, and go only when a person names them
// (`optIn`: never part of a prune of everything, never automatic):
//  - downstream-weights: best.pth of done downstream runs (finetune, scratch, fusion-finetune). No
//    part of the lab reads it after the run (results, predictions, galleries and fusion read the
//    predictions and the encoder files); what is lost is the fine-tuned network itself;
//  - pretext-weights: best.pth of done pretext runs whose extraction is done with intact encoder
//    files (runner/run-files.ts encoderFilesProblem): the encoder lives on in the extract run's
//    files, the pretext head or decoder is lost. An extraction planned later fails with a sentence
//    that says to retry the pretext run (runner/job-builder.ts checkpointPathOf), and runs.retry
//    takes such a done pretext run.
// Never touched: running runs, encoder files, and the other weights of finished runs a study uses.
import { existsSync, readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { type Handlers } from '../api/contract.ts'
import { STORAGE_DEFAULT_PRUNE, STORAGE_OPT_IN, type storageApi, type storageCategorySchema, type storageItemSchema, type storageUsageSchema } from '../api/storage.ts'
import type { z } from 'zod'
import { dropCheckpoints, dropResumableState, dropWeights, encoderFilesProblem, folderBytes, runFolderUsage, type RunFolderUsage } from '../runner/run-files.ts'
import * as store from '../store/runs.ts'
import { deletablePath, removeInsideRoot } from '../util/inside-root.ts'
import { freeBytes, LOW_DISK_WARN_BYTES } from '../util/disk-space.ts'
import type { DomainFactory, LabContext } from './context.ts'

type Usage = z.input<typeof storageUsageSchema>
type Category = z.input<typeof storageCategorySchema>
type Item = z.input<typeof storageItemSchema>
type CategoryId = Category['id']

const RUN_FOLDER = /^r-[0-9a-f]{12}$/
const DAY_MS = 86_400_000

const TITLES: Record<CategoryId, string> = {
  'finished-resumable': 'Resumable state of finished runs',
  'stopped-checkpoints': 'Checkpoints of old failed or cancelled runs',
  unreferenced: 'Runs no study uses',
  'downstream-weights': 'Fine-tuned networks of finished downstream runs',
  'pretext-weights': 'Pretext weights whose encoder is extracted',
}

function holds(id: CategoryId, days: number): string {
  switch (id) {
    case 'finished-resumable':
      return 'last.pth and last.prev.pth (model and optimizer state to resume from) and temp files of interrupted writes, in runs that are done: a done run never resumes. Its weights (best.pth) and encoders stay.'
    case 'stopped-checkpoints':
      return `Every checkpoint (last.pth, last.prev.pth, best.pth) of failed or cancelled runs that finished ${days} or more days ago. Their logs and records stay; a retry then starts from step 0.`
    case 'unreferenced':
      return 'Runs that no study uses any more (an edited study plan left them behind) and folders in runs/ that no run of this lab owns: the whole folder and the run\'s record (metrics, logs). A study that plans the same work again trains it anew.'
    case 'downstream-weights':
      return 'best.pth of done finetune, scratch and fusion-finetune runs that a study uses: the fine-tuned network itself, which no part of the lab reads after the run. Their metrics, test predictions (results, galleries, fusion), logs and records stay; the network is gone, and only retraining (a new run) gives one again. Reclaimed only when chosen by name.'
    case 'pretext-weights':
      return "best.pth of done pretext runs whose extract run is done with intact encoder files (.pth and .safetensors): the encoder stays in the extract run's encoders/, the pretext head (or inpainting decoder) is lost. A later extraction of such a run says so: resuming the study (or retrying that pretext run) trains it again from step 0. Reclaimed only when chosen by name."
  }
}

interface Plan {
  usage: Usage
  /** What each item deletes, to re-check and act on. */
  actions: Map<CategoryId, { item: Item; run: store.RunRecord | null }[]>
}

/** Sorts every run folder of the lab into what stays and what each category could reclaim. */
export function planStorage(ctx: LabContext, olderThanDays: number, nowMs = Date.now()): Plan {
  const inUse = store.runsInUse(ctx.db)
  const runs = store.listRuns(ctx.db)
  const owned = new Set(runs.map((r) => r.runDir))
  const cats: Record<CategoryId, { item: Item; run: store.RunRecord | null }[]> = { 'finished-resumable': [], 'stopped-checkpoints': [], unreferenced: [], 'downstream-weights': [], 'pretext-weights': [] }
  const kept = { weightsBytes: 0, encoderBytes: 0, otherBytes: 0, activeBytes: 0 }
  let total = 0
  const item = (run: store.RunRecord | null, dir: string, bytes: number, files: string[]): Item => ({ runId: run?.id ?? null, name: run?.name ?? dir.split(sep).pop()!, state: run?.state ?? null, dir, bytes, files })
  for (const run of runs) {
    const u: RunFolderUsage = runFolderUsage(run.runDir)
    const size = folderBytes(u)
    total += size
    if (!inUse.has(run.id) && run.state !== 'running' && size > 0 && isUnder(ctx.paths.runs, run.runDir)) {
      cats.unreferenced.push({ item: item(run, run.runDir, size, ['*']), run })
      continue
    }
    kept.otherBytes += u.bytes.other
    kept.encoderBytes += u.bytes.encoder
    const old = run.finishedAt !== null && nowMs - Date.parse(run.finishedAt) >= olderThanDays * DAY_MS
    if (run.state === 'done') {
      if (u.bytes.resumable > 0) cats['finished-resumable'].push({ item: item(run, run.runDir, u.bytes.resumable, u.files.resumable), run })
      const weights = u.bytes.weights > 0 ? weightsCategory(ctx, run, inUse) : null
      if (weights) cats[weights].push({ item: item(run, run.runDir, u.bytes.weights, u.files.weights), run })
      else kept.weightsBytes += u.bytes.weights
    } else if ((run.state === 'failed' || run.state === 'cancelled') && old && u.bytes.resumable + u.bytes.weights > 0) {
      cats['stopped-checkpoints'].push({ item: item(run, run.runDir, u.bytes.resumable + u.bytes.weights, [...u.files.resumable, ...u.files.weights]), run })
    } else kept.activeBytes += u.bytes.resumable + u.bytes.weights
  }
  if (existsSync(ctx.paths.runs)) {
    for (const name of readdirSync(ctx.paths.runs)) {
      const dir = join(ctx.paths.runs, name)
      if (!RUN_FOLDER.test(name) || owned.has(dir)) continue
      const size = folderBytes(runFolderUsage(dir))
      total += size
      cats.unreferenced.push({ item: item(null, dir, size, ['*']), run: null })
    }
  }
  const categories: Category[] = (Object.keys(cats) as CategoryId[]).map((id) => {
    const list = cats[id].sort((a, b) => b.item.bytes - a.item.bytes)
    return {
      id,
      title: TITLES[id],
      optIn: (STORAGE_OPT_IN as readonly string[]).includes(id),
      holds: holds(id, olderThanDays),
      count: list.length,
      files: list.reduce((n, x) => n + (x.item.files[0] === '*' ? countFiles(x.item.dir) : x.item.files.length), 0),
      bytes: list.reduce((n, x) => n + x.item.bytes, 0),
      items: list.map((x) => x.item),
    }
  })
  return { usage: { runsDir: ctx.paths.runs, totalBytes: total, kept, olderThanDays, categories, disk: diskOf(ctx.dataRoot) }, actions: new Map(Object.entries(cats) as [CategoryId, (typeof cats)[CategoryId]][]) }
}

/**
 * The category the weights of a done run a study uses fall in, or null when they stay: downstream
 * weights always may go; pretext weights only while every extraction of the run is done with intact
 * encoder files and a study uses one of them (an unreferenced extract run may go in the same prune).
 */
function weightsCategory(ctx: LabContext, run: store.RunRecord, inUse: Set<string>): 'downstream-weights' | 'pretext-weights' | null {
  if (run.stage === 'downstream') return 'downstream-weights'
  if (run.stage !== 'pretext') return null
  return pretextWeightsFree(ctx, run, inUse) ? 'pretext-weights' : null
}

function pretextWeightsFree(ctx: LabContext, run: store.RunRecord, inUse: Set<string>): boolean {
  const extracts = store.dependentsOf(ctx.db, run.id).map((id) => store.getRun(ctx.db, id)).filter((r): r is store.RunRecord => r?.stage === 'extract')
  return extracts.some((e) => inUse.has(e.id)) && extracts.every((e) => e.state === 'done' && encoderFilesProblem(e.runDir) === null)
}

function countFiles(dir: string): number {
  const u = runFolderUsage(dir)
  return u.files.resumable.length + u.files.weights.length + u.files.encoder.length + u.files.other.length
}

/** The data root's disk as the Storage view shows it: free space, and a warning below the doctor's threshold. */
function diskOf(dataRoot: string) {
  const free = freeBytes(dataRoot)
  const low = free !== null && free < LOW_DISK_WARN_BYTES
  return {
    freeBytes: free,
    lowBelowBytes: LOW_DISK_WARN_BYTES,
    warning: low ? `The disk holding ${dataRoot} has ${(free / 1e9).toFixed(1)} GB free, less than ${LOW_DISK_WARN_BYTES / 1e9} GB: checkpoints and dataset caches of a full study may not fit. Reclaim space below, or move the data root to a larger disk (it can be moved as a folder).` : null,
  }
}

function isUnder(root: string, dir: string): boolean {
  const rel = relative(root, dir)
  return rel !== '' && !rel.startsWith('..') && !rel.includes(sep)
}

/** Deletes what the chosen categories hold, re-checking each run's state in the store first. */
export function pruneStorage(ctx: LabContext, olderThanDays: number, ids: CategoryId[]) {
  const plan = planStorage(ctx, olderThanDays)
  const inUse = store.runsInUse(ctx.db)
  const removed = ids.map((id) => {
    let count = 0
    let files = 0
    let bytes = 0
    for (const { item, run } of plan.actions.get(id) ?? []) {
      const now = run ? store.getRun(ctx.db, run.id) : null
      // The store may have moved on since the plan: a retried run, a re-planned study, a second lab process.
      if (run && (!now || now.state !== run.state)) continue
      if (id === 'unreferenced') {
        if (run && inUse.has(run.id)) continue
        const n = countFiles(item.dir)
        removeInsideRoot(ctx.dataRoot, item.dir)
        if (run) store.deleteRuns(ctx.db, [run.id])
        files += n
        bytes += item.bytes
      } else {
        // An extraction may have been planned (or its encoder damaged) since the plan: the pretext weights it needs stay.
        if (id === 'pretext-weights' && run && !pretextWeightsFree(ctx, now!, store.runsInUse(ctx.db))) continue
        deletablePath(ctx.dataRoot, item.dir)
        const r = id === 'finished-resumable' ? dropResumableState(item.dir) : id === 'stopped-checkpoints' ? dropCheckpoints(item.dir) : dropWeights(item.dir)
        files += r.files.length
        bytes += r.bytes
      }
      count++
    }
    return { id, count, files, bytes }
  })
  const total = removed.reduce((n, r) => n + r.bytes, 0)
  if (total > 0) {
    ctx.log('storage', `pruned ${removed.map((r) => `${r.id}: ${r.count} (${(r.bytes / 1e6).toFixed(1)} MB)`).join(', ')}`)
    ctx.events.emit('onStorageChanged', { bytes: total })
  }
  return { removed, bytes: total, usage: planStorage(ctx, olderThanDays).usage }
}

export const storageDomain: DomainFactory = (ctx) => {
  const handlers: Handlers<typeof storageApi> = {
    'storage.usage': async ({ olderThanDays }) => planStorage(ctx, olderThanDays).usage,
    'storage.prune': async ({ olderThanDays, categories }) => pruneStorage(ctx, olderThanDays, categories ?? STORAGE_DEFAULT_PRUNE),
  }
  return { handlers }
}
