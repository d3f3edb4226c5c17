// `xlab runs prune` on a finished lab: the dry run lists every category with its size, the opt-in
// weights categories marked as such; --yes deletes the default categories and never the weights;
// --category NAME --yes deletes exactly that category; an unknown name is refused with the list.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseArgs } from '../../../src-core/cli/args.ts'
import { pruneCategories } from '../../../src-core/cli/commands/prune.ts'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, REPO, tinyConfig } from '../runner/helpers.ts'

const exec = promisify(execFile)

beforeAll(() => {
  process.env.XLAB_ENGINE_PATH = FAKE_ENGINE
  process.env.XLAB_WORKER_MODULE = 'xlab_fake.worker'
})
afterAll(() => {
  delete process.env.XLAB_ENGINE_PATH
  delete process.env.XLAB_WORKER_MODULE
})

describe('xlab runs prune', () => {
  it('lists the weights categories with their sizes and deletes them only when named', async () => {
    const data = dataRootWith(['tiny-pre', 'tiny-chest'])
    const s = await LabService.open({ dataRoot: data, allowAllPaths: true })
    const call = (method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<{ id: string }>
    const study = await call('studies.create', { name: 'one', config: tinyConfig({ protocols: ['linear', 'finetune'] }) })
    await call('studies.start', { id: study.id })
    expect(await runQueueOf(s.ctx).whenSettled(study.id)).toBe('done')
    const byName = new Map(store.listRuns(s.ctx.db).map((r) => [r.name, r]))
    await s.close()
    const pre = byName.get('rotation@tiny-pre-s0')!
    const ft = byName.get('binary-finetune-rotation@tiny-pre-s0')!
    writeFileSync(join(pre.runDir, 'best.pth'), Buffer.alloc(2_500_000))
    writeFileSync(join(ft.runDir, 'best.pth'), Buffer.alloc(1_500_000))
    writeFileSync(join(ft.runDir, 'last.pth'), Buffer.alloc(1_000_000))
    const xlab = (...args: string[]) => exec(process.execPath, ['bin/xlab.mjs', 'runs', 'prune', ...args, '--data', data], { cwd: REPO })

    const dry = (await xlab()).stdout
    expect(dry).toContain('Fine-tuned networks of finished downstream runs [downstream-weights: only with --category downstream-weights]: 1.5 MB in 1 run (1 files)')
    expect(dry).toContain('Pretext weights whose encoder is extracted [pretext-weights: only with --category pretext-weights]: 2.5 MB in 1 run (1 files)')
    expect(dry).toContain('the fine-tuned network itself')
    expect(dry).toContain('Resumable state of finished runs [finished-resumable]: 1.0 MB in 1 run (1 files)')
    expect(dry).toContain('Dry run: nothing was deleted. Run again with --yes to delete finished-resumable, stopped-checkpoints, unreferenced (1.0 MB). Not included unless named: downstream-weights (1.5 MB), pretext-weights (2.5 MB); add --category NAME to reclaim one.')
    expect((await xlab('--category', 'pretext-weights,downstream-weights')).stdout).toContain('Run again with --yes to delete pretext-weights, downstream-weights (4.0 MB).')
    expect(existsSync(join(ft.runDir, 'last.pth'))).toBe(true)

    // --yes alone: the default categories, never the weights.
    const all = (await xlab('--yes')).stdout
    expect(all).toContain('removed finished-resumable: 1 run(s), 1 files')
    expect(all).not.toMatch(/removed (downstream|pretext)-weights/)
    expect(existsSync(join(ft.runDir, 'last.pth'))).toBe(false)
    expect([existsSync(join(ft.runDir, 'best.pth')), existsSync(join(pre.runDir, 'best.pth'))]).toEqual([true, true])

    const down = await xlab('--category', 'downstream-weights', '--yes', '--json')
    expect(JSON.parse(down.stdout).removed).toEqual([{ id: 'downstream-weights', count: 1, files: 1, bytes: 1_500_000 }])
    expect(readdirSync(ft.runDir).sort()).toEqual(['job.json', 'starts.txt', 'summary.json', 'worker.log', 'worker.pid'])
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(true)
    expect((await xlab('--category', 'pretext-weights', '--yes')).stdout).toContain('removed pretext-weights: 1 run(s), 1 files, 0.00 GB')
    expect(existsSync(join(pre.runDir, 'best.pth'))).toBe(false)
    expect(readdirSync(join(byName.get('extract-rotation@tiny-pre-s0')!.runDir, 'encoders')).length).toBe(2)

    await expect(xlab('--category', 'weights', '--yes')).rejects.toMatchObject({ stderr: expect.stringContaining('Unknown storage category "weights"; name one of finished-resumable, stopped-checkpoints, unreferenced, downstream-weights, pretext-weights.') })
  })

  it('reads --category as names, comma-separated or repeated, and refuses a bare flag', () => {
    expect(pruneCategories(parseArgs([]))).toEqual(['finished-resumable', 'stopped-checkpoints', 'unreferenced'])
    expect(pruneCategories(parseArgs(['--category', 'pretext-weights, downstream-weights', '--category', 'pretext-weights']))).toEqual(['pretext-weights', 'downstream-weights'])
    expect(() => pruneCategories(parseArgs(['--category', '--yes']))).toThrow('--category needs a name: one of finished-resumable, stopped-checkpoints, unreferenced, downstream-weights, pretext-weights.')
    expect(() => pruneCategories(parseArgs(['--category', 'a,b']))).toThrow('Unknown storage categories "a", "b"')
  })
})
