// Directory walking shared by the importers: sorted, so the cache order is reproducible.
import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs'
import { join, relative } from 'node:path'
import { ImportInputError, type SkippedFile } from './plan.ts'

/** Called for an entry the walk cannot use (a symlink loop, a broken link, an unreadable folder). */
export type OnUnusable = (path: string, message: string) => void

/**
 * Files under `dir` (recursive, sorted, hidden entries ignored), as absolute paths. One bad entry
 * never ends the walk: it goes to `onUnusable` (the importers list it as a skipped file).
 */
export function listFiles(dir: string, recursive = true, onUnusable: OnUnusable = () => {}): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch (e) {
      if (d === dir) throw e
      onUnusable(d, `the folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
      return
    }
    entries = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) {
        if (recursive) walk(p)
      } else if (e.isFile()) out.push(p)
      else if (e.isSymbolicLink()) {
        const target = linkTarget(p)
        if (typeof target === 'string') onUnusable(p, target)
        else if (target.isFile()) out.push(p)
      }
    }
  }
  walk(dir)
  return out
}

/** What a symlink points at, or why it points nowhere usable. */
function linkTarget(p: string): Stats | string {
  try {
    const st = statSync(p, { throwIfNoEntry: false })
    return st ?? 'the link points to a file that does not exist'
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return code === 'ELOOP' ? 'the link is part of a symlink loop' : `the link cannot be followed (${code ?? (e as Error).message})`
  }
}

/** An OnUnusable that lists the entry as an unreadable skipped file of the import rooted at `root`. */
export function skipUnusable(root: string, skipped: SkippedFile[]): OnUnusable {
  return (path, message) => skipped.push({ file: relPath(root, path), reason: 'unreadable', message })
}

/** Sorted names of the sub-folders of `dir`. */
export function listDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort()
}

/** Throws a clear message unless `path` is an existing folder. */
export function requireDir(path: string, what: string): void {
  const st = statSync(path, { throwIfNoEntry: false })
  if (!st) throw new ImportInputError(`${path} does not exist. Check the path to the ${what} (a folder).`)
  if (!st.isDirectory()) throw new ImportInputError(`${path} is a file, not a folder. Give the folder that holds the ${what}.`)
}

/** Path relative to root with forward slashes. */
export function relPath(root: string, file: string): string {
  return relative(root, file).split('\\').join('/')
}
