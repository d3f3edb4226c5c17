// Shared set-up for runner tests: a data root with stand-in dataset caches and a tiny study config.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { StudyConfigInput } from '../../../src-core/study/config.ts'

export const FAKE_ENGINE = resolve(import.meta.dirname, 'fixtures', 'fake-engine')
export const REPO = resolve(import.meta.dirname, '..', '..', '..')
export const PYTHON = process.env.XLAB_PYTHON || join(REPO, '.venv', 'bin', 'python')

/** A fresh data root whose datasets/ holds meta.json-only caches with the given names. */
export function dataRootWith(names: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'xlab-runner-'))
  for (const [i, name] of names.entries()) {
    const dir = join(root, 'datasets', `ds-0000000${i}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format_version: 1, id: `ds-0000000${i}`, name }))
  }
  return root
}

/** pretext -> extract -> linear, plus scratch: four runs. */
export function tinyConfig(overrides: Partial<StudyConfigInput> = {}): StudyConfigInput {
  return {
    pretextTasks: ['rotation'],
    pretrainDatasets: ['tiny-pre'],
    downstreamDataset: 'tiny-chest',
    targets: ['binary'],
    protocols: ['linear', 'scratch'],
    seeds: [0],
    imageSize: 32,
    pretext: { steps: 2, batchSize: 16, optimizer: 'adam', lr: 1e-3, weightDecay: 0, schedule: 'constant', checkpointEverySteps: 1 },
    downstream: { epochs: 1, batchSize: 16, optimizer: 'adam', lrHead: 1e-3, lrEncoder: 1e-4, lrScratch: 1e-3, weightDecay: 0, schedule: 'constant', imbalance: 'none', maxStepsPerEpoch: 2 },
    probes: { invariance: false, similarity: false, nImages: 8 },
    device: { policy: 'cpu', cpuSlots: 1, threadsPerJob: 1, maxAttempts: 2 },
    // The runner tests count and order their runs; the random-init baseline and the supervised
    // reference are planned and run in the planner tests (planner-baselines.test.ts) and left out of
    // this minimal study.
    baselines: { randomInit: false, supervised: false },
    ...overrides,
  }
}
