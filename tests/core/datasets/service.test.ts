// The typed API end to end through the lab service: demo generation (small scale), list, report,
// thumbnails, progress events, bad requests, remove.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { datasetsApi } from '../../../src-core/api/datasets.ts'
import { contactSheet } from '../../../src-core/datasets/thumbnails.ts'
import { getDatasetByIdOrName } from '../../../src-core/store/datasets.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { tmp } from './helpers.ts'

describe('datasets API', () => {
  let service: LabService
  const events: { event: string; payload: unknown }[] = []
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    service = await LabService.open({ dataRoot: tmp('xlab-api-'), allowAllPaths: true, startQueue: false })
    service.ctx.events.onAny((event, payload) => events.push({ event, payload }))
  })
  afterAll(() => service.close())

  it('generates the four demo datasets by their contract names and lists them ready', async () => {
    const r = datasetsApi['datasets.generateDemo'].output.parse(await call('datasets.generateDemo', { scale: 'small' }))
    expect(r.datasets.map((d) => d.name)).toEqual(['demo-chest', 'demo-natural', 'demo-brainct', 'demo-mammo'])
    const list = datasetsApi['datasets.list'].output.parse(await call('datasets.list', {}))
    expect(list.every((d) => d.status === 'ready' && /^ds-[0-9a-f]{8}$/.test(d.id) && d.width === 32)).toBe(true)
    expect(list.find((d) => d.name === 'demo-natural')!.channels).toBe(3)
    const chest = list.find((d) => d.name === 'demo-chest')!
    expect(chest.labelNames).toContain('Pneumonia')
    const progress = events.filter((e) => e.event === 'onImportProgress').map((e) => e.payload as { phase: string; name: string })
    expect(progress.some((p) => p.name === 'demo-chest' && p.phase === 'decoding')).toBe(true)
    expect(progress.filter((p) => p.phase === 'done').length).toBe(4)
    expect(events.some((e) => e.event === 'onDatasetsChanged')).toBe(true)
    // Idempotent: a second call keeps the ready datasets.
    const again = datasetsApi['datasets.generateDemo'].output.parse(await call('datasets.generateDemo', { scale: 'small' }))
    expect(again.datasets.map((d) => d.id)).toEqual(r.datasets.map((d) => d.id))
  })

  it('makes again a demo dataset from older generators, or cut by the crop before revision 2, and keeps the others', async () => {
    const before = datasetsApi['datasets.generateDemo'].output.parse(await call('datasets.generateDemo', { scale: 'small' })).datasets
    const id = (name: string) => before.find((d) => d.name === name)!.id
    // demo-natural: its source folder says an older generator wrote it.
    const marker = join(service.ctx.paths.sources, 'demo-natural', '.generated.json')
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/"v":\d+/, '"v":1'))
    // demo-mammo: its cache was cut to the breast before crop revision 2 (the garbled cut).
    const mammo = getDatasetByIdOrName(service.ctx.db, 'demo-mammo')!
    const metaFile = join(mammo.dir, 'meta.json')
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'))
    delete meta.crop_revision
    writeFileSync(metaFile, JSON.stringify(meta))
    expect(datasetsApi['datasets.list'].output.parse(await call('datasets.list', {})).find((d) => d.name === 'demo-mammo')!.status).toBe('damaged')
    const after = datasetsApi['datasets.generateDemo'].output.parse(await call('datasets.generateDemo', { scale: 'small' })).datasets
    const idAfter = (name: string) => after.find((d) => d.name === name)!.id
    expect(idAfter('demo-chest')).toBe(id('demo-chest'))
    expect(idAfter('demo-brainct')).toBe(id('demo-brainct'))
    expect(idAfter('demo-natural')).not.toBe(id('demo-natural'))
    expect(idAfter('demo-mammo')).not.toBe(id('demo-mammo'))
    const list = datasetsApi['datasets.list'].output.parse(await call('datasets.list', {}))
    expect(list.map((d) => [d.name, d.status]).sort()).toEqual([['demo-brainct', 'ready'], ['demo-chest', 'ready'], ['demo-mammo', 'ready'], ['demo-natural', 'ready']])
    expect(existsSync(mammo.dir)).toBe(false)
  })

  it('reports counts and gives thumbnails per label', async () => {
    const report = datasetsApi['datasets.report'].output.parse(await call('datasets.report', { id: 'demo-chest' }))
    expect(report.imported).toBe(report.splits.total)
    expect(report.targets!['3class']!['Pneumonia']!.total).toBeGreaterThan(0)
    const share = report.targets!.binary!['No Finding']!.total / report.imported
    expect(share).toBeGreaterThan(0.4)
    expect(share).toBeLessThan(0.7)
    expect(report.patients!.total).toBeLessThan(report.imported / 2)
    const thumbs = datasetsApi['datasets.thumbnails'].output.parse(await call('datasets.thumbnails', { id: 'demo-brainct', perLabel: 3 }))
    expect(thumbs.map((t) => t.label)).toEqual(['Normal', 'Normal', 'Normal', 'Stroke', 'Stroke', 'Stroke'])
    expect(thumbs[0]!.dataUrl.startsWith('data:image/png;base64,iVBOR')).toBe(true)
    const one = await call('datasets.thumbnails', { id: 'demo-brainct', perLabel: 2, label: 'Stroke' })
    expect((one as unknown[]).length).toBe(2)
    // The contact sheet (xlab datasets sheet): one row per label, N images each, next to the label column.
    const sheet = await contactSheet(getDatasetByIdOrName(service.ctx.db, 'demo-natural')!, 4)
    const meta = await sharp(sheet).metadata()
    expect(meta.format).toBe('png')
    expect(meta.height).toBe(3 * (64 + 4))
    expect(meta.width).toBe(160 + 4 * (64 + 4))
  })

  it('refuses bad requests with a sentence and removes datasets', async () => {
    await expect(call('datasets.import', { kind: 'dicomdir', path: '/x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(call('datasets.import', { kind: 'imagefolder', path: '/definitely/not/here' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/does not exist/) })
    await expect(call('datasets.get', { id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(call('datasets.thumbnails', { id: 'demo-mammo', perLabel: 1, label: 'cat' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    const mammo = (await call('datasets.get', { id: 'demo-mammo' })) as { id: string; dir: string }
    expect(await call('datasets.remove', { id: 'demo-mammo' })).toEqual({ removed: mammo.id })
    expect(existsSync(mammo.dir)).toBe(false)
    expect(((await call('datasets.list', {})) as unknown[]).length).toBe(3)
  })
})
