// Where the lab may delete: only strictly inside its own data root (DESIGN.md "Data on disk"),
// checked at the point of deletion, whatever path a database row or a caller hands in.
import { realpathSync, rmSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'

/** `p` relative to `root` with `/` separators when it lies inside the root (or is the root), else null. */
export function insideRoot(root: string, p: string): string | null {
  const tryRel = (r: string, q: string): string | null => {
    const rel = relative(r, q)
    if (rel === '') return '.'
    if (rel.startsWith('..') || isAbsolute(rel)) return null
    return rel.split(sep).join('/')
  }
  const direct = tryRel(root, resolve(p))
  if (direct !== null) return direct
  // The root may be reached through a symlink (/tmp -> /private/tmp): compare real paths too.
  try {
    return tryRel(realpathSync(root), realpathSync(p))
  } catch {
    return null
  }
}

/** Thrown when the lab is asked to delete something outside its own data root. */
export class OutsideDataRootError extends Error {}

/**
 * Checks at the point of deletion that `target` lies strictly inside `dataRoot` (never the root
 * itself); returns the absolute path. Every recursive delete of the lab goes through this, so a
 * path read from a copied database, a hand-edited row or a bug can never remove another copy's files.
 */
export function deletablePath(dataRoot: string, target: string): string {
  const abs = resolve(target)
  const rel = insideRoot(dataRoot, abs)
  if (rel === null || rel === '.') {
    throw new OutsideDataRootError(
      `Refusing to delete ${abs}: it is outside this lab's data root ${resolve(dataRoot)}, and the lab only deletes inside its own data root. ` +
        'The database may have been copied from another root by an older version; run xlab doctor to list such paths.',
    )
  }
  return abs
}

/** Removes a file or folder tree that lies inside the data root; refuses (throws) anything else. */
export function removeInsideRoot(dataRoot: string, target: string): void {
  rmSync(deletablePath(dataRoot, target), { recursive: true, force: true })
}
