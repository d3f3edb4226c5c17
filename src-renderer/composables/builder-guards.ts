// What the study builder checks and explains before anything expensive starts: datasets that are
// not imported, a downstream set that is also pretrained on (leakage), tasks a downstream set cannot
// define, the run count written as its factors, and what every hyperparameter means.

import type { CallOutput } from '../api/client.ts'

type PlannedRun = CallOutput<'studies.plan'>['runs'][number]

/** The parts of a draft config the guards read. */
export interface GuardDraft {
  /** Pretraining dataset names. */
  pretrainDatasets: string[]
  /** Downstream dataset name. */
  downstreamDataset: string
  /** binary / 3class. */
  targets: string[]
}

/** The parts of a dataset the guards read. */
export interface GuardDataset {
  /** Name. */
  name: string
  /** ready / importing / failed / ... */
  status?: string
  /** Label names of the import. */
  labelNames?: string[]
}

/** Datasets the draft names that are not imported and ready, with why. */
export function missingDatasets(d: GuardDraft, datasets: readonly GuardDataset[]): { name: string; why: string }[] {
  const out: { name: string; why: string }[] = []
  for (const name of [...new Set([...d.pretrainDatasets, d.downstreamDataset])]) {
    const ds = datasets.find((x) => x.name === name)
    if (!ds) out.push({ name, why: 'is not imported' })
    else if (ds.status && ds.status !== 'ready') out.push({ name, why: `is ${ds.status}, not ready` })
  }
  return out
}

/** The downstream set is also a pretraining set: its test images would be seen in pretraining. */
export const leaks = (d: GuardDraft): boolean => d.pretrainDatasets.includes(d.downstreamDataset)

/** Explanations of the downstream tasks and protocols, shown beside their boxes. */
export const TASK_HELP: Record<string, string> = {
  binary: 'No Finding vs any finding (needs a "No Finding" label).',
  '3class': 'No Finding / Pneumonia / any other finding; an image with Pneumonia among its labels counts as Pneumonia (needs "No Finding" and "Pneumonia").',
  multilabel14: 'The 14 ChestX-ray14 findings, one sigmoid each: ROC-AUC per finding and their mean, beside CheXNet\'s 0.841 (measured on another split).',
}
export const PROTOCOL_HELP: Record<string, string> = {
  linear: 'Frozen encoder in eval mode, only a linear head is trained: measures the features as they are.',
  finetune: 'Encoder and head trained together, the encoder with a smaller learning rate.',
  scratch: 'Random initialisation trained end to end: the baseline pretraining must beat.',
  knn: 'Frozen features, no training: each test image takes the temperature-weighted vote of its k nearest training images (cosine), as in DINO.',
}
export const FUSION_HELP = 'Two or three encoders, their 512-d features concatenated under one head; linear keeps them frozen, finetune trains them too.'

/** The 14 findings of ChestX-ray14 that the multilabel14 task needs (label names as in Data_Entry_2017.csv). */
export const CHEST_FINDINGS = ['Atelectasis', 'Cardiomegaly', 'Consolidation', 'Edema', 'Effusion', 'Emphysema', 'Fibrosis', 'Hernia', 'Infiltration', 'Mass', 'Nodule', 'Pleural_Thickening', 'Pneumonia', 'Pneumothorax']

/** "1, 0.1, 0.01" -> [0.01, 0.1, 1], or the sentence that says what is wrong. */
export function parseFractions(text: string): number[] | string {
  const parts = text.split(/[\s,]+/).filter(Boolean)
  const values = parts.map(Number)
  const bad = parts.filter((_, i) => !(values[i]! > 0 && values[i]! <= 1))
  if (bad.length) return `Label fractions are numbers above 0 and at most 1 (e.g. "0.1, 1"); "${bad.join('", "')}" is not.`
  return [...new Set([...values, 1])].sort((a, b) => a - b)
}

/** Why a downstream set cannot define a task (null when it can, or when its labels are unknown). */
export function taskUnavailable(target: string, labels: readonly string[] | undefined): string | null {
  if (!labels || labels.length === 0) return null
  const missing = (target === '3class' ? ['No Finding', 'Pneumonia'] : target === 'multilabel14' ? CHEST_FINDINGS : ['No Finding']).filter((l) => !labels.includes(l))
  return missing.length ? `This downstream set has no ${missing.map((l) => `"${l}"`).join(' or ')} label, so the ${target} task is not defined on it.` : null
}

/** The planned runs' fields the factor count reads: the stage and the run's design factors. */
export type FactorRun = Pick<PlannedRun, 'pretext' | 'pretrainDataset' | 'seed' | 'target' | 'protocol' | 'fusionMode' | 'encoders'> & { stage: string; params?: Record<string, unknown> }

/** A baseline encoder's run (frozen random init, or an imported reference encoder `ref:<name>`). */
const isBaseline = (r: FactorRun) => (r.encoders ?? []).length === 1 && (r.encoders![0] === 'random-init' || r.encoders![0]!.startsWith('ref:'))
/** The labelled fraction a downstream run trains on (1 when its params leave it out). */
const fractionOf = (r: FactorRun) => (typeof r.params?.label_fraction === 'number' ? r.params.label_fraction : 1)

