// Automatic updates through electron-updater from GitHub releases (electron-builder.json's
// `publish`). Off unless the user turns it on (XLAB_AUTO_UPDATE=1, or `"autoUpdate": true` in
// <userData>/settings.json): a lab machine in the middle of a study should not change under it.
// Updates replace the app bundle only; the engine environment and the data root live outside it.
import { readFileSync } from 'node:fs'

/** The part of electron-updater's autoUpdater used here (a fake in tests). */
export interface UpdaterLike {
  /** Download only after the user agrees. */
  autoDownload: boolean
  /** Install a downloaded update when the app quits. */
  autoInstallOnAppQuit: boolean
  /** Checks the release feed and shows the OS notification when there is an update. */
  checkForUpdatesAndNotify(): Promise<unknown>
}

/** Whether automatic updates are on (default: off). */
export function autoUpdateEnabled(env: NodeJS.ProcessEnv, settingsFile: string): boolean {
  if (env.XLAB_AUTO_UPDATE !== undefined) return env.XLAB_AUTO_UPDATE === '1'
  try {
    return (JSON.parse(readFileSync(settingsFile, 'utf8')) as { autoUpdate?: unknown }).autoUpdate === true
  } catch {
    return false
  }
}

/** Starts the update check when enabled and packaged; returns what it did. */
export async function startAutoUpdates(opts: { enabled: boolean; isPackaged: boolean; load: () => Promise<UpdaterLike>; log: (m: string) => void }): Promise<'off' | 'dev' | 'checking'> {
  if (!opts.enabled) return 'off'
  // An unpackaged app has no release feed (app-update.yml is written by electron-builder).
  if (!opts.isPackaged) return 'dev'
  const updater = await opts.load()
  updater.autoDownload = false
  updater.autoInstallOnAppQuit = true
  updater.checkForUpdatesAndNotify().catch((e: unknown) => opts.log(`update check failed: ${String(e)}`))
  return 'checking'
}
