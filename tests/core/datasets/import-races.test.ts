// Names and races of dataset imports (issue 26): an id-shaped name, two imports of one name at the
// same moment (in one service and across processes), and a removal during another process's import.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../../src-core/api/contract.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { getDatasetByIdOrName, insertDataset } from '../../../src-core/store/datasets.ts'
import { tmp, writePng } from './helpers.ts'

const xlab = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')

/** An ImageFolder tree of `n` small PNGs in two classes. */
async function imageFolder(n: number, size = 24): Promise<string> {
  const dir = tmp('xlab-src-')
  for (let i = 0; i < n; i++) await writePng(join(dir, i % 2 ? 'b' : 'a', `${i}.png`), i, size)
  return dir
}

describe('dataset names and import races', () => {
  let service: LabService
  let source: string
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    service = await LabService.open({ dataRoot: tmp('xlab-races-'), allowAllPaths: true, startQueue: false })
    source = await imageFolder(40)
  })
  afterAll(() => service.close())

  it('refuses a dataset or study name shaped like an id, so remove NAME can never pick another dataset', async () => {
    const first = (await call('datasets.import', { kind: 'imagefolder', path: source, name: 'first', size: 16 })) as { id: string }
    await until(() => getDatasetByIdOrName(service.ctx.db, first.id)?.status === 'ready')
    await expect(call('datasets.import', { kind: 'imagefolder', path: source, name: first.id, size: 16 })).rejects.toThrow(/has the shape of an id .* Choose another dataset name \(--name\)/)
    await expect(call('studies.create', { name: 'st-0a1b2c3d', config: {} })).rejects.toThrow(/"st-0a1b2c3d" has the shape of an id/)
    // The CLI says the same, and exits 2 (bad input).
    const cli = spawnSync(process.execPath, [xlab, 'datasets', 'import', 'imagefolder', source, '--name', 'ds-ea9f0ad6', '--data', service.ctx.dataRoot], { encoding: 'utf8', timeout: 60_000 })
    expect(cli.stderr).toMatch(/"ds-ea9f0ad6" has the shape of an id/)
    expect(cli.status).not.toBe(0)
  })

  it('accepts one of two API imports of one name started at the same moment and refuses the other with a sentence', async () => {
    const both = await Promise.allSettled([
      call('datasets.import', { kind: 'imagefolder', path: source, name: 'twin', size: 32 }),
      call('datasets.import', { kind: 'imagefolder', path: source, name: 'twin', size: 48 }),
    ])
    const ok = both.filter((r) => r.status === 'fulfilled')
    const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(ok).toHaveLength(1)
    expect(refused).toHaveLength(1)
    expect(String(refused[0]!.reason.message)).toMatch(/"twin" is already being imported: one import per name at a time/)
    await until(() => getDatasetByIdOrName(service.ctx.db, 'twin')?.status === 'ready')
  })

  it('refuses to remove a dataset another process is importing, naming that process', async () => {
    // Another process's import as the store records it: its row, importing, with that live process's pid.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
    try {
      insertDataset(service.ctx.db, { id: 'ds-0f0f0f0f', name: 'theirs', kind: 'imagefolder', source, dir: join(service.ctx.paths.datasets, 'ds-0f0f0f0f'), options: {}, importPid: other.pid! })
      const err = await call('datasets.remove', { id: 'theirs' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).message).toBe(`"theirs" is being imported by another process (pid ${other.pid}). Cancel the import there (Ctrl-C) or wait for it, then remove it.`)
      expect(getDatasetByIdOrName(service.ctx.db, 'theirs')).not.toBeNull()
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('of two CLI imports of one name started at once, one imports and the other is refused with a sentence, never a raw SQLite error', async () => {
    const root = tmp('xlab-cli-race-')
    const big = await imageFolder(120, 48)
    const start = () =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const p = spawn(process.execPath, [xlab, 'datasets', 'import', 'imagefolder', big, '--name', 'same', '--size', '32', '--data', root], { stdio: ['ignore', 'ignore', 'pipe'] })
        let stderr = ''
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        p.on('exit', (code) => done({ code, stderr }))
      })
    const [a, b] = await Promise.all([start(), start()])
    const all = `${a.stderr}\n${b.stderr}`
    expect(all).not.toMatch(/UNIQUE constraint|SqliteError/)
    const codes = [a.code, b.code].sort()
    expect(codes[0]).toBe(0)
    // The second either found the first done (a ready dataset of that name) or still running.
    expect(codes[1], all).not.toBe(0)
    expect(all).toMatch(/"same" is being imported by another process|A dataset named "same" already exists/)
    expect(existsSync(join(root, 'lab.sqlite'))).toBe(true)
  }, 120_000)
})

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}