const n = (xs: Iterable<unknown>) => new Set(xs).size
const plural = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`

/** The run count as its factors, one line per kind of run ("36 single-encoder = 9 encoders × 2 tasks × 2 protocols × 1 seed"). */
export function runFactors(runs: readonly FactorRun[]): { kind: string; count: number; factors: string }[] {
  const out: { kind: string; count: number; factors: string }[] = []
  const add = (kind: string, rs: readonly FactorRun[], parts: [number, string, string?][]) => {
    if (!rs.length) return
    const product = parts.reduce((a, [k]) => a * k, 1)
    const text = parts.map(([k, one, many]) => plural(k, one, many)).join(' × ')
    out.push({ kind, count: rs.length, factors: product === rs.length ? text : `${text}, ${plural(product - rs.length, 'combination')} left out` })
  }
  const of = (stage: string) => runs.filter((r) => r.stage === stage)
  const cells = (rs: readonly FactorRun[]) => n(rs.map((r) => `${r.pretext}/${r.pretrainDataset}`))
  const pre = of('pretext')
  add('pretext', pre, [[n(pre.map((r) => r.pretext)), 'task'], [n(pre.map((r) => r.pretrainDataset)), 'dataset'], [n(pre.map((r) => r.seed)), 'seed']])
  const ext = of('extract')
  const baseExt = ext.filter(isBaseline)
  add('extract', ext.filter((r) => !isBaseline(r)), [[cells(ext.filter((r) => !isBaseline(r))), 'encoder'], [n(ext.map((r) => r.seed)), 'seed']])
  add('random-init encoder', baseExt, [[n(baseExt.map((r) => r.seed)), 'seed']])
  const down = of('downstream')
  const fractions = (rs: readonly FactorRun[]): [number, string, string?][] => (n(rs.map(fractionOf)) > 1 ? [[n(rs.map(fractionOf)), 'label fraction']] : [])
  const single = down.filter((r) => !r.fusionMode && r.protocol !== 'scratch' && !isBaseline(r))
  add('single-encoder downstream', single, [[cells(single), 'encoder'], [n(single.map((r) => r.target)), 'task'], [n(single.map((r) => r.protocol)), 'protocol'], ...fractions(single), [n(single.map((r) => r.seed)), 'seed']])
  const base = down.filter(isBaseline)
  add('baseline downstream', base, [[n(base.map((r) => r.encoders![0])), 'baseline encoder'], [n(base.map((r) => r.target)), 'task'], [n(base.map((r) => r.protocol)), 'protocol'], ...fractions(base), [n(base.map((r) => r.seed)), 'seed']])
  const scratch = down.filter((r) => r.protocol === 'scratch' && !r.fusionMode)
  add('scratch baseline', scratch, [[n(scratch.map((r) => r.target)), 'task'], [n(scratch.map((r) => r.seed)), 'seed']])
  const fusion = down.filter((r) => r.fusionMode)
  add('fusion', fusion, [[n(fusion.map((r) => (r.encoders ?? []).join('+'))), 'set'], [n(fusion.map((r) => r.fusionMode)), 'mode'], [n(fusion.map((r) => r.target)), 'task'], [n(fusion.map((r) => r.seed)), 'seed']])
  const probe = of('probe')
  if (probe.length) out.push({ kind: 'probe', count: probe.length, factors: 'invariance per encoder and dataset similarity' })
  return out
}

/** Help for a hyperparameter: readable name, unit, what it does. */
export interface ParamHelp {
  /** Label shown. */
  label: string
  /** Unit, e.g. "images", "steps". */
  unit: string
  /** One sentence. */
  help: string
}

export const PRETEXT_PARAMS: Record<string, ParamHelp> = {
  steps: { label: 'Steps', unit: 'optimiser steps', help: 'The pretext budget: the same number of optimiser steps for every task, dataset and seed; epochs follow from each dataset\'s size.' },
  batchSize: { label: 'Batch size', unit: 'images per step', help: 'Network inputs per optimiser step, the same for every task (rotation: 4 rotations of batch/4 images).' },
  lr: { label: 'Learning rate', unit: 'per step', help: 'Peak learning rate of the optimiser, after warm-up.' },
  valEverySteps: { label: 'Validate every', unit: 'steps (empty: 4 times per run)', help: 'Validation and best.pth every this many steps.' },
  maxTrainImages: { label: 'Max train images', unit: 'images (empty: all)', help: 'A seeded subset of the train split.' },
}

export const DOWNSTREAM_PARAMS: Record<string, ParamHelp> = {
  epochs: { label: 'Epochs', unit: 'passes', help: 'Passes over the downstream train split; the best epoch is picked on validation.' },
  batchSize: { label: 'Batch size', unit: 'images per step', help: 'Images per optimiser step (finetune, scratch).' },
  lrHead: { label: 'Head learning rate', unit: 'per step', help: 'Learning rate of the linear head.' },
  lrEncoder: { label: 'Encoder learning rate', unit: 'per step', help: 'Learning rate of the pretrained encoder when fine-tuning (smaller than the head\'s).' },
  maxStepsPerEpoch: { label: 'Max steps per epoch', unit: 'steps (empty: all)', help: 'Caps each finetune or scratch epoch.' },
  maxTrainImages: { label: 'Max train images', unit: 'images (empty: all)', help: 'A seeded, stratified subset of the train split.' },
}
