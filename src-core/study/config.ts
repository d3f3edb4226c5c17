// The study config: which factors a study crosses and the hyperparameters of each stage.
// Validated with zod wherever it enters (JSON file, API call); presets live in presets.ts.
import { z } from 'zod'
import { unknownConfigKeys } from './config-keys.ts'

export const PRETEXT_TASKS = ['rotation', 'inpainting', 'structure'] as const
export const TARGETS = ['binary', '3class'] as const
export const PROTOCOLS = ['linear', 'finetune', 'scratch'] as const
export const FUSION_MODES = ['linear', 'finetune'] as const

export type PretextTask = (typeof PRETEXT_TASKS)[number]
export type Target = (typeof TARGETS)[number]
export type Protocol = (typeof PROTOCOLS)[number]
export type FusionMode = (typeof FUSION_MODES)[number]

const optimizer = z.enum(['sgd', 'adam', 'adamw'])
const schedule = z.enum(['cosine', 'step', 'constant'])
const positiveInt = z.number().int().positive()
/** Largest batch a job takes: beyond it no GPU this lab targets holds the activations. */
export const MAX_BATCH_SIZE = 4096
/** Most parallel CPU workers a study may ask for (each is a process with its own memory). */
export const MAX_CPU_SLOTS = 64
const batchSize = positiveInt.max(MAX_BATCH_SIZE)

/** An encoder label `<pretext>/<pretraining dataset name>`, e.g. `rotation/demo-mammo`. */
export const encoderLabel = z
  .string()
  .regex(/^(rotation|inpainting|structure)\/[^/\s]+$/, 'an encoder is written "<pretext>/<dataset name>", e.g. "rotation/demo-mammo"')

export const pretextStageSchema = z.object({
  epochs: positiveInt,
  batchSize,
  optimizer,
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  schedule,
  warmupEpochs: z.number().int().min(0).default(0),
  /** Caps the steps of each epoch (small demo budgets); absent = the whole train split. */
  maxStepsPerEpoch: positiveInt.optional(),
  /** Caps the train split (a seeded subset); absent = all of it. */
  maxTrainImages: positiveInt.optional(),
  checkpointEverySteps: positiveInt.default(50),
})

export const downstreamStageSchema = z.object({
  epochs: positiveInt,
  batchSize,
  optimizer,
  lrHead: z.number().positive(),
  /** Encoder learning rate for finetune and fused finetune (smaller than the head's). */
  lrEncoder: z.number().positive(),
  /** Learning rate of the whole network for the scratch baseline. */
  lrScratch: z.number().positive(),
  weightDecay: z.number().min(0),
  schedule,
  imbalance: z.enum(['weighted_loss', 'balanced_sampler', 'none']),
  /** How a finetune run's head starts: `linear_probe` trains it on frozen features first (LP-FT), `random` does not. */
  finetuneHeadInit: z.enum(['linear_probe', 'random']).default('linear_probe'),
  /** Caps the steps of each finetune/scratch epoch. */
  maxStepsPerEpoch: positiveInt.optional(),
  /** Caps the train split (a seeded, stratified subset). */
  maxTrainImages: positiveInt.optional(),
})

export const deviceSchema = z.object({
  /** Where jobs run: `auto` takes a GPU when one is visible. */
  policy: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** Parallel jobs when no GPU is visible (each one is a separate worker process). */
  cpuSlots: positiveInt.max(MAX_CPU_SLOTS).default(1),
  /** torch threads per job (passed as job field `threads`); 0 lets torch decide. */
  threadsPerJob: z.number().int().min(0).default(0),
  /** How many times a failed run is tried in total before it stays failed. */
  maxAttempts: positiveInt.default(2),
})

