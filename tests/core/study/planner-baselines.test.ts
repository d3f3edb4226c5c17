// The planner's baselines and the reviewer's evaluations (issue 15): the random-init encoder, an
// imported reference encoder, kNN and label fractions plan exactly the runs a person expects, and
// every run at fraction 1 keeps the spec hash it had before these existed.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LINEAR_C_GRID, parseStudyConfig, type StudyConfig, type StudyConfigInput } from '../../../src-core/study/config.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import type { PlanProvenance } from '../../../src-core/study/provenance.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'

// The demo as it was before issue 15 (scripts/demo-budget-2026-12-01.json: no kNN, no fractions, no
// random-init baseline): the fixed ground these tests add the new options to.
const demoBefore = (): StudyConfig => parseStudyConfig(JSON.parse(readFileSync(join(import.meta.dirname, '../../../scripts/demo-budget-2026-12-01.json'), 'utf8')))

const sums: Record<string, string> = { 'demo-chest': 'c1', 'demo-natural': 'n1', 'demo-brainct': 'b1', 'demo-mammo': 'm1' }
const prov = (refs: Record<string, string> = { imagenet: 'i1' }): PlanProvenance => ({ engineVersion: '0.2.0', datasetChecksum: (n) => sums[n] ?? null, referenceChecksum: (n) => refs[n] ?? null })

const small = (over: Partial<StudyConfigInput> = {}) =>
  parseStudyConfig({
    ...demoBefore(),
    pretextTasks: ['rotation'],
    pretrainDatasets: ['demo-mammo'],
    targets: ['binary'],
    protocols: ['linear', 'knn', 'scratch'],
    referenceEncoders: ['imagenet'],
    fusion: { sets: [['rotation/demo-mammo', 'ref:imagenet']], modes: ['linear'] },
    seeds: [0],
    downstream: { ...demoBefore().downstream, labelFractions: [0.1, 1], knn: { k: 5, temperature: 0.1 } },
    baselines: { randomInit: true, supervised: false },
    ...over,
  })

