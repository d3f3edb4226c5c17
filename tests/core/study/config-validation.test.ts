// A study config is refused when it is created, with the field named and what to write instead:
// misspelt fields, impossible values, and values its datasets cannot meet (damaged, batch larger
// than the split). The field reference is generated from the schema and must be current.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStudyConfig } from '../../../src-core/study/config.ts'
import { configReferenceMarkdown, undocumentedFields } from '../../../src-core/study/config-doc.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { tmp, writePng } from '../datasets/helpers.ts'
import { dataRootWith, FAKE_ENGINE, tinyConfig } from '../runner/helpers.ts'

const REPO = resolve(import.meta.dirname, '..', '..', '..')
const xlab = join(REPO, 'bin', 'xlab.mjs')
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [xlab, ...args], { encoding: 'utf8', timeout: 180_000, env })
const demo = () => structuredClone(presetConfig('demo')) as unknown as Record<string, Record<string, unknown>>

describe('config fields', () => {
  it('refuses a misspelt field with the nearest valid name', () => {
    const cfg = demo()
    cfg.downstream!.maxStepPerEpoch = 12
    expect(() => parseStudyConfig(cfg)).toThrow(/downstream.maxStepPerEpoch: unknown field \(did you mean maxStepsPerEpoch\?\)/)
    const steps = demo()
    steps.pretext!.step = 48
    expect(() => parseStudyConfig(steps)).toThrow(/pretext.step: unknown field \(did you mean steps\?\)/)
    const top = { ...demo(), pretextTask: ['rotation'] }
    expect(() => parseStudyConfig(top)).toThrow(/pretextTask: unknown field \(did you mean pretextTasks\?\)/)
    const far = { ...demo(), colour: 'x' }
    expect(() => parseStudyConfig(far)).toThrow(/colour: unknown field; valid here: preset, pretextTasks/)
  })

  it('refuses an odd imageSize with the structure task, and accepts it without', () => {
    expect(() => parseStudyConfig({ ...demo(), imageSize: 33 })).toThrow(/imageSize: the structure task swaps image halves and quadrants, so imageSize must be even \(got 33; use 32 or 34\)/)
    expect(parseStudyConfig({ ...demo(), imageSize: 33, pretextTasks: ['rotation'], fusion: { sets: [], modes: ['linear'] } }).imageSize).toBe(33)
  })

  it('bounds batchSize and cpuSlots', () => {
    const big = demo()
    big.pretext!.batchSize = 100_000
    expect(() => parseStudyConfig(big)).toThrow(/pretext.batchSize: Too big: expected number to be <=4096/)
    const slots = demo()
    slots.device!.cpuSlots = 10_000
    expect(() => parseStudyConfig(slots)).toThrow(/device.cpuSlots: Too big: expected number to be <=64/)
  })
})

