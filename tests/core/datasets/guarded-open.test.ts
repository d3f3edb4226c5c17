// The PathGuard at open time (issue 26): a file swapped for a symlink to a file outside the allowed
// folder after the import was planned is skipped when it is opened, and the report says why.
import { renameSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { getDatasetByIdOrName } from '../../../src-core/store/datasets.ts'
import { tmp, writePng } from './helpers.ts'

describe('PathGuard at open time', () => {
  const folders: string[] = []
  afterAll(() => {
    for (const f of folders) rmSync(f, { recursive: true, force: true })
  })

  it('skips a file that became a link outside the allowed folder after the plan, and reports it', async () => {
    const source = tmp('xlab-guarded-src-')
    const outside = tmp('xlab-guarded-outside-')
    const root = tmp('xlab-guarded-root-')
    folders.push(source, outside, root)
    const n = 240
    for (let i = 0; i < n; i++) await writePng(join(source, i % 2 ? 'b' : 'a', `${String(i).padStart(3, '0')}.png`), i, 24)
    await writePng(join(outside, 'secret.png'), 999, 24)

    const service = await LabService.open({ dataRoot: root, startQueue: false })
    try {
      service.ctx.pathGuard.allow(source)
      const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
      const started = (await call('datasets.import', { kind: 'imagefolder', path: source, name: 'swapped', size: 16, concurrency: 1 })) as { id: string }
      // Planned; the decode of the last file is far ahead. Swap it for a link to the outside file.
      const victim = join(source, 'b', `${String(n - 1).padStart(3, '0')}.png`)
      renameSync(victim, `${victim}.moved`)
      symlinkSync(join(outside, 'secret.png'), victim)
      const end = Date.now() + 60_000
      while (!['ready', 'failed'].includes(getDatasetByIdOrName(service.ctx.db, started.id)!.status)) {
        if (Date.now() > end) throw new Error('the import did not finish')
        await new Promise((r) => setTimeout(r, 50))
      }
      const d = getDatasetByIdOrName(service.ctx.db, started.id)!
      expect(d.status).toBe('ready')
      expect(d.n).toBe(n - 1)
      const report = (await call('datasets.report', { id: started.id })) as ImportReport
      const skipped = JSON.stringify(report)
      expect(skipped).toContain('outside-allowed-folders')
      expect(skipped).toContain(`led to ${join(outside, 'secret.png')}`)
    } finally {
      await service.close()
    }
  }, 120_000)
})
