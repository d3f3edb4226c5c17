// Where the lab keeps its data: one root holding lab.sqlite, datasets/ and runs/ (DESIGN.md).
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** The data root: --data, then XLAB_DATA, then the platform's per-user data folder. */
export function resolveDataRoot(explicit?: string): string {
  if (explicit) return resolve(explicit)
  if (process.env.XLAB_DATA) return resolve(process.env.XLAB_DATA)
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
  }
}

/** The repository root (for the engine venv and the built renderer) when running from source. */
export function repoRoot(): string {
  return resolve(import.meta.dirname, '..', '..')
}
