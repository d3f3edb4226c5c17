// Every filesystem path that crosses into the lab service is resolved and checked against the
// folders the user chose (a native dialog in the desktop app, --allow for `xlab serve`).
import { realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
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
