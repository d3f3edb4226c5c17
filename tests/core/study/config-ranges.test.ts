// Config values the engine cannot run are refused when the study is created (issue 26): ranges,
// duplicate list entries, absurd nesting, and a downstream dataset of the wrong kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { parseStudyConfig, type StudyConfigInput } from '../../../src-core/study/config.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { tmp } from '../datasets/helpers.ts'
import { tinyConfig } from '../runner/helpers.ts'

const base = tinyConfig()
const refused = (over: Partial<StudyConfigInput>) => () => parseStudyConfig({ ...base, ...over })

describe('study config ranges', () => {
  it('refuses numbers the engine cannot run, naming the field', () => {
    expect(refused({ downstream: { ...base.downstream, knn: { k: 20, temperature: 1e-300 } } })).toThrow(/downstream\.knn\.temperature: .*0\.001/)
    expect(refused({ pretext: { ...base.pretext, lr: 1e300 } })).toThrow(/pretext\.lr: .*10/)
    expect(refused({ downstream: { ...base.downstream, lrHead: 1e300 } })).toThrow(/downstream\.lrHead/)
    expect(refused({ pretext: { ...base.pretext, weightDecay: 5 } })).toThrow(/pretext\.weightDecay/)
    expect(refused({ seeds: [2 ** 40] })).toThrow(/seeds\.0/)
    expect(refused({ pretext: { ...base.pretext, steps: 1e12 } })).toThrow(/pretext\.steps/)
    expect(refused({ device: { ...base.device!, threadsPerJob: 1e6 } })).toThrow(/device\.threadsPerJob/)
  })

  it('refuses a list that names an entry twice (it would plan the same runs twice)', () => {
    expect(refused({ pretextTasks: ['rotation', 'rotation'] })).toThrow(/pretextTasks: pretextTasks lists an entry twice/)
    expect(refused({ targets: ['binary', 'binary'] })).toThrow(/targets: targets lists an entry twice/)
    expect(refused({ protocols: ['linear', 'scratch', 'linear'] })).toThrow(/protocols lists an entry twice/)
    expect(refused({ pretrainDatasets: ['tiny-pre', 'tiny-pre'] })).toThrow(/pretrainDatasets lists an entry twice/)
    expect(refused({ pretextTasks: ['rotation', 'inpainting'], fusion: { sets: [['rotation/tiny-pre', 'inpainting/tiny-pre'], ['inpainting/tiny-pre', 'rotation/tiny-pre']], modes: ['linear'] } })).toThrow(/fusion\.sets\.1: fusion set .* is listed twice/)
  })

  it('keeps the presets valid', () => {
    for (const name of ['demo', 'paper'] as const) expect(() => parseStudyConfig(presetConfig(name))).not.toThrow()
  })
})

describe('study config through the API', () => {
  let service: LabService
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    service = await LabService.open({ dataRoot: tmp('xlab-cfg-'), allowAllPaths: true, startQueue: false })
    await call('datasets.generateDemo', { scale: 'small', size: 16 })
  }, 120_000)
  afterAll(() => service.close())

  it('refuses a config nested 5,000 levels deep with a sentence, not a stack overflow', async () => {
    let deep: unknown = {}
    for (let i = 0; i < 5000; i++) deep = { x: deep }
    await expect(call('studies.create', { name: 'deep', config: { ...base, preset: deep } })).rejects.toThrow(/nested more than 32 levels deep/)
    await expect(call('studies.plan', { config: deep })).rejects.toThrow(/nested more than 32 levels deep/)
  })

  it('refuses a downstream dataset that is not a chest set when the study is planned', async () => {
    const cfg = tinyConfig({ pretrainDatasets: ['demo-mammo'], downstreamDataset: 'demo-brainct', imageSize: 16 })
    await expect(call('studies.create', { name: 'wrong-kind', config: cfg })).rejects.toThrow(/downstreamDataset: "demo-brainct" is a imagefolder import, but the downstream tasks \(binary\) read ChestX-ray14 findings/)
    await expect(call('studies.create', { name: 'right-kind', config: { ...cfg, downstreamDataset: 'demo-chest' } })).resolves.toMatchObject({ name: 'right-kind' })
  })
})
