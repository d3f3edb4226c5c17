// Every filesystem path that crosses into the lab service is resolved and checked against the
// folders the user chose (a native dialog in the desktop app, --allow for `xlab serve`).
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { ApiError } from '../api/contract.ts'

export class PathGuard {
  private readonly roots = new Set<string>()

  /** `allowAll` is for the in-process CLI, whose user already has the shell. */
  constructor(private readonly allowAll = false) {}

  /** Adds a folder the user chose; files under it become acceptable. */
  allow(dir: string): void {
    this.roots.add(canonical(dir))
  }

  /** Folders currently allowed (for display). */
  allowed(): string[] {
    return [...this.roots]
  }

  /**
   * True when the resolved real path of `path` (every symlink followed, of the file itself too) lies
   * inside a chosen folder. For each file the service imports or serves, not only for its folder.
   */
  allows(path: string): boolean {
    if (this.allowAll) return true
    const p = canonical(path)
    for (const root of this.roots) {
      const rel = relative(root, p)
      if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return true
    }
    return false
  }

  /** Returns the canonical absolute path, or throws PATH_REFUSED if it is outside every chosen folder. */
  check(path: string): string {
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
      throw new ApiError('BAD_REQUEST', 'The path is empty or malformed. Choose a folder or file again.')
    }
    const p = canonical(path)
    if (this.allows(p)) return p
    throw new ApiError('PATH_REFUSED', `${path} is outside the folders you opened in the lab (${this.allowed().join(', ') || 'none yet'}). Choose it with the folder picker, or start xlab serve with --allow <folder>.`)
  }
}

/** Resolves symlinks where the path exists, so a link cannot lead outside an allowed folder. */
function canonical(p: string): string {
  const abs = resolve(p)
  try {
    return realpathSync(abs)
  } catch {
    return abs
  }
}

/** One level of the folder chooser (`folders.list`). */
export interface FolderListing {
  /** The folder listed (canonical), or null for the list of allowed folders itself. */
  path: string | null
  /** Its parent when that is inside an allowed folder too, else null (back to the allowed folders). */
  parent: string | null
  /** Sub-folders (or the allowed folders), sorted by name; links that lead outside are left out. */
  folders: { name: string; path: string }[]
  /** Files directly in the folder, and how many of them have an image extension. */
  files: number
  images: number
  /** Entries not shown: links leading outside the allowed folders, unreadable entries. */
  hidden: number
  /** True when more than MAX_LISTED folders were there (the first ones are listed). */
  truncated: boolean
}

const MAX_LISTED = 2000
const IMAGE_EXT = /\.(png|jpe?g|pgm|dcm|dicom|tiff?|webp)$/i

/**
 * Lists what the folder chooser shows, through the guard: with no path, the allowed folders; with a
 * path inside one, its sub-folders. A path outside them, a symlink leading outside included, is
 * refused (PATH_REFUSED); a sub-folder that is a link to outside is not listed.
 */
export function listFolder(guard: PathGuard, path?: string | null): FolderListing {
  if (path === undefined || path === null || path === '') {
    const roots = guard.allowed().sort()
    return { path: null, parent: null, folders: roots.map((r) => ({ name: r, path: r })), files: 0, images: 0, hidden: 0, truncated: false }
  }
  const dir = guard.check(path)
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOTDIR' ? 'it is a file, not a folder' : code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' ? 'the lab may not read it (check its permissions)' : `it cannot be read (${code ?? (e as Error).message})`
    throw new ApiError('BAD_REQUEST', `${dir} cannot be listed: ${why}.`)
  }
  const folders: { name: string; path: string }[] = []
  let files = 0
  let images = 0
  let hidden = 0
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    let isDir = e.isDirectory()
    let isFile = e.isFile()
    if (e.isSymbolicLink()) {
      const st = statSync(p, { throwIfNoEntry: false })
      if (!st || !guard.allows(p)) {
        hidden++
        continue
      }
      isDir = st.isDirectory()
      isFile = st.isFile()
    }
    if (isDir) folders.push({ name: e.name, path: p })
    else if (isFile) {
      files++
      if (IMAGE_EXT.test(e.name)) images++
    }
  }
  const up = dirname(dir)
  const isRoot = guard.allowed().includes(dir)
  return { path: dir, parent: !isRoot && up !== dir && guard.allows(up) ? up : null, folders: folders.slice(0, MAX_LISTED), files, images, hidden, truncated: folders.length > MAX_LISTED }
}
