// One import from start to finish: plan (bad input refused before anything is stored), split with
// the patient-leak check, decode into the cache (resumable), small files, meta.json, SQLite rows and
// the report. A dataset is marked ready only when every file of its cache is complete.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, rmSync, statfsSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Db } from '../store/db.ts'
import { dataRootOf } from '../store/data-root.ts'
import * as store from '../store/datasets.ts'
import { ImportCancelled, JOURNAL_FILE, writeImageCache, type CacheProgress } from './cache-writer.ts'
import { channelStats, writeMeta, writeSmallFiles } from './cache-files.ts'
import { CROP_REVISION } from './cache-health.ts'
import { planChestXray14 } from './chestxray14.ts'
import type { ResizePolicy } from './image-decode.ts'
import { planImageFolder, type ColorMode } from './imagefolder.ts'
import { importHints } from './hints.ts'
import type { ColumnChoice } from './labels-csv.ts'
import { planMammograms } from './mammogram.ts'
import { ImportInputError, type DatasetKind, type ImportPlan } from './plan.ts'
import { buildReport, type ImportReport } from './report.ts'
import { assignSplits, DEFAULT_FRACTIONS, findLeaks, SPLIT_NAMES, validateFractions, type SplitFractions, type SplitName } from './splits.ts'
import { processAlive } from '../util/process.ts'
import { removeInsideRoot } from '../util/inside-root.ts'
import { readIfAllowed } from './guarded-read.ts'
import { idShapedNameProblem } from '../util/names.ts'

/** What the user asks for. */
export interface ImportRequest {
  /** Importer. */
  kind: DatasetKind
  /** Source folder. */
  path: string
  /** Unique dataset name; defaults to the folder name. */
  name?: string
  /** Output side in pixels (default 224). */
  size?: number
  /** Colour handling for image folders (default auto). */
  color?: ColorMode
  /** Split fractions for seeded splits (default 0.7/0.1/0.2). */
  split?: SplitFractions
  /** Seed of the split (default 0). */
  seed?: number
  /**
   * Mirror mammograms to face one way (default false: kept as acquired). The mirror is a reading
   * convention; in a pretext role it turns "which side is the chest wall on" into a constant that gives
   * rotation its answer, so it is recorded (meta.json laterality_flip) and the rotation and structure
   * tasks then mirror each image at random (engine/xlab/train_pretext.py laterality_of).
   */
  lateralityFlip?: boolean
  /** Decodes in flight (default 2 per core). */
  concurrency?: number
  /** Overrides the kind's resize policy (crop for chest and image folders, pad for mammograms). */
  policy?: ResizePolicy
  /** Columns of the label table chosen by the user (labels.csv; the ChestX-ray14 table); others are recognised by name. */
  columns?: ColumnChoice
  /**
   * True for files the caller may read (the service's PathGuard on each file's resolved path): a
   * symlink inside the chosen folder that leads outside it is skipped, not imported. Checked when
   * the import is planned and again on the real path of each file when it is opened (guarded-read.ts).
   */
  allowFile?: (file: string) => boolean
}

/** Progress of one import. */
export interface ImportProgress extends CacheProgress {
  /** Dataset id. */
  datasetId: string
  /** Dataset name. */
  name: string
  /** planning, decoding, finishing. */
  phase: 'planning' | 'decoding' | 'finishing'
}

export interface ImportEnv {
  /** The run store. */
  db: Db
  /** `<dataRoot>/datasets`. */
  datasetsDir: string
}

/** A prepared import: the row exists, `run()` does the work. */
export interface PreparedImport {
  /** Dataset id. */
  id: string
  /** Dataset name. */
  name: string
  /** Decodes and finishes; resolves with the stored record. */
  run(opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void }): Promise<store.DatasetRecord>
}

