// The calibration of fixed costs (issue 23): which real jobs `xlab study plan --measure` times for a
// study (one per kind of work, cut to a few steps, on the study's datasets or generated ones), and how
// each one's wall seconds become its kind's fixed seconds (less its network images at the measured rates).
import { describe, expect, it } from 'vitest'
import { runWork } from '../../../src-core/study/estimate.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { calibrationJobs, cpuBatchCap, fixedCosts, fixtureSizes, meanCosts } from '../../../src-core/study/throughput.ts'

const cfg = presetConfig('demo')
const planned = planStudy(cfg).runs.map((r) => ({ stage: r.stage, spec: r.spec }))
const demoSizes = (name: string) => ({ 'demo-chest': { train: 1400, val: 200, test: 400 }, 'demo-natural': { train: 700, val: 99, test: 201 }, 'demo-brainct': { train: 700, val: 100, test: 200 }, 'demo-mammo': { train: 700, val: 100, test: 200 } })[name] ?? null

describe('calibration jobs of a study', () => {
  const jobs = calibrationJobs(planned, 32, cfg.downstreamDataset, cpuBatchCap(32))

  it('reads no placeholder the engine would not resolve: every encoder, snapshot, reference and checkpoint is the calibration\'s own', () => {
    const text = JSON.stringify(jobs.map((j) => j.spec.params))
    expect(text).not.toMatch(/"\$(snapshot|reference|runDir_?)"\s*:\s*"r-|"\$(encoder|checkpoint)":"r-/)
    const refs = [...text.matchAll(/"\$(\w+)":"([^"]*)"/g)].map((m) => `${m[1]}:${m[2]}`)
    expect(new Set(refs)).toEqual(new Set(['dataset:@pretrain', 'dataset:@downstream', 'checkpoint:@checkpoint', 'encoder:@encoder', 'runDir:encoders']))
  })

  it('times one real job per kind of work the plan holds, pretext first so the extraction finds a checkpoint', () => {
    const keys = new Set(planned.map((r) => runWork(r.spec, () => null, 32).costKey))
    expect(jobs.map((j) => j.key).sort()).toEqual([...keys].sort())
    expect(jobs.length).toBe(15)
    const stages = jobs.map((j) => j.stage)
    expect(stages).toEqual([...stages].sort((a, b) => ['pretext', 'extract', 'downstream', 'probe'].indexOf(a) - ['pretext', 'extract', 'downstream', 'probe'].indexOf(b)))
  })

  it('trains the first pretext job its budget (about 20 s at most: the probes are calibrated on its encoder), the others a few steps', () => {
    const [first, ...rest] = jobs.filter((j) => j.stage === 'pretext')
    expect(first).toMatchObject({ key: 'pretext-rotation', budgetS: 20 })
    expect(first!.spec.params).toMatchObject({ steps: 48, batch_size: 64, val_every_steps: 12 })
    for (const j of rest) expect([j.budgetS, j.spec.params.steps, j.spec.params.val_every_steps, j.spec.params.batch_size]).toEqual([undefined, 6, 6, 64])
    // a CPU step at 224 px is measured at 16 images, at 32 px at the study's 64
    expect([cpuBatchCap(224), cpuBatchCap(64), cpuBatchCap(32)]).toEqual([16, 16, 64])
  })

  it('reads generated caches for datasets not imported and the study\'s own for imported ones; encoders and checkpoints are the calibration\'s', () => {
    const linear = jobs.find((j) => j.key === 'downstream-linear/binary/1')!
    // the single-encoder run stands for the kind, not a fusion
    expect(linear.spec.params).toMatchObject({ dataset_dir: { $dataset: '@downstream' }, encoders: [{ $encoder: '@encoder' }], linear_solver: 'lbfgs' })
    const extract = jobs.find((j) => j.key === 'extract')!
    expect(extract.spec.params).toMatchObject({ checkpoint: { $checkpoint: '@checkpoint' } })
    expect(extract.spec.params.pretext).toBeUndefined()
    expect(jobs.find((j) => j.key === 'pretext-rotation')!.spec.params.dataset_dir).toEqual({ $dataset: '@pretrain' })
    const imported = calibrationJobs(planned, 32, cfg.downstreamDataset, 64, (name) => name === 'demo-chest')
    expect(imported.find((j) => j.key === 'downstream-linear/binary/1')!.spec.params.dataset_dir).toEqual({ $dataset: 'demo-chest' })
    expect(imported.find((j) => j.key === 'pretext-rotation')!.spec.params.dataset_dir).toEqual({ $dataset: '@pretrain' })
    // scratch trains one epoch of a few steps
    expect(jobs.find((j) => j.key === 'downstream-scratch/binary/1')!.spec.params).toMatchObject({ epochs: 1, max_steps_per_epoch: 6, max_train_images: 1024 })
    // a study without a train cap (the paper preset) is calibrated on at most 4,096 train images
    const paper = calibrationJobs(planStudy(presetConfig('paper')).runs, 224, 'chestxray14', cpuBatchCap(224))
    expect(new Set(paper.filter((j) => j.stage === 'downstream').map((j) => j.spec.params.max_train_images))).toEqual(new Set([4096]))
    expect(paper.find((j) => j.key === 'downstream-finetune/binary/1')!.spec.params).toMatchObject({ epochs: 1, max_steps_per_epoch: 6, batch_size: 16 })
  })

  it('sizes the generated caches for the capped downstream train split and the pretraining validation subset', () => {
    expect(fixtureSizes(planned, demoSizes, cfg.downstreamDataset, 4096)).toEqual({ pretrain: 500, downstream: 1708 })
    expect(fixtureSizes(planned, demoSizes, cfg.downstreamDataset, 1000)).toEqual({ pretrain: 500, downstream: 1000 })
    expect(fixtureSizes(planned, () => null, cfg.downstreamDataset, 4096)).toEqual({ pretrain: 20, downstream: 20 })
  })
})