export const studyConfigSchema = z
  .object({
    /** Which preset the config started from (informational). */
    preset: z.string().optional(),
    pretextTasks: z.array(z.enum(PRETEXT_TASKS)).min(1),
    /** Pretraining dataset names (datasets.name). */
    pretrainDatasets: z.array(z.string().min(1)).min(1),
    /** Cells of the pretext x pretraining-dataset matrix left out (`<pretext>/<dataset>`): their
     *  pretext, extract, downstream and probe runs are not planned. Default: the full matrix. */
    skipCells: z.array(encoderLabel).default([]),
    /** The downstream dataset name (a ChestX-ray14-layout import). */
    downstreamDataset: z.string().min(1),
    targets: z.array(z.enum(TARGETS)).min(1),
    protocols: z.array(z.enum(PROTOCOLS)).min(1),
    fusion: z
      .object({
        /** Each set lists 2 or 3 encoder labels trained with the same seed. */
        sets: z.array(z.array(encoderLabel).min(2).max(3)).default([]),
        modes: z.array(z.enum(FUSION_MODES)).default(['linear', 'finetune']),
      })
      .default({ sets: [], modes: ['linear', 'finetune'] }),
    seeds: z.array(z.number().int().min(0)).min(1),
    imageSize: z.number().int().min(16).max(1024),
    pretext: pretextStageSchema,
    downstream: downstreamStageSchema,
    probes: z
      .object({
        invariance: z.boolean().default(true),
        similarity: z.boolean().default(true),
        nImages: positiveInt.default(64),
      })
      .default({ invariance: true, similarity: true, nImages: 64 }),
    device: deviceSchema.default({ policy: 'auto', cpuSlots: 1, threadsPerJob: 0, maxAttempts: 2 }),
  })
  .superRefine((cfg, ctx) => {
    const skipped = new Set(cfg.skipCells)
    const inMatrix = (label: string) => {
      const [task, ds] = label.split('/') as [PretextTask, string]
      return cfg.pretextTasks.includes(task) && cfg.pretrainDatasets.includes(ds)
    }
    for (const [i, label] of cfg.skipCells.entries()) {
      if (!inMatrix(label)) {
        ctx.addIssue({ code: 'custom', path: ['skipCells', i], message: `skipped cell "${label}" is not in the matrix of pretextTasks x pretrainDatasets; remove it from skipCells` })
      }
    }
    if (cfg.pretextTasks.every((t) => cfg.pretrainDatasets.every((d) => skipped.has(`${t}/${d}`)))) {
      ctx.addIssue({ code: 'custom', path: ['skipCells'], message: 'every cell of the pretext x dataset matrix is skipped; keep at least one' })
    }
    for (const [i, set] of cfg.fusion.sets.entries()) {
      if (new Set(set).size !== set.length) ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: 'a fusion set names the same encoder twice' })
      for (const label of set) {
        const [task, ds] = label.split('/') as [PretextTask, string]
        if (!inMatrix(label)) {
          ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion encoder "${label}" is not trained by this study: add "${task}" to pretextTasks and "${ds}" to pretrainDatasets, or remove it` })
        } else if (skipped.has(label)) {
          ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion encoder "${label}" is a skipped cell: train it (remove it from skipCells) or drop this fusion set` })
        }
      }
    }
    if (new Set(cfg.seeds).size !== cfg.seeds.length) ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'seeds must be distinct' })
    if (cfg.pretextTasks.includes('structure') && cfg.imageSize % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['imageSize'], message: `the structure task swaps image halves and quadrants, so imageSize must be even (got ${cfg.imageSize}; use ${cfg.imageSize - 1} or ${cfg.imageSize + 1})` })
    }
  })

/** The encoder cells a study trains, dataset-major in config order: the matrix minus skipCells. */
export function trainedCells(cfg: Pick<StudyConfig, 'pretextTasks' | 'pretrainDatasets' | 'skipCells'>): { task: PretextTask; dataset: string; label: string }[] {
  const skipped = new Set(cfg.skipCells)
  return cfg.pretrainDatasets.flatMap((dataset) =>
    cfg.pretextTasks.map((task) => ({ task, dataset, label: `${task}/${dataset}` })).filter((c) => !skipped.has(c.label)),
  )
}

/** A study config after defaults. */
export type StudyConfig = z.output<typeof studyConfigSchema>
/** A study config as written by a person (defaults optional). */
export type StudyConfigInput = z.input<typeof studyConfigSchema>

/** Parses a config and turns zod issues into one sentence a person can act on. */
export function parseStudyConfig(raw: unknown): StudyConfig {
  // zod drops keys it does not know; a misspelt one would silently plan runs without that setting.
  const unknown = unknownConfigKeys(raw).map((k) => `${k.path}: unknown field${k.nearest ? ` (did you mean ${k.nearest}?)` : `; valid here: ${k.valid.join(', ')}`}`)
  const r = studyConfigSchema.safeParse(raw)
  if (r.success && !unknown.length) return r.data
  const issues = [...unknown, ...(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`))].join('; ')
  throw Object.assign(new Error(`The study config is not valid (${issues}). Fix these fields or start from a preset (xlab study create --preset demo).`), { code: 'BAD_REQUEST' })
}
