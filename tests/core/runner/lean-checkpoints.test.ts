// A finished run keeps only its weights: a real lab service with the real engine runs pretext ->
// extract -> finetune on tiny caches; once each run is recorded done its folder holds the weights
// (best.pth without optimizer state, the encoder files) and its outputs, and no resumable state.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { encoderFilesProblem } from '../../../src-core/runner/run-files.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, PYTHON, REPO, tinyConfig } from './helpers.ts'

const hasEngine = existsSync(join(REPO, 'engine', 'xlab', 'worker.py')) && existsSync(PYTHON)
let open: LabService[] = []

beforeAll(() => {
  delete process.env.XLAB_ENGINE_PATH
  delete process.env.XLAB_WORKER_MODULE
})
afterEach(async () => {
  for (const s of open) await s.close()
  open = []
})

/** Replaces the stand-in caches of dataRootWith by real tiny ones (xlab.fixtures). */
function realCache(root: string, index: number, name: string, labelled: boolean): void {
  const dir = join(root, 'datasets', `ds-0000000${index}`)
  mkdirSync(dir, { recursive: true })
  const args = ['-m', 'xlab.fixtures', dir, '--n', '120', '--size', '32', '--seed', String(index), ...(labelled ? ['--labelled'] : [])]
  const r = spawnSync(PYTHON, args, { env: { ...process.env, PYTHONPATH: join(REPO, 'engine') }, encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  // xlab.fixtures names the cache after its folder; the study refers to it by name.
  const meta = join(dir, 'meta.json')
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), name }))
}

describe.skipIf(!hasEngine)('lean checkpoints through the lab', () => {
  it('leaves each finished run its weights and outputs, and no resumable state', async () => {
    const root = dataRootWith([])
    realCache(root, 0, 'tiny-pre', false)
    realCache(root, 1, 'tiny-chest', true)
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    open.push(s)
    const config = tinyConfig({
      protocols: ['finetune'],
      // every round end writes last.pth (no time limit), so there is resumable state to remove
      pretext: { steps: 4, batchSize: 16, optimizer: 'adam', lr: 1e-3, weightDecay: 0, schedule: 'constant', valEverySteps: 2, checkpointEverySteps: 1, checkpointEverySeconds: 0 },
    })
    const st = (await s.dispatch('studies.create', { name: 'lean', config }, { signal: new AbortController().signal, requestId: 't' })) as { id: string }
    await s.dispatch('studies.start', { id: st.id }, { signal: new AbortController().signal, requestId: 't' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id)).toBe('done')

    const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => !['encoders'].includes(f)).sort()
    const byStage = new Map(store.listRuns(s.ctx.db, { studyId: st.id }).map((r) => [r.stage, r]))
    const pre = byStage.get('pretext')!
    // The worker did write the resumable state (its checkpoint reports are in the store) ...
    expect(store.runArtifacts(s.ctx.db, pre.id).map((a) => a.name)).toContain('last.pth')
    // ... and the lab removed it once the run was recorded done.
    expect(files(pre.runDir)).toEqual(['best.pth', 'config.json', 'job.json', 'shortcut.json', 'summary.json', 'worker.log', 'worker.pid'])
    const ext = byStage.get('extract')!
    expect(files(ext.runDir)).toEqual([
      'encoders/encoder__rotation__tiny-pre__s0.json',
      'encoders/encoder__rotation__tiny-pre__s0.pth',
      'encoders/encoder__rotation__tiny-pre__s0.safetensors',
      'job.json',
      'summary.json',
      'worker.log',
      'worker.pid',
    ])
    // The engine's own encoder files (a torch.save zip, a safetensors file) pass storage's integrity check.
    expect(encoderFilesProblem(ext.runDir)).toBeNull()
    const ft = byStage.get('downstream')!
    expect(store.runArtifacts(s.ctx.db, ft.id).map((a) => a.name)).toContain('last.pth')
    expect(files(ft.runDir)).toEqual(['best.pth', 'config.json', 'job.json', 'summary.json', 'test_predictions.json', 'test_predictions.npy', 'worker.log', 'worker.pid'])
    // best.pth holds weights without optimizer state: a third of what last.pth was with Adam.
    const keys = spawnSync(PYTHON, ['-c', `import torch,sys; c=torch.load(sys.argv[1], weights_only=False); print(sorted(c))`, join(pre.runDir, 'best.pth')], { encoding: 'utf8' })
    expect(keys.stdout).not.toMatch(/optimizer/)
    expect(keys.stdout).toMatch(/'model'/)
    // Both runs' weights are reclaimable, by name only (storage pretext-weights / downstream-weights).
    const usage = (await s.dispatch('storage.usage', {}, { signal: new AbortController().signal, requestId: 't' })) as { categories: { id: string; items: { runId: string }[] }[] }
    const ids = (id: string) => usage.categories.find((c) => c.id === id)!.items.map((i) => i.runId)
    expect([ids('pretext-weights'), ids('downstream-weights')]).toEqual([[pre.id], [ft.id]])
  }, 600_000)
})
