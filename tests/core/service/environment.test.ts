// The environment domain of the lab service: status from the files, doctor's report, set-up
// refusals (a Python the lab did not create; bad input never reaches the manager).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LabService } from '../../../src-core/service/lab-service.ts'

const REPO = join(import.meta.dirname, '..', '..', '..')
const call = { signal: new AbortController().signal, requestId: 't' }
const saved = { XLAB_PYTHON: process.env.XLAB_PYTHON, XLAB_ENV_DIR: process.env.XLAB_ENV_DIR }

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
})

describe('environment domain', () => {
  it('reports a managed environment that is not set up as needing set-up', async () => {
    delete process.env.XLAB_PYTHON
    process.env.XLAB_ENV_DIR = mkdtempSync(join(tmpdir(), 'xlab-env-svc-'))
    const service = await LabService.open({ dataRoot: mkdtempSync(join(tmpdir(), 'xlab-svc-')), startQueue: false })
    try {
      const s = (await service.dispatch('environment.status', {}, call)) as { source: string; needsSetup: boolean; installed: unknown; busy: boolean }
      expect(s).toMatchObject({ source: 'managed', needsSetup: true, installed: null, busy: false })
      await expect(service.dispatch('environment.setup', { repair: 'yes' }, call)).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    } finally {
      await service.close()
    }
  })

  it('verifies a Python the user chose, and refuses to rebuild it', async () => {
    process.env.XLAB_PYTHON = join(REPO, '.venv', 'bin', 'python')
    const service = await LabService.open({ dataRoot: mkdtempSync(join(tmpdir(), 'xlab-svc-')), startQueue: false })
    try {
      const s = (await service.dispatch('environment.status', {}, call)) as { source: string; needsSetup: boolean }
      expect(s).toMatchObject({ source: 'env', needsSetup: false })
      const report = (await service.dispatch('environment.doctor', {}, call)) as { ok: boolean; sections: { id: string; status: string }[] }
      expect(report.sections.find((x) => x.id === 'engine')?.status).toBe('ok')
      // The Environment view's "last verification" for a Python the lab did not create is doctor's.
      expect(((await service.dispatch('environment.status', {}, call)) as { verification: { ok: boolean } | null }).verification?.ok).toBe(true)
      await expect(service.dispatch('environment.setup', { repair: true }, call)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('does not rebuild a Python it did not create') })
    } finally {
      await service.close()
    }
  })
})
