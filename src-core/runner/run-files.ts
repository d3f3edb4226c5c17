// What the files of a run folder are for, and the clean-up of a finished run (docs/architecture.md,
// "Checkpoints"). The engine writes two kinds of checkpoint: the resumable state (`last.pth`, the one
// it replaced `last.prev.pth`, and `.<name>.tmp-<pid>` files a killed write leaves) and the weights
// (`best.pth`, without optimizer state). A run keeps its resumable state until it is recorded done in
// SQLite, and only then is it deleted, so a crash at any moment loses nothing: before the record the
// run starts again and resumes; after it the run is done and needs only its weights.
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'

/** The resumable state's files (engine/xlab/checkpoints.py RESUMABLE_FILES). */
export const RESUMABLE_FILES = ['last.pth', 'last.prev.pth'] as const
/** The weights a finished run keeps (engine/xlab/checkpoints.py WEIGHTS_FILE). */
export const WEIGHTS_FILE = 'best.pth'
/** The folder of an extract run's encoder files. */
export const ENCODERS_DIR = 'encoders'
/** Where a pretext run keeps its encoder snapshots (engine/xlab/snapshots.py): encoder files like those of encoders/. */
export const SNAPSHOTS_DIR = 'snapshots'

/** A temp file of an atomic write (`.last.pth.tmp-123`): left only by a process killed mid-write. */
const TEMP_FILE = /^\..+\.tmp-\d+$/

/** What a file of a run folder is. */
export type RunFileKind = 'resumable' | 'weights' | 'encoder' | 'other'

/** Sizes of one run folder by kind of file. */
export interface RunFolderUsage {
  /** Bytes of each kind. */
  bytes: Record<RunFileKind, number>
  /** Files of each kind (paths relative to the run folder). */
  files: Record<RunFileKind, string[]>
}

function kindOf(rel: string): RunFileKind {
  const name = rel.split('/').pop()!
  if (!rel.includes('/') && ((RESUMABLE_FILES as readonly string[]).includes(name) || TEMP_FILE.test(name))) return 'resumable'
  if ((rel.startsWith(`${ENCODERS_DIR}/`) || rel.startsWith(`${SNAPSHOTS_DIR}/`)) && TEMP_FILE.test(name)) return 'resumable'
  if (rel === WEIGHTS_FILE) return 'weights'
  if (rel.startsWith(`${ENCODERS_DIR}/`) || rel.startsWith(`${SNAPSHOTS_DIR}/`)) return 'encoder'
  return 'other'
}

/** Every file under a run folder, sorted by kind; an absent folder is empty. Symlinks are not followed. */
export function runFolderUsage(runDir: string): RunFolderUsage {
  const usage: RunFolderUsage = { bytes: { resumable: 0, weights: 0, encoder: 0, other: 0 }, files: { resumable: [], weights: [], encoder: [], other: [] } }
  const walk = (dir: string, prefix: string) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return // unreadable or gone: nothing to count
    }
    for (const name of names) {
      const rel = prefix ? `${prefix}/${name}` : name
      let st
      try {
        st = lstatSync(join(dir, name))
      } catch {
        continue
      }
      if (st.isDirectory()) walk(join(dir, name), rel)
      else {
        const kind = kindOf(rel)
        usage.bytes[kind] += st.size
        usage.files[kind].push(rel)
      }
    }
  }
  if (existsSync(runDir)) walk(runDir, '')
  return usage
}

/** What a clean-up removed. */
export interface Removed {
  /** Files removed (relative to their run folder). */
  files: string[]
  /** Their bytes. */
  bytes: number
}

/** Deletes the resumable state of a run folder (call only for a run recorded done). */
export function dropResumableState(runDir: string): Removed {
  const u = runFolderUsage(runDir)
  for (const f of u.files.resumable) rmSync(join(runDir, f), { force: true })
  return { files: u.files.resumable, bytes: u.bytes.resumable }
}

/** Deletes every checkpoint of a run folder, weights included (a failed or cancelled run starts over). */
export function dropCheckpoints(runDir: string): Removed {
  const u = runFolderUsage(runDir)
  const files = [...u.files.resumable, ...u.files.weights]
  for (const f of files) rmSync(join(runDir, f), { force: true })
  return { files, bytes: u.bytes.resumable + u.bytes.weights }
}