describe('planning baselines, kNN and label fractions', () => {
  it('a study with two label fractions, kNN, the random baseline and one reference encoder plans exactly these runs', () => {
    const plan = planStudy(small(), prov())
    // Written out by hand: one pretext cell, its extract and the random-init extract; per protocol
    // (linear, knn) the three encoders at fraction 1 then 0.1; scratch at both; the fusion of the
    // pretext encoder with the reference; the invariance probes and the similarity probe.
    expect(plan.runs.map((r) => r.name)).toEqual([
      'rotation@demo-mammo-s0',
      'extract-rotation@demo-mammo-s0',
      'extract-random-init-s0',
      'binary-linear-rotation@demo-mammo-s0',
      'binary-linear-random-init-s0',
      'binary-linear-ref-imagenet-s0',
      'binary-linear-rotation@demo-mammo-f0.1-s0',
      'binary-linear-random-init-f0.1-s0',
      'binary-linear-ref-imagenet-f0.1-s0',
      'binary-knn-rotation@demo-mammo-s0',
      'binary-knn-random-init-s0',
      'binary-knn-ref-imagenet-s0',
      'binary-knn-rotation@demo-mammo-f0.1-s0',
      'binary-knn-random-init-f0.1-s0',
      'binary-knn-ref-imagenet-f0.1-s0',
      'binary-scratch-s0',
      'binary-scratch-f0.1-s0',
      'binary-fusion-linear-rotation@demo-mammo+ref-imagenet-s0',
      'probe-invariance-rotation@demo-mammo-s0',
      'probe-invariance-random-init-s0',
      'probe-similarity',
    ])
    expect(plan.counts).toEqual({ pretext: 1, extract: 2, downstream: 15, probe: 3 })
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(plan.runs.length)
  })

  it('wires each encoder to its file: extract runs, the random-init extract, the stored reference', () => {
    const plan = planStudy(small(), prov())
    const by = new Map(plan.runs.map((r) => [r.name, r]))
    const ri = by.get('extract-random-init-s0')!
    expect([ri.deps, ri.spec.params, ri.encoders, ri.pretext]).toEqual([[], { random_init: true, seed: 0, out_dir: { $runDir: 'encoders' } }, ['random-init'], null])
    expect(by.get('binary-linear-random-init-f0.1-s0')!.spec.params.encoders).toEqual([{ $encoder: ri.id }])
    expect(by.get('binary-linear-random-init-f0.1-s0')!.deps).toEqual([ri.id])
    const ref = by.get('binary-knn-ref-imagenet-s0')!
    expect([ref.deps, ref.spec.params.encoders, ref.encoders, ref.pretext, ref.pretrainDataset]).toEqual([[], [{ $reference: 'imagenet' }], ['ref:imagenet'], null, null])
    // The reference's checksum is part of its runs' identity; other runs record no references.
    expect(ref.spec.provenance).toEqual({ engine: '0.2.0', datasets: { 'demo-chest': 'c1' }, references: { imagenet: 'i1' } })
    expect(by.get('binary-knn-rotation@demo-mammo-s0')!.spec.provenance).toEqual({ engine: '0.2.0', datasets: { 'demo-chest': 'c1' } })
    const fusion = by.get('binary-fusion-linear-rotation@demo-mammo+ref-imagenet-s0')!
    expect(fusion.deps).toEqual([by.get('extract-rotation@demo-mammo-s0')!.id])
    expect(fusion.spec.params.encoders).toEqual([{ $encoder: by.get('extract-rotation@demo-mammo-s0')!.id }, { $reference: 'imagenet' }])
    expect(fusion.spec.params.label_fraction).toBeUndefined()
  })

  it('kNN runs carry k and the temperature and no training hyperparameters; fractions below 1 carry label_fraction', () => {
    const plan = planStudy(small(), prov())
    const by = new Map(plan.runs.map((r) => [r.name, r]))
    const knn = by.get('binary-knn-rotation@demo-mammo-f0.1-s0')!.spec.params
    expect([knn.protocol, knn.knn_k, knn.knn_temperature, knn.label_fraction]).toEqual(['knn', 5, 0.1, 0.1])
    for (const k of ['epochs', 'lr_head', 'optimizer', 'weight_decay', 'head_sweep_lrs']) expect(knn).not.toHaveProperty(k)
    expect(by.get('binary-linear-rotation@demo-mammo-s0')!.spec.params.label_fraction).toBeUndefined()
    expect(by.get('binary-scratch-f0.1-s0')!.spec.params.label_fraction).toBe(0.1)
  })

  it('importing other weights under the reference name re-plans exactly the runs that read it', () => {
    const before = planStudy(small(), prov())
    const after = planStudy(small(), prov({ imagenet: 'i2' }))
    const old = new Set(before.runs.map((r) => r.id))
    expect(after.runs.filter((r) => !old.has(r.id)).map((r) => r.name)).toEqual([
      'binary-linear-ref-imagenet-s0',
      'binary-linear-ref-imagenet-f0.1-s0',
      'binary-knn-ref-imagenet-s0',
      'binary-knn-ref-imagenet-f0.1-s0',
      'binary-fusion-linear-rotation@demo-mammo+ref-imagenet-s0',
    ])
  })

  it('labelFractionProtocols limits the fractions below 1; the random-init baseline only takes frozen-feature protocols', () => {
    const plan = planStudy(small({ protocols: ['linear', 'finetune', 'knn'], downstream: { ...demoBefore().downstream, labelFractions: [0.25], labelFractionProtocols: ['knn'] } }), prov())
    const names = plan.runs.filter((r) => r.stage === 'downstream').map((r) => r.name)
    expect(names.filter((n) => n.includes('-f0.25-'))).toEqual(['binary-knn-rotation@demo-mammo-f0.25-s0', 'binary-knn-random-init-f0.25-s0', 'binary-knn-ref-imagenet-f0.25-s0'])
    expect(names.filter((n) => n.includes('random-init'))).toEqual(['binary-linear-random-init-s0', 'binary-knn-random-init-s0', 'binary-knn-random-init-f0.25-s0'])
    expect(names).toContain('binary-finetune-ref-imagenet-s0')
    // Without the baseline there is no random-init extract.
    const none = planStudy(small({ baselines: { randomInit: false, supervised: false } }), prov())
    expect(none.runs.some((r) => r.encoders?.includes('random-init') && r.stage !== 'probe')).toBe(false)
  })

  it('a linear head sweep enters linear probes (single and fused) only', () => {
    const plan = planStudy(small({ downstream: { ...demoBefore().downstream, linearHeadSweep: { lrs: [0.01, 0.1], weightDecays: [0, 1e-4] } } }), prov())
    for (const r of plan.runs.filter((x) => x.stage === 'downstream')) {
      const swept = r.spec.params.head_sweep_lrs !== undefined
      expect(swept, r.name).toBe(r.protocol === 'linear')
      if (swept) expect([r.spec.params.head_sweep_lrs, r.spec.params.head_sweep_weight_decays]).toEqual([[0.01, 0.1], [0, 1e-4]])
    }
  })
})