/** Plans the import and creates (or reopens, to resume) the dataset row. Throws ImportInputError on bad input. */
export async function prepareImport(env: ImportEnv, req: ImportRequest): Promise<PreparedImport> {
  const size = req.size ?? 224
  if (!Number.isInteger(size) || size < 8 || size > 2048) throw new ImportInputError(`--size must be a whole number of pixels between 8 and 2048 (got ${req.size}).`)
  const fractions = req.split ?? DEFAULT_FRACTIONS
  try {
    validateFractions(fractions)
  } catch (e) {
    throw new ImportInputError((e as Error).message)
  }
  const seed = req.seed ?? 0
  const plan = await makePlan(req)
  if (req.policy) plan.policy = req.policy
  if (req.allowFile) refuseOutside(plan, req.allowFile)
  plan.warnings.push(...(await importHints(plan)))
  const name = req.name ?? basename(req.path)
  const badName = idShapedNameProblem(name, 'dataset')
  if (badName) throw new ImportInputError(badName)
  const splits = splitPlan(plan, fractions, seed)
  const options = { size, color: req.color ?? 'auto', split: fractions, seed, lateralityFlip: plan.lateralityFlip, policy: plan.policy }
  const planHash = hashPlan(req.kind, options, plan)

  // The name is claimed under the write lock (an immediate transaction): of two processes importing
  // one name at the same moment, one gets it and the other is refused with a sentence.
  const claim = env.db.transaction((): { id: string; clear: string | null } => {
    let existing = store.getDatasetByIdOrName(env.db, name)
    if (existing && existing.name !== name) existing = null
    if (!existing) {
      const id = `ds-${randomBytes(4).toString('hex')}`
      store.insertDataset(env.db, { id, name, kind: req.kind, source: req.path, dir: join(env.datasetsDir, id), options, importPid: process.pid })
      return { id, clear: null }
    }
    if (existing.status === 'ready') throw new ImportInputError(`A dataset named "${name}" already exists. Remove it (xlab datasets remove ${name}) or choose another --name.`)
    if (existing.status === 'importing' && existing.importPid !== null && existing.importPid !== process.pid && processAlive(existing.importPid)) {
      throw new ImportInputError(busyMessage(name, existing.importPid))
    }
    store.markImporting(env.db, existing.id, process.pid)
    // Not the same import: start over in the same folder rather than mixing two plans.
    return { id: existing.id, clear: existing.planHash !== planHash ? existing.dir : null }
  })
  let claimed: { id: string; clear: string | null }
  try {
    claimed = claim.immediate()
  } catch (err) {
    // Another process inserted the name between its check and ours.
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ImportInputError(busyMessage(name, null))
    throw err
  }
  const id = claimed.id
  if (claimed.clear) {
    if (existsSync(join(claimed.clear, JOURNAL_FILE))) plan.warnings.push('The source changed since the interrupted import (files added, removed or modified, or other options), so the import started over rather than keep rows decoded from the old files.')
    removeInsideRoot(dataRootOf(env.db) ?? dirname(env.datasetsDir), claimed.clear)
  }
  store.setPlanHash(env.db, id, planHash)
  const dir = join(env.datasetsDir, id)
  return {
    id,
    name,
    run: (opts) => runImport(env, { id, name, dir, kind: req.kind, source: req.path, size, plan, splits, planHash, concurrency: req.concurrency, allowFile: req.allowFile }, opts),
  }
}

function busyMessage(name: string, pid: number | null): string {
  return `"${name}" is being imported by another process${pid ? ` (pid ${pid})` : ''}: one import per name at a time. Wait for it (xlab datasets list shows when it is ready) or cancel it there, or choose another --name.`
}

