// electron-builder.json as the packaging tests read it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..')

/** An extraResources entry. */
export interface ResourceEntry {
  /** Source folder, relative to the project (electron-builder macros such as ${arch} allowed). */
  from: string
  /** Folder under the packaged app's resources. */
  to: string
  /** Glob filter. */
  filter?: string[]
}

/** The parts of the config the tests look at. */
export interface BuilderConfig {
  /** Top-level extra resources. */
  extraResources?: ResourceEntry[]
  [key: string]: unknown
}

export function electronBuilderConfig(): BuilderConfig {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'electron-builder.json'), 'utf8')) as BuilderConfig
}
