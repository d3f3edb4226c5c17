// Where the lab keeps its data: one root holding lab.sqlite, datasets/ and runs/ (DESIGN.md).
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

/** The data root: --data, then XLAB_DATA, then the platform's per-user data folder. */
export function resolveDataRoot(explicit?: string): string {
  if (explicit) return resolve(explicit)
  if (process.env.XLAB_DATA) return resolve(process.env.XLAB_DATA)
  return userDataFolder()
}

/** The platform's per-user data folder of the lab (default data root; home of the engine environment). */
export function userDataFolder(): string {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'xray-ssl-lab')
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'xray-ssl-lab')
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'xray-ssl-lab')
}

/** Fixed sub-paths of a data root. */
export function layout(dataRoot: string) {
  return {
    db: join(dataRoot, 'lab.sqlite'),
    datasets: join(dataRoot, 'datasets'),
    dataset: (id: string) => join(dataRoot, 'datasets', id),
    runs: join(dataRoot, 'runs'),
    run: (id: string) => join(dataRoot, 'runs', id),
    sources: join(dataRoot, 'sources'),
    reports: join(dataRoot, 'reports'),
    /** Imported reference encoders, one folder per name (src-core/encoders/reference-files.ts). */
    encoders: join(dataRoot, 'encoders'),
  }
}

/**
 * The lab's own root: the repository when running from source, the installed package when run
 * from node_modules, app.asar in the packaged app. Found by walking up to our package.json, so the
 * answer is the same from src-core/config/ and from any built bundle (out/cli/, out/main/).
 */
export function repoRoot(): string {
  return (cachedRoot ??= findOwnRoot())
}

let cachedRoot: string | undefined

function findOwnRoot(): string {
  let dir = import.meta.dirname
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'xray-ssl-lab') return dir
      } catch {
        // an unreadable package.json is not ours; keep walking
      }
    }
    const up = dirname(dir)
    if (up === dir) return resolve(import.meta.dirname, '..', '..')
    dir = up
  }
}