describe('spec-hash stability', () => {
  // Digests of the sorted run ids of the presets as planned on main before issue 15 (same
  // provenance as here): none of the new options may change a run that existed then.
  const before: Record<string, { n: number; digest: string }> = {
    demo: { n: 83, digest: '1cc8b95e49ef0e6403ec89dcad1fe6b3394b969aea825533fd96e5cdf784073b' },
    paper: { n: 247, digest: '5526831a89202d8364aaa1a7066ae9a42e9688c577a6976a1fb810890f2ae4d5' },
  }
  const old = (p: PlanProvenance) => ({ engineVersion: p.engineVersion, datasetChecksum: p.datasetChecksum })
  const digest = (ids: string[]) => createHash('sha256').update([...ids].sort().join('\n')).digest('hex')

  for (const name of ['demo', 'paper'] as const) {
    it(`${name}: without the new options the plan is exactly the earlier one; with them every earlier run is still planned`, () => {
      const start = name === 'demo' ? demoBefore() : presetConfig(name)
      // issue 24's defaults (the L-BFGS probe, the supervised reference) change the protocol itself: off here, as the earlier plan had neither
      const off = parseStudyConfig({ ...start, baselines: { randomInit: false, supervised: false }, downstream: { ...start.downstream, linearProbe: { ...start.downstream.linearProbe, solver: 'sgd' } } })
      const ids = planStudy(off, old(prov())).runs.map((r) => r.id)
      expect([ids.length, digest(ids)]).toEqual([before[name]!.n, before[name]!.digest])
      const cfg = { ...start, downstream: { ...start.downstream, linearProbe: { ...start.downstream.linearProbe, solver: 'sgd' as const } } }
      const on = parseStudyConfig({
        ...cfg,
        protocols: [...cfg.protocols, 'knn'],
        referenceEncoders: ['imagenet'],
        downstream: { ...cfg.downstream, labelFractions: [0.1, 1] },
      })
      const now = new Set(planStudy(on, prov()).runs.map((r) => r.id))
      expect(ids.filter((id) => !now.has(id))).toEqual([])
    })
  }
})