describe('the field reference', () => {
  it('documents every field of the schema', () => {
    expect(undocumentedFields()).toEqual([])
  })

  it('docs/study-config.md is the current output of the generator (node bin/xlab.mjs study config --markdown > docs/study-config.md)', () => {
    expect(readFileSync(join(REPO, 'docs', 'study-config.md'), 'utf8')).toBe(configReferenceMarkdown())
  })

  it('xlab study config --help prints it', () => {
    const r = cli(['study', 'config', '--help'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/downstream\.maxStepsPerEpoch {2}\(integer; > 0, <= 1000000000; default -\)\n {4}Caps the steps of each finetune\/scratch epoch/)
    expect(r.stdout).toMatch(/device\.cpuSlots {2}\(integer; > 0, <= 64; default 1\)/)
  })
})

describe('datasets a study uses', () => {
  let service: LabService
  let root: string
  const call = (m: string, input: unknown) => service.dispatch(m, input, { signal: new AbortController().signal, requestId: 't' })

  beforeAll(async () => {
    root = tmp()
    service = await LabService.open({ dataRoot: root, allowAllPaths: true, startQueue: false })
    const src = tmp()
    for (let i = 0; i < 40; i++) await writePng(join(src, i % 2 ? 'a' : 'b', `${i}.png`), i)
    // The downstream set is a chest set (a study refuses another kind when it is planned).
    await call('datasets.generateDemo', { scale: 'small', size: 16 })
    for (const name of ['small', 'broken']) {
      const { id } = (await call('datasets.import', { kind: 'imagefolder', path: src, name, size: 16 })) as { id: string }
      for (let i = 0; i < 600 && ((await call('datasets.get', { id })) as { status: string }).status === 'importing'; i++) await new Promise((r) => setTimeout(r, 50))
    }
  })
  afterAll(async () => {
    await service.close()
  })

  const config = (over: Record<string, unknown> = {}) => ({ ...tinyConfig(), pretrainDatasets: ['small'], downstreamDataset: 'demo-chest', ...over })

  it('refuses a training split too small for one step when the study is created; a batch larger than the split is one step', async () => {
    const src = tmp()
    for (let i = 0; i < 2; i++) await writePng(join(src, 'a', `${i}.png`), i)
    const { id } = (await call('datasets.import', { kind: 'imagefolder', path: src, name: 'two', size: 16, split: { train: 0.5, val: 0.5, test: 0 } })) as { id: string }
    for (let i = 0; i < 600 && ((await call('datasets.get', { id })) as { status: string }).status === 'importing'; i++) await new Promise((r) => setTimeout(r, 50))
    await expect(call('studies.create', { name: 'one-image', config: config({ pretrainDatasets: ['two'] }) })).rejects.toThrow(/pretrainDatasets: "two" has 1 training image\(s\) for the study's 16-image batches; a training step needs at least 2/)
    const big = config({ pretext: { ...tinyConfig().pretext, batchSize: 64 } })
    await expect(call('studies.create', { name: 'big-batch', config: big })).resolves.toMatchObject({ name: 'big-batch' })
  })

  it('refuses a pretraining dataset without validation images, instead of failing every pretext run', async () => {
    const src = tmp()
    for (let i = 0; i < 40; i++) await writePng(join(src, i % 2 ? 'a' : 'b', `${i}.png`), i)
    const { id } = (await call('datasets.import', { kind: 'imagefolder', path: src, name: 'noval', size: 16, split: { train: 0.8, val: 0, test: 0.2 } })) as { id: string }
    for (let i = 0; i < 600 && ((await call('datasets.get', { id })) as { status: string }).status === 'importing'; i++) await new Promise((r) => setTimeout(r, 50))
    await expect(call('studies.create', { name: 'noval', config: config({ pretrainDatasets: ['noval'] }) })).rejects.toThrow(/pretrainDatasets: "noval" has no validation images; pretext runs pick best.pth on them/)
  })

  it('shows a dataset whose cache lost a file as damaged, with the reason, and studies refuse it', async () => {
    const d = (await call('datasets.get', { id: 'broken' })) as { dir: string }
    rmSync(join(d.dir, 'images.npy'))
    const got = (await call('datasets.get', { id: 'broken' })) as { status: string; error: string }
    expect(got.status).toBe('damaged')
    expect(got.error).toMatch(/The cache of "broken" is damaged: .*images.npy is missing. Import it again/)
    await expect(call('studies.plan', { config: config({ pretrainDatasets: ['broken'] }) })).rejects.toThrow(/pretrainDatasets: dataset "broken" is damaged \(.*images.npy is missing\)/)
    await expect(call('datasets.thumbnails', { id: 'broken', perLabel: 2 })).rejects.toThrow(/damaged/)
    const list = cli(['datasets', 'list', '--data', root])
    expect(list.stdout).toMatch(/damaged .* broken {2}\(The cache of "broken" is damaged/)
  })

  it('calls a cut-short labels file damaged too', async () => {
    const src = tmp()
    for (let i = 0; i < 6; i++) await writePng(join(src, 'a', `${i}.png`), i)
    const { id } = (await call('datasets.import', { kind: 'imagefolder', path: src, name: 'cut', size: 16 })) as { id: string }
    for (let i = 0; i < 600 && ((await call('datasets.get', { id })) as { status: string }).status === 'importing'; i++) await new Promise((r) => setTimeout(r, 50))
    const d = (await call('datasets.get', { id })) as { dir: string }
    truncateSync(join(d.dir, 'labels.npy'), 100)
    expect(((await call('datasets.get', { id })) as { status: string; error: string }).error).toMatch(/labels.npy has 100 bytes, its header needs \d+ \(cut short or overwritten\)/)
  })
})

describe('xlab study results', () => {
  it('prints the results table of any study', () => {
    const data = dataRootWith(['tiny-pre', 'tiny-chest'])
    const cfgFile = join(data, 'study.json')
    writeFileSync(cfgFile, JSON.stringify(tinyConfig()))
    const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' }
    const ran = cli(['study', 'run', 'mine', '--config', cfgFile, '--plain', '--data', data], env)
    expect(ran.status, ran.stderr).toBe(0)
    const r = cli(['study', 'results', 'mine', '--data', data])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Test-split results of study mine \(done/)
    expect(r.stdout).toMatch(/\| binary \| linear +\| rotation\/tiny-pre +\| 0 +\| 0\.750 /)
    expect(r.stdout).toMatch(/\| binary \| scratch/)
    const missing = cli(['study', 'results', 'nope', '--data', data])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/There is no study "nope"/)
  })
})
