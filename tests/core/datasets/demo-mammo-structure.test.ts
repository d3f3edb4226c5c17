// The structure pretext task on the demo mammograms leaves no shortcut: the generated set goes
// through the real importer (cropped to the breast, both lateralities and views as acquired) and the
// real worker, with the params the planner writes for the demo preset, and the shortcut score the
// engine measures before training (engine/xlab/shortcut.py) keeps the 24-statistic regression near
// chance. Until issue 28 this test asked for validation accuracy above 0.75, which the task reached
// by reading the dark background around the breast (the regression: AUC 0.83; the frame statistic
// alone 0.93-0.98 on half swaps); with the tiles cut inside the breast it ends near chance at the
// demo budget (0.525 in one run), which the README's pretext table reports.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateDemoSource } from '../../../src-core/datasets/demo/index.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { PYTHON, REPO } from '../runner/helpers.ts'
import { freshEnv } from './helpers.ts'

describe('structure task on the demo mammograms', () => {
  it('gives the cheap statistics no shortcut, measured by the run before it trains', async () => {
    const env = freshEnv()
    const req = await generateDemoSource(join(env.root, 'sources'), { name: 'demo-mammo', count: 400, sourceSize: 64 }, { size: 32, seed: 4 })
    const rec = await (await prepareImport(env, req)).run({})
    const runDir = join(env.root, 'runs', 'r-structure')
    mkdirSync(runDir, { recursive: true })
    const planned = planStudy(presetConfig('demo')).runs.find((r) => r.name === 'structure@demo-mammo-s0')!
    const job = { v: 1, kind: 'pretext', run_id: 'r-structure', run_dir: runDir, seed: 0, device: 'cpu', threads: 1,
      params: { ...planned.spec.params, dataset_dir: rec.dir, max_val_images: 128 } }
    writeFileSync(join(runDir, 'job.json'), JSON.stringify(job))
    const r = spawnSync(PYTHON, ['-m', 'xlab.worker', '--job', join(runDir, 'job.json')], {
      env: { ...process.env, PYTHONPATH: join(REPO, 'engine'), OMP_NUM_THREADS: '1' }, encoding: 'utf8', timeout: 590_000,
    })
    expect(r.status, r.stderr.slice(-2000)).toBe(0)
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
      steps: number; best: { metrics: { accuracy: number } }; shortcut: { stats: { metric: string; value: number; families: Record<string, number> }; trivial: boolean }
    }
    expect(summary.steps).toBe(presetConfig('demo').pretext.steps)
    expect(summary.shortcut.stats.metric).toBe('auc')
    expect(summary.shortcut.stats.value).toBeLessThanOrEqual(0.65)
    for (const [family, auc] of Object.entries(summary.shortcut.stats.families)) expect(auc, family).toBeLessThanOrEqual(0.7)
    expect(summary.shortcut.trivial).toBe(false)
  }, 600_000)
})
