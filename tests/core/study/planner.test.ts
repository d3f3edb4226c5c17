import { describe, expect, it } from 'vitest'
import { parseStudyConfig } from '../../../src-core/study/config.ts'
import { planStudy, RANDOM_INIT_LABEL } from '../../../src-core/study/planner.ts'
import type { PlanProvenance } from '../../../src-core/study/provenance.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'

describe('planStudy', () => {
  it('expands the demo preset into the full factorial', () => {
    const plan = planStudy(presetConfig('demo'))
    // 3 pretext x 3 datasets; one extract each and one for the random-init baseline; downstream: 9 encoders
    // x 2 targets x (linear, knn) + their linear probe at label fraction 0.1 on both targets + the
    // random-init encoder x 2 targets x (linear, knn, linear at 0.1) + 2 scratch + 4 fusion sets x 2
    // targets (linear fusion only, and no fine-tuning, in the demo); probes: 9 invariance + 1 random-init
    // reference + 1 similarity. The supervised reference of each of the 3 pretraining sets (their classes
    // are unknown without a store, so planned): 3 pretext + 3 extract, and like a pretext encoder
    // 2 targets x (linear, knn, linear at 0.1) = 6 each. The snapshot probes: 9 cells x 2 snapshots x 2 targets.
    expect(plan.counts).toEqual({ pretext: 9 + 3, extract: 9 + 1 + 3, downstream: 36 + 18 + 6 + 2 + 8 + 18 + 36, probe: 11 })
    expect(new Set(plan.runs.map((r) => r.name)).size).toBe(plan.runs.length)
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(plan.runs.length)
  })

  it('scales with seeds: the paper preset has three of everything but one similarity probe', () => {
    const plan = planStudy(presetConfig('paper'))
    // + per seed 3 supervised references (pretext + extract) x 2 targets x (linear, finetune)
    expect(plan.counts).toEqual({ pretext: 27 + 9, extract: 27 + 3 + 9, downstream: 3 * (54 + 2 + 12), probe: 27 + 3 + 1 })
  })

  it('orders runs after their dependencies and wires stages correctly', () => {
    const plan = planStudy(presetConfig('demo'))
    const index = new Map(plan.runs.map((r, i) => [r.id, i]))
    const byId = new Map(plan.runs.map((r) => [r.id, r]))
    for (const [i, r] of plan.runs.entries()) for (const d of r.deps) expect(index.get(d)).toBeLessThan(i)
    for (const r of plan.runs) {
      const depStages = r.deps.map((d) => byId.get(d)!.stage)
      if (r.stage === 'pretext') expect(depStages).toEqual([])
      if (r.stage === 'extract') expect(depStages).toEqual(r.encoders![0] === RANDOM_INIT_LABEL ? [] : ['pretext'])
      if (r.stage === 'downstream' && r.protocol === 'scratch') expect(r.deps).toEqual([])
      if (r.stage === 'downstream' && r.fusionMode) expect(depStages).toEqual(r.encoders!.map(() => 'extract'))
    }
    const fusion = plan.runs.find((r) => r.name === 'binary-fusion-linear-rotation@demo-mammo+inpainting@demo-mammo+structure@demo-mammo-s0')!
    expect(fusion.deps.map((d) => byId.get(d)!.name)).toEqual(['extract-rotation@demo-mammo-s0', 'extract-inpainting@demo-mammo-s0', 'extract-structure@demo-mammo-s0'])
    expect(plan.runs.find((r) => r.name === 'probe-similarity')!.deps).toEqual([])
  })

  it('is deterministic and reuses every unchanged run after an edit', () => {
    const before = planStudy(presetConfig('demo'))
    expect(planStudy(presetConfig('demo')).runs.map((r) => r.id)).toEqual(before.runs.map((r) => r.id))

    const withSeed = presetConfig('demo')
    withSeed.seeds = [0, 1]
    const after = planStudy(withSeed)
    const old = new Set(before.runs.map((r) => r.id))
    const fresh = after.runs.filter((r) => !old.has(r.id))
    expect(after.runs.filter((r) => old.has(r.id)).length).toBe(before.runs.length)
    // Only seed-1 work is new (the similarity probe does not depend on the seed, and the 36 snapshot
    // probes run for the first seed only).
    expect(fresh.every((r) => r.seed === 1)).toBe(true)
    expect(fresh.length).toBe(before.runs.length - 1 - 36)

    const moreEpochs = presetConfig('demo')
    moreEpochs.downstream.epochs += 1
    const changed = planStudy(moreEpochs).runs.filter((r) => !old.has(r.id))
    // Pretext, extract and probe runs are reused; every downstream run that trains the encoder is new
    // (kNN has no epochs, and the L-BFGS linear probe's budget is convergence, not epochs).
    expect(changed.every((r) => r.stage === 'downstream')).toBe(true)
    expect(changed.length).toBe(before.runs.filter((r) => r.stage === 'downstream' && (r.protocol === 'finetune' || r.protocol === 'scratch')).length)
    expect(changed.some((r) => r.protocol === 'linear')).toBe(false)
  })

  it('gives every pretext run of a study the same budget: steps at one network batch, no epochs', () => {
    const mixed = parseStudyConfig({
      ...presetConfig('paper'),
      // a 300-image mammogram set next to a 10,000-image natural set: the budget does not depend on size
      pretrainDatasets: ['mammograms-300', 'natural-10k'],
      fusion: { sets: [], modes: ['linear'] },
    })
    for (const cfg of [presetConfig('paper'), presetConfig('demo'), mixed]) {
      const pretext = planStudy(cfg).runs.filter((r) => r.stage === 'pretext')
      // the supervised reference of every pretraining set gets the same budget as the pretext tasks
      expect(pretext.length).toBe((cfg.pretextTasks.length + 1) * cfg.pretrainDatasets.length * cfg.seeds.length)
      expect(pretext.filter((r) => r.spec.params.task === 'supervised').length).toBe(cfg.pretrainDatasets.length * cfg.seeds.length)
      const budgets = new Set(pretext.map((r) => JSON.stringify([r.spec.params.steps, r.spec.params.batch_size])))
      expect([...budgets]).toEqual([JSON.stringify([cfg.pretext.steps, cfg.pretext.batchSize])])
      for (const r of pretext) {
        expect(r.spec.params).not.toHaveProperty('epochs')
        expect(r.spec.params).not.toHaveProperty('max_steps_per_epoch')
      }
    }
    expect([presetConfig('paper').pretext.steps, presetConfig('demo').pretext.steps]).toEqual([3000, 48])
  })

  it('leaves the checkpoint interval out of the spec at its default, so runs planned before the field keep their ids', () => {
    const base = planStudy(presetConfig('demo'))
    for (const r of base.runs.filter((x) => x.stage === 'pretext')) expect(r.spec.params.checkpoint_every_s).toBeUndefined()
    const explicit = planStudy(parseStudyConfig({ ...presetConfig('demo'), pretext: { ...presetConfig('demo').pretext, checkpointEverySeconds: 60 } }))
    expect(explicit.runs.map((r) => r.id)).toEqual(base.runs.map((r) => r.id))
    const other = planStudy(parseStudyConfig({ ...presetConfig('demo'), pretext: { ...presetConfig('demo').pretext, checkpointEverySeconds: 15 } }))
    const pre = other.runs.filter((r) => r.stage === 'pretext')
    expect(pre.every((r) => r.spec.params.checkpoint_every_s === 15)).toBe(true)
    // a different interval is a different spec (the engine gets it), downstream of it too; probes of other data stay
    expect(pre.every((r) => !base.runs.some((b) => b.id === r.id))).toBe(true)
  })

  it('rejects a fusion set naming an encoder the study does not train, with a clear message', () => {
    const cfg = structuredClone(presetConfig('demo')) as Record<string, unknown>
    cfg.pretrainDatasets = ['demo-natural']
    expect(() => parseStudyConfig(cfg)).toThrow(/fusion encoder "rotation\/demo-mammo" is not trained by this study/)
  })

  it('leaves skipped matrix cells out of every stage and reuses the runs of the cells kept', () => {
    const full = planStudy(presetConfig('demo'))
    const cfg = parseStudyConfig({ ...presetConfig('demo'), skipCells: ['structure/demo-natural', 'inpainting/demo-brainct'] })
    const plan = planStudy(cfg)
    // 2 of 9 cells gone: 7 pretext, 7 extract (+ random-init), 7 invariance probes; downstream 7 x 2 targets
    // x (linear, knn) + 14 at fraction 0.1 + 6 random-init + 2 scratch + the 8 fusion
    // runs (the demo fusion sets use only demo-mammo and rotation+inpainting/structure cells kept).
    // The 3 supervised references are not cells of the matrix: skipping cells leaves them (3 + 3 + 21).
    // Snapshot probes: 7 cells x 2 snapshots x 2 targets.
    expect(plan.counts).toEqual({ pretext: 7 + 3, extract: 7 + 1 + 3, downstream: 28 + 14 + 6 + 2 + 8 + 18 + 28, probe: 9 })
    expect(plan.runs.some((r) => r.encoders?.includes('structure/demo-natural') || r.encoders?.includes('inpainting/demo-brainct'))).toBe(false)
    const fullIds = new Set(full.runs.map((r) => r.id))
    expect(plan.runs.every((r) => fullIds.has(r.id))).toBe(true)
  })

  it('refuses skipped cells outside the matrix, a matrix with every cell skipped, and fusion of a skipped cell', () => {
    const base = presetConfig('demo')
    expect(() => parseStudyConfig({ ...base, skipCells: ['rotation/elsewhere'] })).toThrow(/skipped cell "rotation\/elsewhere" is not in the matrix/)
    const one = { ...base, pretextTasks: ['rotation'], pretrainDatasets: ['demo-mammo'], fusion: { sets: [], modes: ['linear'] } }
    expect(() => parseStudyConfig({ ...one, skipCells: ['rotation/demo-mammo'] })).toThrow(/every cell .* is skipped/)
    expect(() => parseStudyConfig({ ...base, skipCells: ['rotation/demo-mammo'] })).toThrow(/fusion encoder "rotation\/demo-mammo" is a skipped cell/)
  })

  it('starts finetune heads from a linear probe (LP-FT) by default; random leaves the engine default and other protocols alone', () => {
    const both = presetConfig('demo')
    both.protocols = [...both.protocols, 'finetune']
    both.downstream.finetuneTargets = ['binary']
    both.fusion.modes = ['linear', 'finetune']
    const plan = planStudy(both)
    const params = (name: string) => plan.runs.find((r) => r.name === name)!.spec.params as Record<string, unknown>
    expect(params('binary-finetune-rotation@demo-mammo-s0').head_init).toBe('linear_probe')
    expect(params('binary-fusion-finetune-rotation@demo-mammo+inpainting@demo-mammo-s0').head_init).toBe('linear_probe')
    expect(params('binary-linear-rotation@demo-mammo-s0').head_init).toBeUndefined()
    expect(params('binary-scratch-s0').head_init).toBeUndefined()
    const random = structuredClone(both)
    random.downstream.finetuneHeadInit = 'random'
    const other = planStudy(random)
    const changed = other.runs.filter((r) => !plan.runs.some((x) => x.id === r.id))
    expect(changed.length).toBe(9 + 3 + 4) // 9 encoders + 3 supervised references + 4 fusion sets, finetune on the demo's one finetune target only
    expect(changed.every((r) => r.protocol === 'finetune' && r.spec.params.head_init === undefined)).toBe(true)
  })

  it('measures invariance on the validation split, with a random-init reference row per seed', () => {
    const plan = planStudy(presetConfig('demo'))
    const probes = plan.runs.filter((r) => r.stage === 'probe' && r.spec.params.mode === 'invariance')
    expect(probes.every((r) => r.spec.params.split === 'val')).toBe(true)
    const ref = probes.filter((r) => r.encoders?.[0] === RANDOM_INIT_LABEL)
    expect(ref.map((r) => [r.name, r.spec.params.reference, r.deps])).toEqual([['probe-invariance-random-init-s0', 'random-init', []]])
  })
})