/** Deletes the weights (best.pth) of a done run, nothing else: its records, logs, outputs and encoders stay. */
export function dropWeights(runDir: string): Removed {
  const u = runFolderUsage(runDir)
  for (const f of u.files.weights) rmSync(join(runDir, f), { force: true })
  return { files: u.files.weights, bytes: u.bytes.weights }
}

/** Whether a run folder still holds a checkpoint an extraction can read (best.pth, else last.pth). */
export function hasCheckpoint(runDir: string): boolean {
  return [WEIGHTS_FILE, RESUMABLE_FILES[0]].some((f) => existsSync(join(runDir, f)))
}

/**
 * What is wrong with an extract run's encoder files, or null when they are intact: one
 * `encoder__*.pth` and its `.safetensors` beside it (DESIGN.md: both formats), neither empty nor cut
 * short. Sizes and headers are read, not the tensors: a zip `.pth` (torch.save) must end in its
 * central directory, and a `.safetensors` file must be exactly as long as its header says.
 */
export function encoderFilesProblem(runDir: string): string | null {
  const dir = join(runDir, ENCODERS_DIR)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return `it has no ${ENCODERS_DIR}/ folder`
  }
  const pths = names.filter((f) => f.startsWith('encoder__') && f.endsWith('.pth'))
  if (pths.length !== 1) return `it has ${pths.length} encoder .pth files, expected one`
  const pth = join(dir, pths[0]!)
  const st = pths[0]!.replace(/\.pth$/, '.safetensors')
  if (!names.includes(st)) return `${st} is missing`
  return zipProblem(pth) ?? safetensorsProblem(join(dir, st))
}

function readAt(file: string, pos: number, len: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(len)
    const n = readSync(fd, buf, 0, len, pos)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** A torch.save zip must end in an end-of-central-directory record (a cut file lost it); a legacy pickle only must not be empty. */
function zipProblem(file: string): string | null {
  const size = statSync(file).size
  const name = basename(file)
  if (size === 0) return `${name} is empty`
  if (readAt(file, 0, 2).toString('latin1') !== 'PK') return null
  const tail = readAt(file, Math.max(0, size - 65_557), Math.min(size, 65_557))
  return tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) >= 0 ? null : `${name} is cut short (no zip directory at its end)`
}

/** A safetensors file: an 8-byte header length, a JSON header, then exactly the bytes its data offsets cover. */
function safetensorsProblem(file: string): string | null {
  const size = statSync(file).size
  const name = basename(file)
  if (size < 8) return `${name} is ${size === 0 ? 'empty' : 'cut short'}`
  const n = Number(readAt(file, 0, 8).readBigUInt64LE(0))
  if (8 + n > size) return `${name} is cut short (its header alone needs ${8 + n} bytes, the file has ${size})`
  let header: Record<string, { data_offsets?: [number, number] }>
  try {
    header = JSON.parse(readAt(file, 8, n).toString('utf8')) as typeof header
  } catch {
    return `${name} has an unreadable header`
  }
  const end = Math.max(0, ...Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, t]) => t.data_offsets?.[1] ?? 0))
  return 8 + n + end === size ? null : `${name} has ${size} bytes where its header says ${8 + n + end}`
}

/** Total bytes of a run folder. */
export function folderBytes(u: RunFolderUsage): number {
  return u.bytes.resumable + u.bytes.weights + u.bytes.encoder + u.bytes.other
}

/** The engine's temp files (`.<name>.tmp-<pid>`, renamed into place when whole; engine/xlab/checkpoints.py). */
const ENGINE_TEMP = /^\..+\.tmp-\d+$/

/**
 * Deletes the temp files a job left in its run folder (and its encoders/, features/ and snapshots/ folders):
 * a job that ended never renames them into place, and a full disk leaves them at their largest.
 * Call only once the job has ended.
 */
export function removeTempFiles(runDir: string): Removed {
  const out: Removed = { files: [], bytes: 0 }
  for (const sub of ['', 'encoders', 'features', SNAPSHOTS_DIR]) {
    const dir = sub ? join(runDir, sub) : runDir
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      if (!ENGINE_TEMP.test(name)) continue
      const file = join(dir, name)
      try {
        out.bytes += statSync(file).size
        rmSync(file, { force: true })
        out.files.push(sub ? `${sub}/${name}` : name)
      } catch {
        // Gone meanwhile, or not ours to remove: `xlab runs prune` lists what is left.
      }
    }
  }
  return out
}
