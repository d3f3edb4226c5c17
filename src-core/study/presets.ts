// The two presets of DESIGN.md: `demo` (generated datasets, finishes on a 2-core CPU in minutes)
// and `paper` (real datasets at 224 px, full factorial, 3 seeds, for a GPU workstation).
import { parseStudyConfig, type StudyConfig, type StudyConfigInput } from './config.ts'

const MAMMO_FUSION = [
  ['rotation/demo-mammo', 'inpainting/demo-mammo'],
  ['rotation/demo-mammo', 'structure/demo-mammo'],
  ['inpainting/demo-mammo', 'structure/demo-mammo'],
  ['rotation/demo-mammo', 'inpainting/demo-mammo', 'structure/demo-mammo'],
]

const demo: StudyConfigInput = {
  preset: 'demo',
  pretextTasks: ['rotation', 'inpainting', 'structure'],
  pretrainDatasets: ['demo-natural', 'demo-brainct', 'demo-mammo'],
  downstreamDataset: 'demo-chest',
  targets: ['binary', '3class'],
  // kNN (k 20, T 0.07) beside the linear probe; both read one cached feature pass per encoder. No
  // fine-tuning in the demo (issue 24): its 32 steps from the linear probe's head ended below that
  // starting probe in every demo cell, so the demo's fine-tuning rows ranked an under-trained model
  // as a protocol result, and no larger budget was measured to end at or above its start inside the
  // demo's 10 minutes. The paper preset fine-tunes, and every finetune run records its starting probe and
  // is flagged when it ends below it. scratch stays: it is the baseline "pretraining at all" is held to.
  protocols: ['linear', 'knn', 'scratch'],
  // Linear fusion only: a fine-tuned fusion trains 2-3 encoders a step, 40% of the earlier demo's time.
  fusion: { sets: MAMMO_FUSION, modes: ['linear'] },
  seeds: [0],
  // 32 px keeps a CPU step cheap while the generated findings stay visible.
  imageSize: 32,
  // 48 steps of 64 network images for every cell, Adam at 2e-3 after a 4-step warm-up: the same
  // optimiser steps and images for every task (the fair budget). Measured per cell on the demo sets
  // (threads=1; the README has the table): every task ends well above chance and below 1.0 since the
  // demo data has the variation real sets have (see datasets/demo/*.ts). Inpainting's decoder makes
  // its step about twice a classifier's.
  // Encoder snapshots at 12 and 24 of the 48 steps (validation rounds already), each probed linearly
  // (downstream.snapshotProbes): with the extracted encoder's own probe they give transfer against
  // pretext progress per cell (report H1). No snapshot at 1.0: the extracted encoder (best.pth, the
  // final step when validation loss falls to the end) is that point already.
  pretext: { steps: 48, batchSize: 64, optimizer: 'adam', lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', warmupSteps: 4, valEverySteps: 12, checkpointEverySteps: 12, snapshots: [0.25, 0.5] },
  // The scratch baseline trains 32 steps of 32 images (2 epochs of 16 steps over at most 1,024
  // images). Every linear probe (pretext, supervised, random-init, fusion) is the L-BFGS logistic
  // regression to convergence with C chosen on validation (downstream.linearProbe, the default): its
  // budget is not `epochs`. The fusion sets are probed linearly only (fusion.modes); the paper preset
  // fine-tunes them too. scripts/demo-budget-2026-12-01.json is the budget of an earlier round.
  downstream: {
    epochs: 2,
    batchSize: 32,
    optimizer: 'adam',
    lrHead: 3e-3,
    lrEncoder: 1e-4,
    lrScratch: 1e-3,
    weightDecay: 1e-4,
    schedule: 'cosine',
    imbalance: 'weighted_loss',
    maxStepsPerEpoch: 16,
    maxTrainImages: 1024,
    // A label-efficiency point at 10% of the (capped) train labels, drawn by patient, for the linear
    // probe only: its features are cached, so each such run costs a head fit of well under a second.
    labelFractions: [0.1, 1],
    labelFractionProtocols: ['linear'],
    // A linear probe of each snapshot on both targets (36 runs on cached features): measured cost in the README.
    snapshotProbes: true,
  },
  // The frozen random-init ResNet-18 goes through linear and kNN, and each pretraining set with two or
  // more classes gets the supervised reference (its labels, the pretext budget): the configs' defaults, written out.
  baselines: { randomInit: true, supervised: true },
  probes: { invariance: true, similarity: true, nImages: 64 },
  // Two single-threaded workers overlap one worker's torch import with the other's training.
  device: { policy: 'auto', cpuSlots: 2, threadsPerJob: 1, maxAttempts: 2 },
}

const paper: StudyConfigInput = {
  preset: 'paper',
  pretextTasks: ['rotation', 'inpainting', 'structure'],
  pretrainDatasets: ['imagenette', 'brain-stroke-ct', 'mammograms'],
  downstreamDataset: 'chestxray14',
  targets: ['binary', '3class'],
  protocols: ['linear', 'finetune', 'scratch'],
  fusion: {
    sets: MAMMO_FUSION.map((set) => set.map((l) => l.replace('demo-mammo', 'mammograms'))),
    modes: ['linear', 'finetune'],
  },
  seeds: [0, 1, 2],
  imageSize: 224,
  // 3,000 steps of 128 network images per cell (about 30 Imagenette epochs, the earlier setting, and
  // now also for the mammograms and CT, which 30 epochs left with a few dozen steps).
  pretext: { steps: 3000, batchSize: 128, optimizer: 'sgd', lr: 0.05, weightDecay: 5e-4, schedule: 'cosine', warmupSteps: 150, valEverySteps: 250, checkpointEverySteps: 250 },
  downstream: {
    epochs: 20,
    batchSize: 64,
    optimizer: 'adamw',
    lrHead: 1e-3,
    lrEncoder: 1e-4,
    lrScratch: 1e-3,
    weightDecay: 1e-4,
    schedule: 'cosine',
    imbalance: 'weighted_loss',
  },
  probes: { invariance: true, similarity: true, nImages: 512 },
  device: { policy: 'auto', cpuSlots: 1, threadsPerJob: 0, maxAttempts: 2 },
}

const presets = { demo, paper } as const

export type PresetName = keyof typeof presets
export const PRESET_NAMES = Object.keys(presets) as PresetName[]

/** A preset's full config (defaults applied); a fresh copy every call. */
export function presetConfig(name: string): StudyConfig {
  const p = (presets as Record<string, StudyConfigInput | undefined>)[name]
  if (!p) throw Object.assign(new Error(`There is no preset "${name}". Choose one of: ${PRESET_NAMES.join(', ')}.`), { code: 'BAD_REQUEST' })
  return parseStudyConfig(structuredClone(p))
}
