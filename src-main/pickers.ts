// Native folder/file pickers. The chosen folder is added to the service's PathGuard through the
// host (main-only), so the renderer can import exactly what the user picked and nothing else.
import { dirname } from 'node:path'
import { CHANNELS } from '../src-preload/bridge.ts'

/** The parts of ipcMain used here. */
export interface IpcMainLike {
  /** Registers an invoke handler. */
  handle(channel: string, handler: (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => Promise<unknown>): void
}

/** A picker: returns chosen paths (empty if cancelled). */
export type ShowDialog = (opts: { title: string; properties: ('openDirectory' | 'openFile')[]; filters?: { name: string; extensions: string[] }[] }) => Promise<{ canceled: boolean; filePaths: string[] }>

export function registerPickers(ipc: IpcMainLike, showDialog: ShowDialog, allow: (dir: string) => void, isAppUrl: (url: string) => boolean): void {
  const fromApp = (event: { senderFrame?: { url: string } | null }) => !!event.senderFrame && isAppUrl(event.senderFrame.url)
  const title = (v: unknown, fallback: string) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : fallback)

  ipc.handle(CHANNELS.pickFolder, async (event, t) => {
    if (!fromApp(event)) return null
    const r = await showDialog({ title: title(t, 'Choose a folder'), properties: ['openDirectory'] })
    const dir = r.canceled ? undefined : r.filePaths[0]
    if (!dir) return null
    allow(dir)
    return dir
  })
  ipc.handle(CHANNELS.pickFile, async (event, t, ext) => {
    if (!fromApp(event)) return null
    const extensions = Array.isArray(ext) ? ext.filter((e): e is string => typeof e === 'string' && /^[\w]+$/.test(e)) : []
    const r = await showDialog({ title: title(t, 'Choose a file'), properties: ['openFile'], filters: extensions.length ? [{ name: extensions.join(', '), extensions }] : undefined })
    const file = r.canceled ? undefined : r.filePaths[0]
    if (!file) return null
    allow(dirname(file))
    return file
  })
}
