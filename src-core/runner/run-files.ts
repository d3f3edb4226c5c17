// What the files of a run folder are for, and the clean-up of a finished run (docs/architecture.md,
// "Checkpoints"). The engine writes two kinds of checkpoint: the resumable state (`last.pth`, the one
// it replaced `last.prev.pth`, and `.<name>.tmp-<pid>` files a killed write leaves) and the weights
// (`best.pth`, without optimizer state). A run keeps its resumable state until it is recorded done in
// SQLite, and only then is it deleted, so a crash at any moment loses nothing: before the record the
// run starts again and resumes; after it the run is done and needs only its weights.
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/** The resumable state's files (engine/xlab/checkpoints.py RESUMABLE_FILES). */
export const RESUMABLE_FILES = ['last.pth', 'last.prev.pth'] as const
/** The weights a finished run keeps (engine/xlab/checkpoints.py WEIGHTS_FILE). */
export const WEIGHTS_FILE = 'best.pth'
/** The folder of an extract run's encoder files. */
export const ENCODERS_DIR = 'encoders'

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
  if (rel.startsWith(`${ENCODERS_DIR}/`) && TEMP_FILE.test(name)) return 'resumable'
  if (rel === WEIGHTS_FILE) return 'weights'
  if (rel.startsWith(`${ENCODERS_DIR}/`)) return 'encoder'
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

/** Total bytes of a run folder. */
export function folderBytes(u: RunFolderUsage): number {
  return u.bytes.resumable + u.bytes.weights + u.bytes.encoder + u.bytes.other
}