/** Moves files the caller may not read to the skipped list. */
function refuseOutside(plan: ImportPlan, allowFile: (file: string) => boolean): void {
  const kept = plan.items.filter((it) => allowFile(it.file))
  if (kept.length === plan.items.length) return
  for (const it of plan.items) {
    if (!allowFile(it.file)) plan.skipped.push({ file: it.rel, reason: 'outside-allowed-folders', message: 'the file is a link to a place outside the folders opened in the lab; copy the file in, or open its folder too' })
  }
  if (!kept.length) throw new ImportInputError('Every image of this folder is a link to a place outside the folders opened in the lab. Open the folder the links point to as well, or copy the images in.')
  plan.items = kept
}

async function makePlan(req: ImportRequest): Promise<ImportPlan> {
  const columns = Object.fromEntries(Object.entries(req.columns ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== '')) as ColumnChoice
  if (req.kind === 'chestxray14') return planChestXray14(req.path, columns)
  if (req.kind === 'imagefolder') {
    if (Object.keys(columns).length) throw new ImportInputError('An image folder takes its labels from its class folders and has no label table, so columns cannot be chosen. Leave --file-column, --label-column and --patient-column out, or import as mammogram with a labels.csv.')
    return planImageFolder(req.path, req.color ?? 'auto')
  }
  return planMammograms(req.path, req.lateralityFlip ?? false, columns)
}

/** Splits the plan's items; refuses a source split that puts one patient in two splits. */
export function splitPlan(plan: ImportPlan, fractions: SplitFractions, seed: number): SplitName[] {
  const group = (i: number) => (plan.hasPatients && plan.items[i]!.patient !== null ? `p${plan.items[i]!.patient}` : `i${i}`)
  const fixed = new Map<string, Set<string>>()
  plan.items.forEach((it, i) => {
    const s = fixed.get(group(i)) ?? new Set()
    s.add(it.fixedSplit ?? 'free')
    fixed.set(group(i), s)
  })
  const mixed = [...fixed].filter(([, s]) => s.size > 1)
  if (mixed.length) {
    const ex = mixed.slice(0, 5).map(([g, s]) => `patient ${g.slice(1)} (${[...s].join(' and ').replace('free', 'train/val')})`).join(', ')
    throw new ImportInputError(`The source's split leaks patients: ${mixed.length} patient(s) have images in more than one split, e.g. ${ex}. Fix the split lists (train_val_list.txt / test_list.txt) or remove them to let the lab split by patient.`)
  }
  // Splits the source fixed are taken as they are; the rest is shared among the other splits.
  const usedFixed = new Set(plan.items.map((it) => it.fixedSplit).filter((s): s is SplitName => s !== null))
  const free: SplitFractions = { ...fractions }
  for (const s of usedFixed) free[s] = 0
  const sum = free.train + free.val + free.test
  if (sum <= 0) free.train = 1
  else for (const s of SPLIT_NAMES) free[s] /= sum
  let out = assignSplits(plan.items.map((it, i) => ({ group: group(i), stratum: plan.stratum(it), fixed: it.fixedSplit })), free, seed)
  if (emptySplits(out, free).length) {
    // Strata too small to share (one image per class): stratifying would leave a split empty, and a
    // pretraining set needs no class balance, so the images are split as one stratum instead.
    const flat = assignSplits(plan.items.map((it, i) => ({ group: group(i), stratum: 0, fixed: it.fixedSplit })), free, seed)
    if (emptySplits(flat, free).length < emptySplits(out, free).length) {
      out = flat
      plan.warnings.push('The classes are too small to stratify the split (e.g. one image per class), so the images were split without regard to their class.')
    }
  }
  for (const s of emptySplits(out, fractions)) {
    plan.warnings.push(`The ${s} split is empty (${plan.items.length} image(s) for a ${fractions[s]} share). ${s === 'val' ? 'Pretext runs need validation images: add images or give val a larger share with --split.' : 'Add images or give it a larger share with --split.'}`)
  }
  const leaks = findLeaks(plan.items.map((_, i) => group(i)), out)
  if (leaks.length) throw new ImportInputError(`Internal check failed: ${leaks.length} patient(s) ended up in two splits. Please report this.`)
  return out
}

