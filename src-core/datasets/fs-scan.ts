// Directory walking shared by the importers: sorted, so the cache order is reproducible.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ImportInputError } from './plan.ts'

/** Files under `dir` (recursive, sorted, hidden entries ignored), as absolute paths. */
export function listFiles(dir: string, recursive = true): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) {
        if (recursive) walk(p)
      } else if (e.isFile() || (e.isSymbolicLink() && statSync(p, { throwIfNoEntry: false })?.isFile())) out.push(p)
    }
  }
  walk(dir)
  return out
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