describe('fixed seconds from the calibration', () => {
  const rates = { imageSize: 32, trainImagesPerS: 200, evalImagesPerS: 800 }
  const fixtures = { pretrain: { train: 300, val: 100, test: 100 }, downstream: { train: 1024, val: 342, test: 342 } }
  const jobs = calibrationJobs(planned, 32, cfg.downstreamDataset, 64).filter((j) => ['pretext-rotation', 'pretext-structure', 'extract', 'downstream-linear/binary/1', 'downstream-knn/binary/1', 'downstream-scratch/binary/1'].includes(j.key))

  it('is the wall seconds less the network images at the measured rates (a job\'s own training rate where it trains), never below 0', () => {
    const calibration = [
      // the first pretext job ran 40 of its 48 steps (cut to its seconds): 40 x 64 trained at its own 160 images/s,
      // 4 validations of 100 and 1,280 shortcut samples evaluated
      { key: 'pretext-rotation', wall_s: 30, images_per_s: 160, steps: 40, val_every_steps: 10 },
      { key: 'pretext-structure', wall_s: 4, images_per_s: 150, steps: 6, val_every_steps: 6 },
      { key: 'extract', wall_s: 0.4, images_per_s: null },
      { key: 'downstream-linear/binary/1', wall_s: 9, images_per_s: 700 },
      { key: 'downstream-knn/binary/1', wall_s: 0.1, images_per_s: 900 },
      { key: 'downstream-scratch/binary/1', wall_s: 3, images_per_s: 120 },
    ]
    expect(jobs.map((j) => j.key)).toEqual(calibration.map((c) => c.key))
    const costs = fixedCosts(jobs, { fixtures, calibration }, rates)
    expect(costs.get('pretext-rotation')!.fixedS).toBeCloseTo(30 - 2560 / 160 - (400 + 1280) / 800, 6)
    expect(costs.get('pretext-rotation')!.trainImagesPerS).toBe(160)
    expect(costs.get('pretext-structure')!.fixedS).toBeCloseTo(4 - 384 / 150 - (100 + 768) / 800, 6)
    expect(costs.get('extract')).toEqual({ fixedS: 0.4, trainImagesPerS: null })
    // the linear job embeds every split (1,024 + 342 + 342) once; kNN then reuses those features
    expect(costs.get('downstream-linear/binary/1')!.fixedS).toBeCloseTo(9 - 1708 / 800, 6)
    expect(costs.get('downstream-knn/binary/1')).toEqual({ fixedS: 0.1, trainImagesPerS: null })
    // scratch: one epoch of 6 steps of 32 at its own 120 images/s, 342 validation and 342 test images
    expect(costs.get('downstream-scratch/binary/1')!.fixedS).toBeCloseTo(Math.max(0, 3 - 192 / 120 - 684 / 800), 6)
    // a wall shorter than its images at the rates (a faster moment of a loaded machine) is a fixed cost of 0
    expect(fixedCosts(jobs, { fixtures, calibration: calibration.map((c) => ({ ...c, wall_s: 0.01 })) }, rates).get('pretext-structure')!.fixedS).toBe(0)
  })

  it('skips a job the engine could not run (no checkpoint yet) and a report out of step with the jobs', () => {
    const calibration = jobs.map((j) => ({ key: j.key, wall_s: j.key === 'extract' ? null : 1, images_per_s: 100 }))
    expect(fixedCosts(jobs, { fixtures, calibration }, rates).has('extract')).toBe(false)
    expect(fixedCosts(jobs, { fixtures, calibration: calibration.slice().reverse() }, rates).size).toBe(0)
  })
})

describe('measurements taken on every slot at once', () => {
  it('give each kind the mean of its fixed seconds and training rates, and leave out a kind one of them missed', () => {
    const a = new Map([['pretext-rotation', { fixedS: 2, trainImagesPerS: 100 }], ['extract', { fixedS: 0.4, trainImagesPerS: null }], ['probe-invariance', { fixedS: 1, trainImagesPerS: null }]])
    const b = new Map([['pretext-rotation', { fixedS: 4, trainImagesPerS: 80 }], ['extract', { fixedS: 0.6, trainImagesPerS: null }]])
    expect([...meanCosts([a, b])]).toEqual([['pretext-rotation', { fixedS: 3, trainImagesPerS: 90 }], ['extract', { fixedS: 0.5, trainImagesPerS: null }]])
    expect(meanCosts([a])).toEqual(a)
    expect(meanCosts([]).size).toBe(0)
  })
})
