// The builder's guards: missing datasets, leakage, tasks a dataset cannot define, the run count
// as its factors.
import { describe, expect, it } from 'vitest'
import { CHEST_FINDINGS, leaks, missingDatasets, parseFractions, runFactors, taskUnavailable } from '../../src-renderer/composables/builder-guards.ts'

const r = (over: Record<string, unknown>) => ({ stage: 'downstream', pretext: null, pretrainDataset: null, seed: 0, target: 'binary', protocol: 'linear', fusionMode: null, encoders: null, ...over })

describe('builder guards', () => {
  it('names datasets that are not imported or not ready', () => {
    const d = { pretrainDatasets: ['imagenette', 'demo-mammo'], downstreamDataset: 'chestxray14', targets: ['binary'] }
    expect(missingDatasets(d, [{ name: 'demo-mammo', status: 'ready' }, { name: 'chestxray14', status: 'importing' }])).toEqual([
      { name: 'imagenette', why: 'is not imported' },
      { name: 'chestxray14', why: 'is importing, not ready' },
    ])
  })

  it('warns when the downstream set is also pretrained on', () => {
    expect(leaks({ pretrainDatasets: ['demo-chest'], downstreamDataset: 'demo-chest', targets: [] })).toBe(true)
    expect(leaks({ pretrainDatasets: ['demo-mammo'], downstreamDataset: 'demo-chest', targets: [] })).toBe(false)
  })

  it('explains why a task is not defined on a downstream set', () => {
    expect(taskUnavailable('3class', ['No Finding', 'Mass'])).toMatch(/no "Pneumonia" label/)
    expect(taskUnavailable('binary', ['dark', 'bright'])).toMatch(/no "No Finding" label/)
    expect(taskUnavailable('3class', ['No Finding', 'Pneumonia'])).toBeNull()
    expect(taskUnavailable('binary', undefined)).toBeNull()
  })

  it('writes the run count as its factors', () => {
    const runs = [
      ...['rotation', 'inpainting'].flatMap((p) => ['a', 'b', 'c'].map((ds) => r({ stage: 'pretext', pretext: p, pretrainDataset: ds, target: null, protocol: null }))),
      ...['rotation', 'inpainting'].flatMap((p) => ['a', 'b', 'c'].flatMap((ds) => ['binary', '3class'].flatMap((t) => ['linear', 'finetune'].map((pr) => r({ pretext: p, pretrainDataset: ds, target: t, protocol: pr }))))),
      r({ protocol: 'scratch' }), r({ protocol: 'scratch', target: '3class' }),
      r({ fusionMode: 'linear', protocol: 'linear', encoders: ['rotation/a', 'inpainting/a'] }),
    ]
    const f = runFactors(runs)
    expect(f.map((x) => `${x.kind}: ${x.count} = ${x.factors}`)).toEqual([
      'pretext: 6 = 2 tasks × 3 datasets × 1 seed',
      'single-encoder downstream: 24 = 6 encoders × 2 tasks × 2 protocols × 1 seed',
      'scratch baseline: 2 = 2 tasks × 1 seed',
      'fusion: 1 = 1 set × 1 mode × 1 task × 1 seed',
    ])
    expect(runFactors(runs.slice(1, 6))[0]!.factors).toBe('2 tasks × 3 datasets × 1 seed, 1 combination left out')
  })

  it('counts label fractions and baseline encoders as factors of their own', () => {
    const single = ['binary', '3class'].flatMap((t) => [1, 0.25].flatMap((f) => [0, 1].map((seed) => r({ pretext: 'rotation', pretrainDataset: 'a', target: t, seed, params: f < 1 ? { label_fraction: f } : {} }))))
    const baseline = [0, 1].map((seed) => r({ seed, encoders: ['random-init'] }))
    const ext = [0, 1].map((seed) => r({ stage: 'extract', seed, target: null, protocol: null, encoders: ['random-init'] }))
    expect(runFactors([...single, ...baseline, ...ext]).map((x) => `${x.kind}: ${x.count} = ${x.factors}`)).toEqual([
      'random-init encoder: 2 = 2 seeds',
      'single-encoder downstream: 8 = 1 encoder × 2 tasks × 1 protocol × 2 label fractions × 2 seeds',
      'baseline downstream: 2 = 1 baseline encoder × 1 task × 1 protocol × 2 seeds',
    ])
  })

  it('reads label fractions, always with 1, and says what is wrong with a bad one', () => {
    expect(parseFractions('0.1, 1 0.01')).toEqual([0.01, 0.1, 1])
    expect(parseFractions('0.5')).toEqual([0.5, 1])
    expect(parseFractions('0, 2, x')).toBe('Label fractions are numbers above 0 and at most 1 (e.g. "0.1, 1"); "0", "2", "x" is not.')
  })

  it('needs every finding for the 14-finding task', () => {
    expect(taskUnavailable('multilabel14', ['No Finding', ...CHEST_FINDINGS])).toBeNull()
    expect(taskUnavailable('multilabel14', ['No Finding', 'Pneumonia'])).toMatch(/no "Atelectasis" or .*multilabel14 task is not defined/)
  })
})