/** Splits with a positive share that got no image. */
function emptySplits(splits: readonly SplitName[], fractions: SplitFractions): SplitName[] {
  return SPLIT_NAMES.filter((s) => fractions[s] > 0 && !splits.includes(s))
}

/** Size and modification time of a file ('-' when it cannot be read: the decode reports why). */
function fileStamp(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false })
  return st ? `${st.size}:${st.mtimeMs}` : '-'
}

function hashPlan(kind: string, options: object, plan: ImportPlan): string {
  const h = createHash('sha256')
  // The crop revision: rows an older cut wrote must not be resumed into a cache the new cut finishes.
  const crop = plan.policy === 'crop-foreground' ? { crop: CROP_REVISION } : {}
  h.update(JSON.stringify({ kind, options, channels: plan.channels, policy: plan.policy, labels: plan.labelNames, ...crop }))
  // Each file's size and modification time too: a file changed between a kill and the resumed
  // import changes the hash, so the import starts over instead of keeping the old file's pixels.
  for (const it of plan.items) h.update(`${it.rel}\t${it.labels.join(',')}\t${it.patient}\t${fileStamp(it.file)}\n`)
  return h.digest('hex').slice(0, 32)
}


interface ImportJob {
  id: string
  name: string
  dir: string
  kind: DatasetKind
  source: string
  size: number
  plan: ImportPlan
  splits: SplitName[]
  planHash: string
  concurrency?: number
  allowFile?: (file: string) => boolean
}