describe('run provenance', () => {
  const sums: Record<string, string> = { 'demo-chest': 'c1', 'demo-natural': 'n1', 'demo-brainct': 'b1', 'demo-mammo': 'm1' }
  const prov = (over: Record<string, string> = {}, engine = '0.2.0'): PlanProvenance => ({ engineVersion: engine, datasetChecksum: (n) => ({ ...sums, ...over })[n] ?? null })

  it('records the checksum of every dataset a run reads and the engine version in its spec', () => {
    const plan = planStudy(presetConfig('demo'), prov())
    const byName = new Map(plan.runs.map((r) => [r.name, r]))
    expect(byName.get('rotation@demo-mammo-s0')!.spec.provenance).toEqual({ engine: '0.2.0', datasets: { 'demo-mammo': 'm1' } })
    expect(byName.get('extract-rotation@demo-mammo-s0')!.spec.provenance).toEqual({ engine: '0.2.0', datasets: {} })
    expect(byName.get('binary-linear-rotation@demo-mammo-s0')!.spec.provenance!.datasets).toEqual({ 'demo-chest': 'c1' })
    expect(byName.get('probe-similarity')!.spec.provenance!.datasets).toEqual({ 'demo-brainct': 'b1', 'demo-chest': 'c1', 'demo-mammo': 'm1', 'demo-natural': 'n1' })
  })

  it('re-importing a dataset with other content re-plans exactly the runs that read it, directly or through an encoder', () => {
    const before = planStudy(presetConfig('demo'), prov())
    const after = planStudy(presetConfig('demo'), prov({ 'demo-mammo': 'm2' }))
    const old = new Set(before.runs.map((r) => r.id))
    const changed = new Set(after.runs.filter((r) => !old.has(r.id)).map((r) => r.name))
    // Expected from the factors alone, not from the hashes: a mammogram-pretrained encoder's
    // pretext, extract, downstream, fusion and invariance-probe runs, and the similarity probe.
    const readsMammo = (r: (typeof after.runs)[number]) => r.pretrainDataset === 'demo-mammo' || (r.encoders ?? []).some((e) => /\/demo-mammo(@step\d+)?$/.test(e)) || r.name === 'probe-similarity'
    const expected = new Set(after.runs.filter(readsMammo).map((r) => r.name))
    expect(changed).toEqual(expected)
    // per encoder and target: linear, knn and linear at fraction 0.1 (no fine-tuning in the demo);
    // + the supervised reference of demo-mammo: pretext, extract and 2 x 3 frozen runs;
    // + the snapshot probes: 3 cells x 2 snapshots x 2 targets
    expect(changed.size).toBe(3 + 3 + 3 * 2 * 3 + 8 + 3 + 1 + 8 + 12)
    expect(after.runs.length).toBe(before.runs.length)
    // The downstream dataset is read by every downstream run and probe: all of those re-plan.
    const chest = planStudy(presetConfig('demo'), prov({ 'demo-chest': 'c2' }))
    const chestChanged = chest.runs.filter((r) => !old.has(r.id))
    expect(new Set(chestChanged.map((r) => r.stage))).toEqual(new Set(['downstream', 'probe']))
    expect(chestChanged.length).toBe(88 + 36 + 11)
  })

  it('a new engine version re-plans everything; equal inputs reuse everything', () => {
    const base = planStudy(presetConfig('demo'), prov())
    expect(planStudy(presetConfig('demo'), prov()).runs.map((r) => r.id)).toEqual(base.runs.map((r) => r.id))
    const next = planStudy(presetConfig('demo'), prov({}, '0.3.0'))
    expect(next.runs.filter((r) => base.runs.some((b) => b.id === r.id))).toEqual([])
  })
})
