// Native pickers: only the app's own page may open them, and only what was chosen becomes importable.
import { describe, expect, it } from 'vitest'
import { registerPickers, type IpcMainLike, type ShowDialog } from '../../src-main/pickers.ts'
import { CHANNELS } from '../../src-preload/bridge.ts'

function setup(result: { canceled: boolean; filePaths: string[] }) {
  const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => Promise<unknown>>()
  const ipc: IpcMainLike = { handle: (c, h) => handlers.set(c, h) }
  const dialogs: Parameters<ShowDialog>[0][] = []
  const allowed: string[] = []
  registerPickers(ipc, async (o) => (dialogs.push(o), result), (d) => allowed.push(d), (url) => url.startsWith('file:///app/'))
  const app = { senderFrame: { url: 'file:///app/index.html' } }
  return { handlers, dialogs, allowed, app }
}

describe('native pickers', () => {
  it('allows the chosen folder and returns it', async () => {
    const s = setup({ canceled: false, filePaths: ['/home/u/xrays'] })
    expect(await s.handlers.get(CHANNELS.pickFolder)!(s.app, 'Import')).toBe('/home/u/xrays')
    expect(s.allowed).toEqual(['/home/u/xrays'])
    expect(s.dialogs[0]).toMatchObject({ title: 'Import', properties: ['openDirectory'] })
  })

  it('allows the folder of a chosen file and filters by extension', async () => {
    const s = setup({ canceled: false, filePaths: ['/data/labels.csv'] })
    expect(await s.handlers.get(CHANNELS.pickFile)!(s.app, 'CSV', ['csv', '../bad'])).toBe('/data/labels.csv')
    expect(s.allowed).toEqual(['/data'])
    expect(s.dialogs[0]!.filters).toEqual([{ name: 'csv', extensions: ['csv'] }])
  })

  it('allows nothing when cancelled or when another page asks', async () => {
    const s = setup({ canceled: true, filePaths: [] })
    expect(await s.handlers.get(CHANNELS.pickFolder)!(s.app, 'x')).toBeNull()
    const t = setup({ canceled: false, filePaths: ['/etc'] })
    expect(await t.handlers.get(CHANNELS.pickFolder)!({ senderFrame: { url: 'https://evil.example/' } }, 'x')).toBeNull()
    expect(t.dialogs).toHaveLength(0)
    expect([...s.allowed, ...t.allowed]).toEqual([])
  })
})
