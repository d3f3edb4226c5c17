// Writes images.npy from a list of files: decoding runs in parallel (several sharp pipelines in
// flight, spread over libuv's threadpool, so every core is busy), rows are appended in input order
// through a small reorder window, so memory stays flat however many files there are. A journal
// next to the file records how far the committed rows go; after a kill, the next run truncates the
// file to the journal and continues, ending with the same bytes as an uninterrupted run.
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { decodeToRowInfo, type DecodeInfo, type DecodeOptions } from './image-decode.ts'
import { npyHeader, readNpyHeader } from './npy.ts'
import { SkipError, type SkipReason } from './skip-error.ts'

/** One file that was left out while decoding. */
export interface DecodeSkip {
  /** Index into the input file list. */
  entry: number
  /** Machine-readable reason. */
  reason: SkipReason
  /** Sentence for the report. */
  message: string
}

/** Progress of the decode phase. */
export interface CacheProgress {
  /** Files processed (written or skipped). */
  done: number
  /** Files in total. */
  total: number
  /** Recent throughput. */
  imagesPerSec: number
  /** Estimated seconds left. */
  etaS: number
}

export interface CacheWriteOptions {
  /** Dataset cache folder. */
  dir: string
  /** Files in cache order. */
  files: readonly string[]
  /** Decode/resize settings, the same for every file. */
  decode: DecodeOptions
  /** Identifies the plan; a journal from another plan is discarded. */
  planHash: string
  /** Decodes in flight; default 2 per core. */
  concurrency?: number
  /** Stops after the rows in flight; the journal stays, so the import can resume. */
  signal?: AbortSignal
  /** Called at most a few times a second. */
  onProgress?: (p: CacheProgress) => void
}

/** What the decodes told, counted over the rows written (kept across a resume in the journal). */
export interface DecodeCounts {
  /** Rows per window source (8-bit, percentile, dicom-window ...). */
  windows: Record<string, number>
  /** DICOM rows per transfer syntax UID. */
  transferSyntaxes: Record<string, number>
  /** Multi-frame DICOM files of which only the first frame was imported: input index and frame count. */
  multiFrame: { entry: number; frames: number }[]
}

/** What was written. */
export interface CacheWriteResult {
  /** Windows, transfer syntaxes and multi-frame files of the rows written. */
  counts: DecodeCounts
  /** Input indices that became rows 0..n-1, in order. */
  kept: number[]
  /** Input indices that were left out. */
  skipped: DecodeSkip[]
  /** True when an earlier interrupted run was continued. */
  resumed: boolean
}

interface Journal {
  planHash: string
  /** Input files processed (committed rows + skips). */
  next: number
  /** Rows in images.npy that are complete and durable. */
  written: number
  skipped: DecodeSkip[]
  /** Counts of the committed rows (absent in journals of older versions). */
  counts?: DecodeCounts
}

export const JOURNAL_FILE = 'import-journal.json'

/** Header length reserved up front; the final (smaller or equal) row count is patched in. */
const HEADER_BYTES = 128

/** Thrown when the signal stops the writer; the journal allows resuming. */
export class ImportCancelled extends Error {
  constructor() {
    super('The import was cancelled. Run it again to continue where it stopped.')
    this.name = 'ImportCancelled'
  }
}