async function runImport(env: ImportEnv, job: ImportJob, opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void }): Promise<store.DatasetRecord> {
  const t0 = Date.now()
  const { plan, dir, allowFile } = job
  const emit = (phase: ImportProgress['phase'], p: CacheProgress) => opts.onProgress?.({ datasetId: job.id, name: job.name, phase, ...p })
  try {
    mkdirSync(dir, { recursive: true })
    checkFreeSpace(dir, plan.items.length * job.size * job.size * plan.channels)
    emit('decoding', { done: 0, total: plan.items.length, imagesPerSec: 0, etaS: 0 })
    const res = await writeImageCache({
      dir,
      files: plan.items.map((it) => it.file),
      decode: { size: job.size, channels: plan.channels, policy: plan.policy, lateralityFlip: plan.lateralityFlip, ...(allowFile ? { read: (f: string) => readIfAllowed(f, allowFile) } : {}) },
      planHash: job.planHash,
      concurrency: job.concurrency,
      signal: opts.signal,
      onProgress: (p) => emit('decoding', p),
    })
    if (res.kept.length === 0) throw new ImportInputError(`None of the ${plan.items.length} images under ${job.source} could be decoded (see the skipped files). Check that they are images.`)
    emit('finishing', { done: plan.items.length, total: plan.items.length, imagesPerSec: 0, etaS: 0 })
    const kept = res.kept.map((i) => plan.items[i]!)
    const splits = res.kept.map((i) => job.splits[i]!)
    const bySplit = writeSmallFiles(dir, {
      labels: kept.map((it) => it.labels),
      labelCount: plan.labelNames.length,
      patients: plan.hasPatients ? kept.map((it) => it.patient ?? -1) : null,
      splits,
    })
    const stats = channelStats(join(dir, 'images.npy'), bySplit.train)
    const splitCounts = Object.fromEntries(SPLIT_NAMES.map((s) => [s, bySplit[s].length]))
    const files = ['images.npy', 'labels.npy', ...(plan.hasPatients ? ['patients.npy'] : []), ...SPLIT_NAMES.map((s) => `split-${s}.npy`)]
    await writeMeta(dir, {
      id: job.id, name: job.name, kind: job.kind, source: job.source, n: kept.length, height: job.size, width: job.size, channels: plan.channels,
      label_names: plan.labelNames, multi_label: plan.multiLabel, mean: stats.mean, std: stats.std, splits: splitCounts,
      resize_policy: plan.policy, split_source: plan.splitSource, laterality_flip: plan.lateralityFlip,
      ...(plan.policy === 'crop-foreground' ? { crop_revision: CROP_REVISION } : {}),
    }, files)
    const decodeSkips = res.skipped.map((s) => ({ file: plan.items[s.entry]!.rel, reason: s.reason, message: s.message }))
    for (const m of res.counts.multiFrame.slice(0, 50)) plan.warnings.push(`${plan.items[m.entry]!.rel} holds ${m.frames} frames; only the first is imported.`)
    if (res.counts.multiFrame.length > 50) plan.warnings.push(`... and ${res.counts.multiFrame.length - 50} more multi-frame files, each imported by its first frame.`)
    const skipped = [...plan.skipped, ...decodeSkips]
    const report: ImportReport = buildReport({
      labelNames: plan.labelNames,
      rows: kept.map((it, i) => ({ labels: it.labels, split: splits[i]!, patient: plan.hasPatients ? it.patient : null })),
      skipped,
      warnings: plan.warnings,
      splitSource: plan.splitSource,
      resize: { policy: plan.policy, size: job.size, channels: plan.channels, lateralityFlip: plan.lateralityFlip },
      seconds: (Date.now() - t0) / 1000,
      resumed: res.resumed,
      considered: plan.items.length + plan.skipped.filter((s) => s.reason !== 'csv-row-without-image' && s.reason !== 'duplicate-row').length,
      decoding: { windows: res.counts.windows, transferSyntaxes: res.counts.transferSyntaxes },
    })
    const samples: store.SampleRow[] = kept.map((it, i) => ({
      path: it.rel, idx: i, labels: it.labels.map((l) => plan.labelNames[l]).join('|'), patientId: it.patient, followUp: it.followUp, view: it.view, split: splits[i]!, status: 'ok', reason: null,
    }))
    const seen = new Set(samples.map((s) => s.path))
    for (const s of skipped) {
      if (seen.has(s.file)) continue
      seen.add(s.file)
      samples.push({ path: s.file, idx: null, labels: '', patientId: null, followUp: null, view: null, split: null, status: 'skipped', reason: `${s.reason}: ${s.message}` })
    }
    store.finishImport(env.db, job.id, { n: kept.length, height: job.size, width: job.size, channels: plan.channels, labelNames: plan.labelNames, multiLabel: plan.multiLabel, splits: splitCounts, report, samples })
    rmSync(join(dir, JOURNAL_FILE), { force: true })
    return store.getDatasetByIdOrName(env.db, job.id)!
  } catch (e) {
    if (e instanceof ImportCancelled) store.markStopped(env.db, job.id, 'cancelled', e.message)
    else store.markStopped(env.db, job.id, 'failed', describeFailure(e, dir))
    throw e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOSPC' ? new ImportInputError(describeFailure(e, dir)) : e
  }
}

/** A sentence for a failure, with what to do. */
export function describeFailure(e: unknown, dir: string): string {
  const err = e as NodeJS.ErrnoException
  if (err.code === 'ENOSPC') return `The disk holding ${dir} is full. Free some space (or move the data root with --data / XLAB_DATA) and run the import again: it continues where it stopped.`
  if (err.code === 'EACCES' || err.code === 'EPERM') return `The lab cannot write to ${dir} (${err.code}). Check the folder's permissions, then run the import again.`
  return err.message ?? String(e)
}

/** Refuses early when the cache cannot fit on the disk. */
function checkFreeSpace(dir: string, bytes: number): void {
  const st = statfsSync(dir)
  const free = Number(st.bavail) * Number(st.bsize)
  if (free < bytes * 1.05 + 16e6) {
    throw Object.assign(new Error(`needs ${(bytes / 1e6).toFixed(0)} MB, ${(free / 1e6).toFixed(0)} MB free`), { code: 'ENOSPC' })
  }
}
