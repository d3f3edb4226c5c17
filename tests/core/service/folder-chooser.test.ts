// The folder chooser of `xlab serve`: the allowed folders, the sub-folders inside them, and nothing
// outside them, symlinks included.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { listFolder, PathGuard } from '../../../src-core/service/path-guard.ts'

describe('folder chooser', () => {
  const root = mkdtempSync(join(tmpdir(), 'xlab-chooser-'))
  const chosen = join(root, 'chosen')
  const other = join(root, 'other')
  mkdirSync(join(chosen, 'mias', 'benign'), { recursive: true })
  mkdirSync(join(chosen, 'chest'), { recursive: true })
  mkdirSync(join(other, 'secret'), { recursive: true })
  writeFileSync(join(chosen, 'mias', 'a.pgm'), 'P5')
  writeFileSync(join(chosen, 'mias', 'Info.txt'), 'x')
  symlinkSync(other, join(chosen, 'escape'))
  symlinkSync(join(chosen, 'chest'), join(chosen, 'chest-link'))
  const g = new PathGuard()
  g.allow(chosen)

  it('lists the allowed folders, then the sub-folders inside one, with a way back up', () => {
    expect(listFolder(g)).toMatchObject({ path: null, parent: null, folders: [{ name: chosen, path: chosen }] })
    const top = listFolder(g, chosen)
    // The link to outside is not offered; the link that stays inside is.
    expect(top.folders.map((f) => f.name)).toEqual(['chest', 'chest-link', 'mias'])
    expect(top.hidden).toBe(1)
    expect(top.parent).toBeNull()
    const mias = listFolder(g, join(chosen, 'mias'))
    expect(mias).toMatchObject({ parent: chosen, files: 2, images: 1, folders: [{ name: 'benign', path: join(chosen, 'mias', 'benign') }] })
  })

  it('refuses a path outside the allowed folders, through a symlink too', () => {
    expect(() => listFolder(g, other)).toThrow(/outside the folders you opened/)
    expect(() => listFolder(g, join(chosen, 'escape'))).toThrow(/outside the folders you opened/)
    expect(() => listFolder(g, join(chosen, 'escape', 'secret'))).toThrow(/outside the folders you opened/)
    expect(() => listFolder(g, join(chosen, '..'))).toThrow(/outside the folders you opened/)
    expect(() => listFolder(g, join(chosen, 'mias', 'a.pgm'))).toThrow(/cannot be listed: it is a file, not a folder/)
  })

  it('is served as folders.list', async () => {
    const service = await LabService.open({ dataRoot: mkdtempSync(join(tmpdir(), 'xlab-chooser-data-')), startQueue: false })
    try {
      service.ctx.pathGuard.allow(chosen)
      const call = (input: unknown) => service.dispatch('folders.list', input, { signal: new AbortController().signal, requestId: 't' })
      expect(await call({})).toMatchObject({ folders: [{ path: chosen }] })
      await expect(call({ path: other })).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    } finally {
      await service.close()
    }
  })
})
