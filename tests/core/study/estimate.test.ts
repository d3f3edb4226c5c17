// The estimator on recorded throughput figures: a CPU slot (this machine's single-thread ResNet-18
// at 32 px) and a faked GPU; per-stage seconds by hand, refinement by finished runs, the schedule
// over slots with dependencies, and "not measured" instead of a figure where nothing is measured.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { DeviceRates, KindTiming } from '../../../src-core/store/throughput.ts'
import { estimateWork, runWork, scheduleSeconds, type EstimatedRun, type RateBook } from '../../../src-core/study/estimate.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import type { RunSpec } from '../../../src-core/study/spec.ts'

const sizes = (name: string) => (name === 'chest' ? { train: 1400, val: 300, test: 300 } : name === 'mammo' ? { train: 700, val: 150, test: 150 } : null)
const cpu: DeviceRates = { device: 'cpu/1t', imageSize: 32, batchSize: 64, trainImagesPerS: 100, evalImagesPerS: 400, startupS: 6, jobS: 2, measuredAt: '2026-12-05T17:00:00Z' }
const gpu: DeviceRates = { device: 'cuda/Faked GPU', imageSize: 32, batchSize: 64, trainImagesPerS: 5000, evalImagesPerS: 20000, startupS: 10, jobS: 1, measuredAt: '2026-12-05T17:00:00Z' }
const book = (rates: DeviceRates | null, timings: [string, KindTiming][] = []): RateBook => ({ device: rates?.device ?? 'cpu/1t', rates, timings: new Map(timings) })

const pretext: EstimatedRun = { id: 'p', stage: 'pretext', deps: [], spec: { kind: 'pretext', seed: 0, params: { task: 'rotation', dataset_dir: { $dataset: 'mammo' }, image_size: 32, steps: 48, batch_size: 64, val_every_steps: 12 } } }
const extract: EstimatedRun = { id: 'e', stage: 'extract', deps: ['p'], spec: { kind: 'extract', seed: 0, params: { checkpoint: { $checkpoint: 'p' } } } }
const down = (id: string, protocol: string, extra: Record<string, unknown> = {}): EstimatedRun => ({ id, stage: 'downstream', deps: ['e'], spec: { kind: 'downstream', seed: 0, params: { dataset_dir: { $dataset: 'chest' }, protocol, encoders: [{ $encoder: 'e' }], image_size: 32, batch_size: 32, epochs: 2, max_steps_per_epoch: 16, max_train_images: 1024, ...extra } } })
const probe: EstimatedRun = { id: 'q', stage: 'probe', deps: ['e'], spec: { kind: 'probe', seed: 0, params: { mode: 'invariance', n_images: 64, image_size: 32 } } }
const runs = [pretext, extract, down('l', 'linear'), down('f', 'finetune', { head_init: 'linear_probe' }), probe]

describe('work of a run from its spec', () => {
  it('counts trained and evaluated network images per stage', () => {
    const w = (r: EstimatedRun) => runWork(r.spec as RunSpec, sizes, 32)
    expect(w(pretext)).toEqual({ kind: 'pretext-rotation', imageSize: 32, trainImages: 48 * 64, evalImages: 4 * 150 })
    expect(w(extract)).toEqual({ kind: 'extract', imageSize: 32, trainImages: 0, evalImages: 0 })
    expect(w(down('l', 'linear'))).toMatchObject({ trainImages: 0, evalImages: 1024 + 300 + 300 })
    expect(w(down('f', 'finetune', { head_init: 'linear_probe' }))).toMatchObject({ trainImages: 2 * 16 * 32, evalImages: 2 * 300 + 300 + 2 * 1024 })
    expect(w(probe)).toMatchObject({ kind: 'probe-invariance', evalImages: 640 })
  })

  it("pays an encoder's frozen-feature pass once per split: kNN after linear reuses it, 10% of the labels embeds its own train subset", () => {
    const features = new Set<string>()
    const w = (r: EstimatedRun) => runWork(r.spec as RunSpec, sizes, 32, features).evalImages
    expect(w(down('l', 'linear'))).toBe(1024 + 300 + 300)
    expect(w(down('k', 'knn'))).toBe(0)
    expect(w(down('l10', 'linear', { label_fraction: 0.1 }))).toBe(140)
    expect(w(down('a', 'linear', { batchnorm: 'adabn' }))).toBe(1624) // AdaBN features are never cached
  })
})