describe('config validation of the new fields', () => {
  const base = () => structuredClone(demoBefore()) as unknown as Record<string, Record<string, unknown>>
  it('refuses fractions outside (0, 1], protocols that are not planned, and unknown fusion references', () => {
    const zero = base()
    zero.downstream!.labelFractions = [0, 1]
    expect(() => parseStudyConfig(zero)).toThrow(/downstream.labelFractions.0: Too small: expected number to be >0/)
    const big = base()
    big.downstream!.labelFractions = [1.5]
    expect(() => parseStudyConfig(big)).toThrow(/downstream.labelFractions.0: Too big: expected number to be <=1/)
    const proto = base()
    proto.downstream!.labelFractions = [0.1]
    proto.downstream!.labelFractionProtocols = ['knn']
    expect(() => parseStudyConfig(proto)).toThrow(/downstream.labelFractionProtocols.0: protocol "knn" runs label fractions but is not in protocols \(linear, finetune, scratch\)/)
    const fus = { ...base(), fusion: { sets: [['rotation/demo-mammo', 'ref:imagenet']], modes: ['linear'] } }
    expect(() => parseStudyConfig(fus)).toThrow(/fusion encoder "ref:imagenet" is not one of this study's referenceEncoders: add "imagenet" to referenceEncoders \(import it first: xlab encoders import FILE --name imagenet\)/)
    expect(() => parseStudyConfig({ ...base(), referenceEncoders: ['image net'] })).toThrow(/referenceEncoders.0: a reference encoder name has letters, digits/)
  })

  it('adds 1 to the label fractions and sorts them', () => {
    const cfg = base()
    cfg.downstream!.labelFractions = [0.1, 0.01]
    expect(parseStudyConfig(cfg).downstream.labelFractions).toEqual([0.01, 0.1, 1])
  })
})

describe('finetuneTargets', () => {
  const cfg = (finetuneTargets?: ('binary' | '3class')[]) =>
    parseStudyConfig({
      ...demoBefore(),
      pretextTasks: ['rotation'],
      pretrainDatasets: ['demo-mammo'],
      targets: ['binary', '3class'],
      protocols: ['linear', 'finetune', 'scratch'],
      fusion: { sets: [], modes: ['linear', 'finetune'] },
      seeds: [0],
      downstream: { ...demoBefore().downstream, ...(finetuneTargets ? { finetuneTargets } : {}) },
      baselines: { randomInit: false, supervised: false },
    })
  const downstream = (c: StudyConfig) => planStudy(c, prov()).runs.filter((r) => r.stage === 'downstream').map((r) => r.name).sort()

  it('fine-tunes only on the targets named, every other protocol runs on every target, and the runs kept keep their hashes', () => {
    const all = planStudy(cfg(), prov())
    const some = planStudy(cfg(['binary']), prov())
    expect(downstream(cfg(['binary']))).toEqual(['3class-linear-rotation@demo-mammo-s0', '3class-scratch-s0', 'binary-finetune-rotation@demo-mammo-s0', 'binary-linear-rotation@demo-mammo-s0', 'binary-scratch-s0'])
    expect(downstream(cfg())).toContain('3class-finetune-rotation@demo-mammo-s0')
    const hash = (p: typeof all, name: string) => p.runs.find((r) => r.name === name)!.hash
    for (const name of downstream(cfg(['binary']))) expect(hash(some, name), name).toBe(hash(all, name))
  })

  it('refuses a finetune target the study does not have, and an empty list', () => {
    expect(() => parseStudyConfig({ ...cfg(), targets: ['binary'], downstream: { ...cfg().downstream, finetuneTargets: ['3class'] } })).toThrow(/finetune target "3class" is not in targets \(binary\)/)
    expect(() => parseStudyConfig({ ...cfg(), downstream: { ...cfg().downstream, finetuneTargets: [] } })).toThrow()
  })
})

describe('the supervised reference (issue 24)', () => {
  const classes: Record<string, { classes: number; multiLabel: boolean }> = {
    'demo-natural': { classes: 4, multiLabel: false },
    'demo-brainct': { classes: 2, multiLabel: false },
    'demo-mammo': { classes: 1, multiLabel: false },
  }
  const withClasses = (): PlanProvenance => ({ ...prov(), datasetClasses: (n) => classes[n] ?? null })

  it('plans one supervised pretext run per labelled pretraining dataset and seed, with the pretext budget, extracted and evaluated like an encoder', () => {
    const cfg = presetConfig('demo')
    cfg.seeds = [0, 1]
    const plan = planStudy(cfg, withClasses())
    const sup = plan.runs.filter((r) => r.stage === 'pretext' && r.spec.params.task === 'supervised')
    expect(sup.map((r) => r.name).sort()).toEqual(['supervised@demo-brainct-s0', 'supervised@demo-brainct-s1', 'supervised@demo-natural-s0', 'supervised@demo-natural-s1'])
    const rotation = plan.runs.find((r) => r.name === 'rotation@demo-natural-s0')!.spec.params
    for (const r of sup) {
      const { task, dataset_dir, ...budget } = r.spec.params
      // snapshots (the encoder at fractions of the budget) are for pretext cells: they do not change the training
      const { task: _t, dataset_dir: _d, snapshots: _s, ...pretextBudget } = rotation
      expect(budget).toEqual(pretextBudget) // steps, batch, optimiser, lr, schedule: the pretext budget
      expect([task, dataset_dir, r.pretext, r.encoders]).toEqual(['supervised', { $dataset: r.pretrainDataset }, null, [`supervised/${r.pretrainDataset}`]])
    }
    const ext = plan.runs.find((r) => r.name === 'extract-supervised@demo-natural-s0')!
    expect(ext.deps).toEqual([plan.runs.find((r) => r.name === 'supervised@demo-natural-s0')!.id])
    expect(ext.spec.params.pretext).toBe('supervised')
    const down = plan.runs.filter((r) => r.stage === 'downstream' && r.encoders?.[0] === 'supervised/demo-natural' && r.seed === 0).map((r) => r.name)
    expect(down).toEqual(['binary-linear-supervised@demo-natural-s0', 'binary-linear-supervised@demo-natural-f0.1-s0', 'binary-knn-supervised@demo-natural-s0', '3class-linear-supervised@demo-natural-s0', '3class-linear-supervised@demo-natural-f0.1-s0', '3class-knn-supervised@demo-natural-s0'])
    // demo-mammo has one class: left out by default, with a sentence saying why
    expect(plan.runs.some((r) => r.encoders?.includes('supervised/demo-mammo'))).toBe(false)
    expect(plan.notes[0]).toBe('No supervised reference for "demo-mammo": it has 1 class, and the reference is trained with cross-entropy on one of at least two classes per image; its row is left out.')
    // not a cell of the matrix: H1's pretext factor stays null, and the paper preset has it too
    // the paper preset's sets are not imported here (classes unknown): planned, the engine refuses one without classes
    expect(planStudy(presetConfig('paper'), withClasses()).runs.filter((r) => r.spec.params.task === 'supervised').length).toBe(3 * 3)
  })

  it('refuses with a sentence a dataset without two classes named in baselines.supervised, and a name outside pretrainDatasets', () => {
    const cfg = parseStudyConfig({ ...presetConfig('demo'), baselines: { randomInit: true, supervised: ['demo-mammo'] } })
    expect(() => planStudy(cfg, withClasses())).toThrow('No supervised reference for "demo-mammo": it has 1 class, and the reference is trained with cross-entropy on one of at least two classes per image. Remove "demo-mammo" from baselines.supervised, or import it with class folders or a labels CSV of two or more classes.')
    const multi = { ...withClasses(), datasetClasses: () => ({ classes: 14, multiLabel: true }) }
    expect(() => planStudy(parseStudyConfig({ ...presetConfig('demo'), baselines: { randomInit: true, supervised: ['demo-natural'] } }), multi)).toThrow(/it has several labels per image \(a multi-label dataset\)/)
    expect(() => parseStudyConfig({ ...presetConfig('demo'), baselines: { randomInit: true, supervised: ['elsewhere'] } })).toThrow(/supervised reference dataset "elsewhere" is not one of pretrainDatasets/)
    expect(planStudy(parseStudyConfig({ ...presetConfig('demo'), baselines: { randomInit: true, supervised: false } }), withClasses()).runs.some((r) => r.spec.params.task === 'supervised')).toBe(false)
  })

  it('every linear probe is the L-BFGS fit over the C grid and carries none of the head optimiser settings; sgd keeps the earlier head', () => {
    const plan = planStudy(presetConfig('paper'), withClasses())
    const linear = plan.runs.filter((r) => r.stage === 'downstream' && r.protocol === 'linear')
    expect(linear.length).toBeGreaterThan(0)
    for (const r of linear) {
      expect([r.spec.params.linear_solver, r.spec.params.linear_c_grid]).toEqual(['lbfgs', LINEAR_C_GRID])
      for (const k of ['epochs', 'lr_head', 'optimizer', 'weight_decay', 'schedule']) expect(r.spec.params, r.name).not.toHaveProperty(k)
    }
    const ft = plan.runs.find((r) => r.name === 'binary-finetune-rotation@mammograms-s0')!.spec.params
    expect([ft.head_init, ft.linear_solver, ft.epochs]).toEqual(['linear_probe', 'lbfgs', 20])
    expect(() => parseStudyConfig({ ...presetConfig('paper'), downstream: { ...presetConfig('paper').downstream, linearHeadSweep: { lrs: [0.1], weightDecays: [0] } } })).toThrow(/linearHeadSweep sweeps the SGD head/)
  })
})
