// Directory walking shared by the importers: sorted, so the cache order is reproducible.
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs'
import { join, relative } from 'node:path'
import { ImportInputError, type SkippedFile } from './plan.ts'

/** Called for an entry the walk cannot use (a symlink loop, a broken link, an unreadable folder). */
export type OnUnusable = (path: string, message: string) => void

/** A sentence for a folder readdir refused, with what to do. */
export function unreadableFolder(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return `${path} cannot be read: the lab has no permission to list it (${code}). Give the user running the lab read and execute permission on it (e.g. chmod -R a+rX), or move the images elsewhere.`
  if (code === 'ENOTDIR') return `${path} is a file, not a folder.`
  if (code === 'ENOENT') return `${path} does not exist (any more).`
  if (code === 'ELOOP') return `${path} is a symlink loop.`
  return `${path} cannot be read (${code ?? (e as Error).message}).`
}

/** readdir with the sentence of unreadableFolder in an ImportInputError. */
function readFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch (e) {
    throw new ImportInputError(unreadableFolder(dir, e))
  }
}

/**
 * Files under `dir` (recursive, sorted, hidden entries ignored), as absolute paths. Symlinks are
 * followed, to files and to folders (a folder reached twice through links is a loop, reported).
 * One bad entry never ends the walk: it goes to `onUnusable` (the importers list it as a skipped
 * file). `dir` itself unreadable throws ImportInputError with a sentence (never a raw EACCES).
 */
export function listFiles(dir: string, recursive = true, onUnusable: OnUnusable = () => {}): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const walk = (d: string) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch (e) {
      if (d === dir) throw new ImportInputError(unreadableFolder(d, e))
      onUnusable(d, `the folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); its files are left out`)
      return
    }
    try {
      seen.add(realpathSync(d))
    } catch {
      // Listed above, so it exists; a failing realpath only weakens the loop check.
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
        else if (target.isDirectory() && recursive) {
          if (seen.has(realpathSync(p))) onUnusable(p, 'the link leads to a folder already walked (a symlink loop or a second link to it); it is followed once')
          else walk(p)
        }
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
  return (path, message) => {
    const file = relPath(root, path)
    // The same link may be met by two walks (the class folders and the files beside them).
    if (!skipped.some((s) => s.file === file && s.reason === 'unreadable')) skipped.push({ file, reason: 'unreadable', message })
  }
}

/**
 * Sorted names of the sub-folders of `dir`, symlinks to folders included (followed); a link that
 * leads nowhere goes to `onUnusable`. `dir` itself unreadable throws ImportInputError with a sentence.
 */
export function listDirs(dir: string, onUnusable: OnUnusable = () => {}): string[] {
  const out: string[] = []
  for (const e of readFolder(dir)) {
    if (e.name.startsWith('.')) continue
    if (e.isDirectory()) out.push(e.name)
    else if (e.isSymbolicLink()) {
      const target = linkTarget(join(dir, e.name))
      if (typeof target === 'string') onUnusable(join(dir, e.name), target)
      else if (target.isDirectory()) out.push(e.name)
    }
  }
  return out.sort()
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