describe('estimates from recorded throughput', () => {
  it('a CPU slot: per-stage seconds = job set-up + trained / train rate + evaluated / eval rate; the worker start-up once', () => {
    const e = estimateWork(runs, book(cpu), 1, sizes, 32)
    expect(e.measured).toBe(true)
    expect(e.secondsByStage).toEqual({
      pretext: Math.round(2 + 3072 / 100 + 600 / 400), // 34.22
      extract: 2,
      downstream: Math.round(2 + 1624 / 400 + (2 + 1024 / 100 + 2948 / 400)), // 6.06 + 19.61
      probe: Math.round(2 + 640 / 400), // 3.6
    })
    // one slot: the worker starts once, then everything in a row
    expect(e.wallSeconds).toBe(Math.round(6 + 34.22 + 2 + 6.06 + 19.61 + 3.6))
    expect(e.totalSeconds).toBe(e.wallSeconds)
    // two slots: after the pretext run and its extraction, linear, finetune and probe share two slots
    expect(estimateWork(runs, book(cpu), 2, sizes, 32).wallSeconds).toBe(Math.round(6 + 34.22 + 2 + Math.max(19.61, 6.06 + 3.6)))
    expect(e.basis).toMatch(/measured on cpu\/1t at 32 px \(ResNet-18: 100\.0 training, 400\.0 evaluation images\/s, worker start-up 6 s/)
  })

  it('says which datasets it could not count', () => {
    const e = estimateWork([pretext, down('l', 'linear')], book(cpu), 1, (n) => (n === 'chest' ? null : sizes(n)), 32)
    expect(e.basis).toMatch(/; the images of chest are not counted \(not imported: their sizes are unknown\)$/)
  })

  it('a faked GPU: the same work priced at its own rates', () => {
    const e = estimateWork(runs, book(gpu), 1, sizes, 32)
    expect(e.secondsByStage).toEqual({ pretext: Math.round(1 + 3072 / 5000 + 600 / 20000), extract: 1, downstream: Math.round(2 + 1624 / 20000 + 1024 / 5000 + 2948 / 20000), probe: Math.round(1 + 640 / 20000) })
    expect(e.wallSeconds).toBe(Math.round(10 + 1.644 + 1 + 1.0812 + 1.3522 + 1.032))
    expect(e.device).toBe('cuda/Faked GPU')
  })

  it('finished runs refine their kind: wall over modelled seconds multiplies that kind only', () => {
    const e = estimateWork([pretext, down('l', 'linear')], book(cpu, [['pretext-rotation', { wallS: 90, modelledS: 60, runs: 2 }]]), 1, sizes, 32)
    expect(e.secondsByStage.pretext).toBe(Math.round(34.22 * 1.5))
    expect(e.secondsByStage.downstream).toBe(Math.round(2 + 1624 / 400))
    expect(e.basis).toMatch(/refined by 2 finished run\(s\) of 1 of 2 work kinds/)
  })

  it('says "not measured" and gives no seconds where nothing is measured (or only at another size)', () => {
    for (const b of [book(null), book({ ...cpu, imageSize: 64 })]) {
      const e = estimateWork(runs, b, 2, sizes, 32)
      expect([e.measured, e.totalSeconds, e.wallSeconds, e.secondsByStage]).toEqual([false, null, null, {}])
      expect(e.basis).toMatch(/^not measured yet: no throughput of cpu\/1t at 32 px/)
    }
  })

  it('no estimate path holds a per-image constant', () => {
    const src = readFileSync(new URL('../../../src-core/study/estimate.ts', import.meta.url), 'utf8')
    expect(src).not.toMatch(/S_PER_IMAGE|PER_IMAGE|DEFAULT_TRAIN_IMAGES|STARTUP_S\s*=/)
    expect(src.match(/^const [A-Z_]+ = [\d.]+/gm) ?? []).toEqual(['const ENGINE_MAX_VAL_IMAGES = 512'])
  })
})

describe('the schedule over slots', () => {
  it('respects dependencies, fills free slots in queue order and counts running runs first', () => {
    const jobs = [{ id: 'a', seconds: 10, deps: [] }, { id: 'b', seconds: 10, deps: [] }, { id: 'c', seconds: 5, deps: ['a'] }, { id: 'd', seconds: 5, deps: ['c'] }]
    expect(scheduleSeconds(jobs, 1)).toBe(30)
    expect(scheduleSeconds(jobs, 2)).toBe(20) // a,b | c at 10 | d at 15
    expect(scheduleSeconds(jobs, 4)).toBe(20) // the chain a -> c -> d bounds it
    // a running run holds its slot: the queued ones start behind it
    expect(scheduleSeconds([{ id: 'x', seconds: 5, deps: ['r'] }], 2, [{ id: 'r', remainingS: 12 }])).toBe(17)
    expect(scheduleSeconds([], 2, [{ id: 'r', remainingS: 12 }, { id: 's', remainingS: 30 }])).toBe(30)
  })
})

describe('the demo preset on this machine', () => {
  // Recorded by `xlab study plan --preset demo --measure` on this 2-core machine (2026-12-05 17:21 UTC,
  // load average 13: six other jobs running), with the demo datasets' split sizes as imported.
  const measured: DeviceRates = { device: 'cpu/1t', imageSize: 32, batchSize: 64, trainImagesPerS: 74.273, evalImagesPerS: 364.36, startupS: 14.228, jobS: 3.246, measuredAt: '2026-12-05T17:21:37Z' }
  const demoSizes = (name: string) => ({ 'demo-chest': { train: 1400, val: 200, test: 400 }, 'demo-natural': { train: 700, val: 99, test: 201 }, 'demo-brainct': { train: 700, val: 100, test: 200 }, 'demo-mammo': { train: 700, val: 100, test: 200 } })[name] ?? null

  it("lands within 30% of the demo's measured wall time (README: the study 6:51 of 7:47 in all, on a quiet machine)", () => {
    const cfg = presetConfig('demo')
    // that measurement predates the snapshot probes (issue 24, item 5): the study as it was then
    cfg.pretext.snapshots = []
    cfg.downstream.snapshotProbes = false
    const e = estimateWork(planStudy(cfg).runs, book(measured), cfg.device.cpuSlots, demoSizes, cfg.imageSize)
    const readmeStudyS = 6 * 60 + 51
    expect(e.wallSeconds! / readmeStudyS).toBeGreaterThan(0.7)
    expect(e.wallSeconds! / readmeStudyS).toBeLessThan(1.3)
    // per run, pretext is the bulk: README mean 47.8 s per pretext run
    expect(e.secondsByStage.pretext! / 9).toBeGreaterThan(47.8 * 0.7)
    expect(e.secondsByStage.pretext! / 9).toBeLessThan(47.8 * 1.3)
  })
})