export async function writeImageCache(o: CacheWriteOptions): Promise<CacheWriteResult> {
  const imagesFile = join(o.dir, 'images.npy')
  const journalFile = join(o.dir, JOURNAL_FILE)
  const { size, channels } = o.decode
  const rowBytes = size * size * channels
  const shapeOf = (n: number) => (channels === 1 ? [n, size, size] : [n, size, size, channels])
  let journal = readJournal(journalFile)
  const resumed = !!journal && journal.planHash === o.planHash && existsSync(imagesFile)
  if (!resumed) journal = { planHash: o.planHash, next: 0, written: 0, skipped: [] }
  const j = journal!
  j.counts ??= { windows: {}, transferSyntaxes: {}, multiFrame: [] }
  const counts = j.counts
  const fd = openSync(imagesFile, resumed ? 'r+' : 'w')
  try {
    if (!resumed) writeSync(fd, npyHeader('u1', shapeOf(o.files.length), HEADER_BYTES), 0, HEADER_BYTES, 0)
    // Rows past the journal may be half-written by the killed run: drop them.
    ftruncateSync(fd, HEADER_BYTES + j.written * rowBytes)
    if (!resumed) saveJournal(journalFile, j)

    const total = o.files.length
    const concurrency = Math.max(1, o.concurrency ?? availableParallelism() * 2)
    const ready = new Map<number, { row: Buffer; info: DecodeInfo } | DecodeSkip>()
    let launched = j.next
    let pending: Buffer[] = []
    let lastFlush = Date.now()
    let lastProgress = 0
    const t0 = Date.now()
    const startDone = j.next

    const flush = () => {
      if (pending.length) {
        const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
        writeSync(fd, chunk, 0, chunk.length, HEADER_BYTES + (j.written - pending.length) * rowBytes)
        pending = []
      }
      fdatasyncSync(fd)
      saveJournal(journalFile, j)
      lastFlush = Date.now()
    }
    const commit = () => {
      while (ready.has(j.next)) {
        const r = ready.get(j.next)!
        ready.delete(j.next)
        if ('row' in r) {
          pending.push(r.row)
          j.written++
          counts.windows[r.info.window] = (counts.windows[r.info.window] ?? 0) + 1
          if (r.info.transferSyntax) counts.transferSyntaxes[r.info.transferSyntax] = (counts.transferSyntaxes[r.info.transferSyntax] ?? 0) + 1
          if (r.info.frames) counts.multiFrame.push({ entry: j.next, frames: r.info.frames })
        } else j.skipped.push(r)
        j.next++
      }
      // Small, frequent commits: a kill loses at most a few dozen rows of work.
      if (pending.length >= 32 || Date.now() - lastFlush > 250) flush()
      const now = Date.now()
      if (o.onProgress && (now - lastProgress > 250 || j.next === total)) {
        lastProgress = now
        const rate = (j.next - startDone) / Math.max(0.001, (now - t0) / 1000)
        o.onProgress({ done: j.next, total, imagesPerSec: rate, etaS: rate > 0 ? (total - j.next) / rate : 0 })
      }
    }
    const decodeOne = async (i: number) => {
      try {
        ready.set(i, await decodeToRowInfo(o.files[i]!, o.decode))
      } catch (e) {
        if (!(e instanceof SkipError)) throw e
        ready.set(i, { entry: i, reason: e.reason, message: e.message })
      }
    }

    // A fixed pool of lanes, each pulling the next index: at most `concurrency` rows wait in the
    // reorder window plus the ones in flight.
    let failure: unknown = null
    const lane = async () => {
      while (failure === null && !o.signal?.aborted && launched < total) {
        const i = launched++
        try {
          await decodeOne(i)
          commit()
        } catch (e) {
          failure ??= e
        }
        // Backpressure: do not run far ahead of the oldest unfinished row.
        while (failure === null && launched - j.next > concurrency * 4) await new Promise((r) => setTimeout(r, 5))
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
    commit()
    flush()
    if (failure !== null) throw failure
    if (o.signal?.aborted) throw new ImportCancelled()

    writeSync(fd, npyHeader('u1', shapeOf(j.written), HEADER_BYTES), 0, HEADER_BYTES, 0)
    ftruncateSync(fd, HEADER_BYTES + j.written * rowBytes)
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  const skippedSet = new Set(j.skipped.map((s) => s.entry))
  const kept: number[] = []
  for (let i = 0; i < o.files.length; i++) if (!skippedSet.has(i)) kept.push(i)
  return { kept, skipped: j.skipped, resumed, counts }
}

function readJournal(file: string): Journal | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Journal
  } catch {
    return null
  }
}

function saveJournal(file: string, j: Journal): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(j))
  renameSync(`${file}.tmp`, file)
}

/** Reads the row count of a finished images.npy. */
export function cachedImageCount(dir: string): number {
  return readNpyHeader(join(dir, 'images.npy')).shape[0] ?? 0
}
