// Where the files the lab ships beside its JavaScript lie: the engine package, the locked
// requirement files, a bundled uv and the built UI. Three layouts share one answer:
//   source checkout / npm package   <root>/engine, <root>/engine/locks, <root>/resources/uv/<os>-<arch>/, <root>/out/renderer
//   packaged desktop app            <resources>/engine, <resources>/engine/locks, <resources>/uv/, <resources>/app.asar/out/renderer
// Python cannot read inside app.asar, so electron-builder copies engine/ (with its locks) and uv
// out of it as extra resources (electron-builder.yml); Electron's main process names that folder
// in XLAB_RESOURCES for the lab service.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../config/paths.ts'

/** The lab's shipped files, resolved for one layout. */
export interface LabResources {
  /** Which layout was found. */
  layout: 'source' | 'packaged'
  /** Folder that holds the engine package `xlab` (put on PYTHONPATH). */
  engineDir: string
  /** Folder of the locked requirement files (`<os>-<arch>-<variant>.txt`). */
  locksDir: string
  /** A uv binary shipped with the lab, or null where none is bundled. */
  uvBinary: string | null
  /** The built renderer (index.html and assets). */
  rendererDir: string
}

/** What the layout depends on; every field has a default from the running process. */
export interface ResourceInputs {
  /** Electron's process.resourcesPath when packaged (XLAB_RESOURCES), else undefined. */
  resourcesDir?: string
  /** The app or package root (the folder with package.json; app.asar when packaged). */
  appRoot?: string
  /** process.platform. */
  platform?: NodeJS.Platform
  /** process.arch. */
  arch?: string
  /** File existence check (tests pass a fake tree). */
  exists?: (path: string) => boolean
}

/** The uv binary's file name on a platform. */
export const uvFileName = (platform: NodeJS.Platform) => (platform === 'win32' ? 'uv.exe' : 'uv')

/** Resolves the shipped files for the packaged app or a source/npm layout. */
export function labResources(inputs: ResourceInputs = {}): LabResources {
  const platform = inputs.platform ?? process.platform
  const arch = inputs.arch ?? process.arch
  const exists = inputs.exists ?? existsSync
  const resourcesDir = inputs.resourcesDir ?? (process.env.XLAB_RESOURCES || undefined)
  const appRoot = inputs.appRoot ?? (resourcesDir ? join(resourcesDir, 'app.asar') : repoRoot())
  const uvName = uvFileName(platform)
  if (resourcesDir) {
    const uv = join(resourcesDir, 'uv', uvName)
    return {
      layout: 'packaged',
      engineDir: join(resourcesDir, 'engine'),
      locksDir: join(resourcesDir, 'engine', 'locks'),
      uvBinary: exists(uv) ? uv : null,
      rendererDir: join(appRoot, 'out', 'renderer'),
    }
  }
  const uv = join(appRoot, 'resources', 'uv', `${platform}-${arch}`, uvName)
  return {
    layout: 'source',
    engineDir: join(appRoot, 'engine'),
    locksDir: join(appRoot, 'engine', 'locks'),
    uvBinary: exists(uv) ? uv : null,
    rendererDir: join(appRoot, 'out', 'renderer'),
  }
}
