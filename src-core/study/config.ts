// The study config: which factors a study crosses and the hyperparameters of each stage.
// Validated with zod wherever it enters (JSON file, API call); presets live in presets.ts.
import { z } from 'zod'
import { unknownConfigKeys } from './config-keys.ts'
import { snapshotStep } from './snapshots.ts'

export const PRETEXT_TASKS = ['rotation', 'inpainting', 'structure'] as const
export const TARGETS = ['binary', '3class', 'multilabel14'] as const
export const PROTOCOLS = ['linear', 'finetune', 'scratch', 'knn'] as const
/** Protocols that read frozen features (the random-init baseline goes through these). */
export const FROZEN_PROTOCOLS = ['linear', 'knn'] as const
export const FUSION_MODES = ['linear', 'finetune'] as const

export type PretextTask = (typeof PRETEXT_TASKS)[number]
export type Target = (typeof TARGETS)[number]
export type Protocol = (typeof PROTOCOLS)[number]
export type FusionMode = (typeof FUSION_MODES)[number]

const optimizer = z.enum(['sgd', 'adam', 'adamw'])
const schedule = z.enum(['cosine', 'step', 'constant'])
/** Counts (steps, epochs, images, ...): whole, at least 1, and at most what a job can run (a billion). */
const positiveInt = z.number().int().positive().max(1e9)
/** A learning rate the engine's optimisers can take: above 10 the first step overflows to NaN. */
const learningRate = z.number().min(1e-9).max(10)
/** An L2 weight decay (per step: above 1 it flips the sign of every weight). */
const weightDecay = z.number().min(0).max(1)
/** Largest seed: numpy, torch and JSON all hold it exactly. */
export const MAX_SEED = 2 ** 31 - 1
/** Deepest nesting of a study config: the schema's is 4; anything far deeper is not a config. */
export const MAX_CONFIG_DEPTH = 32
/** A list whose entries must be distinct: a repeated entry would plan the same runs twice. */
const distinct = <T extends z.ZodTypeAny>(item: T, what: string, min = 0) =>
  z
    .array(item)
    .min(min)
    .refine((xs) => new Set(xs.map((x) => JSON.stringify(x))).size === xs.length, { message: `${what} lists an entry twice; each may appear once` })
/** Largest batch a job takes: beyond it no GPU this lab targets holds the activations. */
export const MAX_BATCH_SIZE = 4096
/** Most parallel CPU workers a study may ask for (each is a process with its own memory). */
export const MAX_CPU_SLOTS = 64
const batchSize = positiveInt.max(MAX_BATCH_SIZE)

/** An encoder label `<pretext>/<pretraining dataset name>`, e.g. `rotation/demo-mammo`. */
export const encoderLabel = z
  .string()
  .regex(/^(rotation|inpainting|structure)\/[^/\s]+$/, 'an encoder is written "<pretext>/<dataset name>", e.g. "rotation/demo-mammo"')

/** The engine's own default for `checkpoint_every_s` (engine/xlab/jobs.py): the planner leaves it out
 *  of the spec at this value, so the run ids of studies planned before the field existed stay. */
export const DEFAULT_CHECKPOINT_SECONDS = 60
/** Name of an imported reference encoder (`xlab encoders import FILE --name NAME`). */
export const REFERENCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const referenceName = z.string().regex(REFERENCE_NAME, 'a reference encoder name has letters, digits, ".", "_", "-" (at most 64), e.g. "imagenet"')
/** Prefix of a reference encoder's label (`ref:imagenet`), in fusion sets and run encoders. */
export const REFERENCE_PREFIX = 'ref:'
/** The label of a reference encoder. */
export const referenceLabel = (name: string) => `${REFERENCE_PREFIX}${name}`
/** The reference encoder name a label names, or null for other labels. */
export const referenceNameOf = (label: string): string | null => (label.startsWith(REFERENCE_PREFIX) ? label.slice(REFERENCE_PREFIX.length) : null)
/** A member of a fusion set: a pretext encoder or a reference encoder `ref:<name>`. */
export const fusionMember = z
  .string()
  .regex(/^((rotation|inpainting|structure)\/[^/\s]+|ref:[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/, 'a fusion member is written "<pretext>/<dataset name>" (e.g. "rotation/demo-mammo") or "ref:<reference encoder name>" (e.g. "ref:imagenet")')

/** The linear probe's default C grid: 10^-4 .. 10^2 in half decades (engine/xlab/downstream/lbfgs.py DEFAULT_C_GRID). */
export const LINEAR_C_GRID = Array.from({ length: 13 }, (_, i) => Number((10 ** ((i - 8) / 2)).toPrecision(6)))

/** Label fractions: each in (0, 1], distinct; 1 (all labels) is always planned. */
const labelFractions = z
  .array(z.number().positive().max(1))
  .min(1)
  .default([1])
  .transform((fs) => [...new Set([...fs, 1])].sort((a, b) => a - b))

export const pretextStageSchema = z.object({
  /** The pretext budget: optimiser steps of every pretext run, the same for every (task, dataset,
   *  seed) cell. Epochs follow from each dataset's size and are recorded in the run's summary. */
  steps: positiveInt,
  /** Network inputs per step, the same for every task (rotation in all4 mode rotates batch/4 images four ways). */
  batchSize,
  optimizer,
  lr: learningRate,
  weightDecay,
  schedule,
  /** Linear warm-up length in steps. */
  warmupSteps: z.number().int().min(0).max(1e9).default(0),
  /** Validation (and best.pth) every this many steps; absent = four times per run. */
  valEverySteps: positiveInt.optional(),
  /** Caps the train split (a seeded subset); absent = all of it. */
  maxTrainImages: positiveInt.optional(),
  /** Inside a validation round, last.pth only every this many steps (a grid the time limit below applies to). */
  checkpointEverySteps: positiveInt.default(50),
  /** At most one last.pth (the resumable state) per this many seconds; 0 = at every grid step and round end. */
  checkpointEverySeconds: z.number().min(0).max(86_400).default(DEFAULT_CHECKPOINT_SECONDS),
  /** Fractions of `steps` at which every pretext cell (not the supervised reference) saves its
   *  encoder (engine/xlab/snapshots.py), e.g. [0.25, 0.5, 1.0]; probed with `downstream.snapshotProbes`. */
  snapshots: distinct(z.number().positive().max(1), 'pretext.snapshots')
    .default([])
    .transform((fs) => [...fs].sort((a, b) => a - b)),
})

export const downstreamStageSchema = z.object({
  epochs: positiveInt,
  batchSize,
  optimizer,
  lrHead: learningRate,
  /** Encoder learning rate for finetune and fused finetune (smaller than the head's). */
  lrEncoder: learningRate,
  /** Learning rate of the whole network for the scratch baseline. */
  lrScratch: learningRate,
  weightDecay,
  schedule,
  imbalance: z.enum(['weighted_loss', 'balanced_sampler', 'none']),
  /** How a finetune run's head starts: `linear_probe` trains it on frozen features first (LP-FT, with
   *  BatchNorm re-estimated on the downstream images), `random` is plain fine-tuning (random head,
   *  everything trained jointly: the protocol the study describes). */
  finetuneHeadInit: z.enum(['linear_probe', 'random']).default('linear_probe'),
  /** BatchNorm statistics of linear probes (single and fused): `pretext` keeps the pretraining ones,
   *  `adabn` re-estimates them on the downstream train images first, as LP-FT does. */
  linearBatchNorm: z.enum(['pretext', 'adabn']).default('pretext'),
  /** Input normalisation of every encoder: `downstream` (the downstream set's mean/std) or
   *  `pretraining` (each member's own, per member in fusion); see engine/xlab/downstream/normalise.py. */
  normalisation: z.enum(['downstream', 'pretraining']).default('downstream'),
  /** Caps the steps of each finetune/scratch epoch. */
  maxStepsPerEpoch: positiveInt.optional(),
  /** Caps the train split (a seeded, stratified subset). */
  maxTrainImages: positiveInt.optional(),
  /** kNN on frozen features (protocol `knn`): cosine similarity, temperature-weighted votes (DINO). */
  knn: z
    .object({
      /** Neighbours that vote. */
      k: positiveInt.default(20),
      /** Vote weight exp(similarity / temperature); from 0.001 (float32 keeps it non-zero) to 100. */
      temperature: z.number().min(0.001).max(100).default(0.07),
    })
    .default({ k: 20, temperature: 0.07 }),
  /** Fractions of the train labels (drawn by patient, stratified, nested); 1 is always included. */
  labelFractions,
  /** Single-encoder protocols that run the fractions below 1; absent = every one in `protocols`. */
  labelFractionProtocols: distinct(z.enum(PROTOCOLS), 'labelFractionProtocols').optional(),
  /** Targets the finetune protocol (and fine-tuned fusion) runs on; absent = every one in `targets`. */
  finetuneTargets: distinct(z.enum(TARGETS), 'finetuneTargets', 1).optional(),
  /** The linear probe of every encoder (single, fused, random-init, supervised reference and the
   *  head a finetune run starts from): `lbfgs` fits an L2-regularised logistic / softmax regression
   *  on standardised frozen features to convergence for every C of `cGrid` and keeps the best on
   *  validation (engine/xlab/downstream/lbfgs.py); its budget is a tolerance, not `epochs`. `sgd` is
   *  the earlier head: epochs x 50 full-batch steps of `optimizer` at lrHead (and linearHeadSweep). */
  linearProbe: z
    .object({
      solver: z.enum(['lbfgs', 'sgd']).default('lbfgs'),
      /** Inverse L2 strengths C tried (scikit-learn's C), in any order; the best on validation is kept. */
      cGrid: z.array(z.number().positive()).min(1).default(LINEAR_C_GRID),
      /** L-BFGS iterations at most per C. */
      maxIter: positiveInt.default(1000),
      /** Converged when the largest gradient entry of the sample-mean objective is at most this. */
      tol: z.number().positive().default(1e-6),
    })
    .default({ solver: 'lbfgs', cGrid: LINEAR_C_GRID, maxIter: 1000, tol: 1e-6 }),
  /** A linear probe (the `linearProbe` protocol) of every encoder snapshot of `pretext.snapshots` on
   *  every target, for the study's first seed: downstream AUC against pretext steps per cell. */
  snapshotProbes: z.boolean().default(false),
  /** A grid of head learning rates x weight decays per linear probe, chosen on validation; null = the single lrHead/weightDecay. */
  linearHeadSweep: z
    .object({
      /** Head learning rates tried. */
      lrs: distinct(learningRate, 'linearHeadSweep.lrs', 1),
      /** Weight decays tried. */
      weightDecays: distinct(weightDecay, 'linearHeadSweep.weightDecays', 1),
    })
    .nullable()
    .default(null),
})

export const deviceSchema = z.object({
  /** Where jobs run: `auto` takes a GPU when one is visible. */
  policy: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** Parallel jobs when no GPU is visible (each one is a separate worker process). */
  cpuSlots: positiveInt.max(MAX_CPU_SLOTS).default(1),
  /** torch threads per job (passed as job field `threads`); 0 lets torch decide. */
  threadsPerJob: z.number().int().min(0).max(1024).default(0),
  /** How many times a failed run is tried in total before it stays failed. */
  maxAttempts: positiveInt.max(100).default(2),
  /** Where the study's jobs run: worker processes on this machine, or one `sbatch` job per run. */
  executor: z.enum(['local', 'slurm']).default('local'),
  /** Slurm job settings, used when `executor` is `slurm` (absent: all defaults). */
  slurm: z
    .object({
      /** `--partition`; absent = the cluster's default partition. */
      partition: z.string().regex(/^[\w.,-]+$/, 'a partition name has letters, digits, "_", "-", "." (several: comma-separated)').optional(),
      /** `--account` to charge. */
      account: z.string().regex(/^[\w.-]+$/, 'an account name has letters, digits, "_", "-", "."').optional(),
      /** `--qos`. */
      qos: z.string().regex(/^[\w.-]+$/, 'a QoS name has letters, digits, "_", "-", "."').optional(),
      /** `--time` per job in minutes; a job stopped at its limit is resubmitted and resumes from last.pth. */
      timeMinutes: positiveInt.default(240),
      /** `--cpus-per-task` (also the job's data-loading threads budget). */
      cpusPerTask: positiveInt.default(4),
      /** `--mem` per job in GB. */
      memGb: z.number().positive().default(16),
      /** GPUs per job (`--gres=gpu[:type]:N`); 0 runs on the node's CPUs. */
      gpus: z.number().int().min(0).default(1),
      /** GPU type in the gres request (`a100` -> `--gres=gpu:a100:1`). */
      gpuType: z.string().regex(/^[\w.-]+$/, 'a GPU type has letters, digits, "_", "-", "."').optional(),
      /** Seconds before the time limit at which Slurm sends USR2 so the worker checkpoints (`--signal=B:USR2@N`). */
      signalBeforeLimitS: z.number().int().min(10).default(120),
      /** Resubmissions after a time limit, preemption or node failure before the attempt counts as failed. */
      maxResubmits: z.number().int().min(0).default(10),
      /** Jobs of the lab in Slurm (pending or running) at once. */
      maxJobs: positiveInt.default(50),
      /** The engine's Python on the compute nodes (absent: the lab's own, which must then be on shared storage). */
      python: z.string().min(1).optional(),
      /** Shell lines run before the worker, e.g. `module load cuda/12.1`. */
      setup: z.array(z.string()).default([]),
      /** Further `#SBATCH` options, e.g. `--constraint=a100`. */
      extraArgs: z.array(z.string().regex(/^--?[a-zA-Z][^\n\r]*$/, 'an extra sbatch option is one line and starts with "-" or "--", e.g. "--constraint=a100"')).default([]),
    })
    .optional(),
})

/** The `device.slurm` block with its defaults filled in. */
export type SlurmSettings = NonNullable<z.infer<typeof deviceSchema>['slurm']>

export const studyConfigSchema = z
  .object({
    /** Which preset the config started from (informational). */
    preset: z.string().optional(),
    pretextTasks: distinct(z.enum(PRETEXT_TASKS), 'pretextTasks', 1),
    /** Pretraining dataset names (datasets.name). */
    pretrainDatasets: distinct(z.string().min(1), 'pretrainDatasets', 1),
    /** Cells of the pretext x pretraining-dataset matrix left out (`<pretext>/<dataset>`): their
     *  pretext, extract, downstream and probe runs are not planned. Default: the full matrix. */
    skipCells: distinct(encoderLabel, 'skipCells').default([]),
    /** The downstream dataset name (a ChestX-ray14-layout import). */
    downstreamDataset: z.string().min(1),
    targets: distinct(z.enum(TARGETS), 'targets', 1),
    protocols: distinct(z.enum(PROTOCOLS), 'protocols', 1),
    fusion: z
      .object({
        /** Each set lists 2 or 3 encoder labels trained with the same seed. */
        sets: z.array(z.array(fusionMember).min(2).max(3)).default([]),
        modes: distinct(z.enum(FUSION_MODES), 'fusion.modes').default(['linear', 'finetune']),
      })
      .default({ sets: [], modes: ['linear', 'finetune'] }),
    seeds: z.array(z.number().int().min(0).max(MAX_SEED)).min(1),
    imageSize: z.number().int().min(16).max(1024),
    pretext: pretextStageSchema,
    downstream: downstreamStageSchema,
    probes: z
      .object({
        invariance: z.boolean().default(true),
        similarity: z.boolean().default(true),
        nImages: positiveInt.max(100_000).default(64),
      })
      .default({ invariance: true, similarity: true, nImages: 64 }),
    /** Baselines below the pretext encoders. */
    baselines: z
      .object({
        /** A frozen random-init ResNet-18 per seed through the frozen-feature protocols (linear, knn). */
        randomInit: z.boolean().default(true),
        /** The supervised reference (cross-entropy on a pretraining set's own labels, same network and
         *  pretext budget): true = every pretraining dataset with at least two classes, a list = those
         *  datasets (each must be a pretraining dataset with two or more classes), false = none. */
        supervised: z.union([z.boolean(), z.array(z.string().min(1))]).default(true),
      })
      .default({ randomInit: true, supervised: true }),
    /** Imported reference encoders (`xlab encoders list`) used like pretext encoders in every protocol. */
    referenceEncoders: z.array(referenceName).default([]),
    device: deviceSchema.default({ policy: 'auto', cpuSlots: 1, threadsPerJob: 0, maxAttempts: 2, executor: 'local' }),
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
        const ref = referenceNameOf(label)
        if (ref !== null) {
          if (!cfg.referenceEncoders.includes(ref)) ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion encoder "${label}" is not one of this study's referenceEncoders: add "${ref}" to referenceEncoders (import it first: xlab encoders import FILE --name ${ref}) or remove it` })
          continue
        }
        const [task, ds] = label.split('/') as [PretextTask, string]
        if (!inMatrix(label)) {
          ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion encoder "${label}" is not trained by this study: add "${task}" to pretextTasks and "${ds}" to pretrainDatasets, or remove it` })
        } else if (skipped.has(label)) {
          ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion encoder "${label}" is a skipped cell: train it (remove it from skipCells) or drop this fusion set` })
        }
      }
    }
    const setKeys = cfg.fusion.sets.map((s) => [...s].sort().join('+'))
    for (const [i, key] of setKeys.entries()) {
      if (setKeys.indexOf(key) !== i) ctx.addIssue({ code: 'custom', path: ['fusion', 'sets', i], message: `fusion set ${cfg.fusion.sets[i]!.join(' + ')} is listed twice (in some order); each set may appear once` })
    }
    if (new Set(cfg.referenceEncoders).size !== cfg.referenceEncoders.length) ctx.addIssue({ code: 'custom', path: ['referenceEncoders'], message: 'referenceEncoders names the same encoder twice' })
    for (const [i, p] of (cfg.downstream.labelFractionProtocols ?? []).entries()) {
      if (!cfg.protocols.includes(p)) ctx.addIssue({ code: 'custom', path: ['downstream', 'labelFractionProtocols', i], message: `protocol "${p}" runs label fractions but is not in protocols (${cfg.protocols.join(', ')}): add it there or remove it here` })
    }
    for (const [i, t] of (cfg.downstream.finetuneTargets ?? []).entries()) {
      if (!cfg.targets.includes(t)) ctx.addIssue({ code: 'custom', path: ['downstream', 'finetuneTargets', i], message: `finetune target "${t}" is not in targets (${cfg.targets.join(', ')}): add it there or remove it here` })
    }
    if (cfg.downstream.labelFractions.length > 1 && cfg.downstream.labelFractionProtocols?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['downstream', 'labelFractionProtocols'], message: 'labelFractions below 1 are given but no protocol runs them: name at least one protocol, or leave labelFractionProtocols out (all of them)' })
    }
    if (cfg.downstream.linearHeadSweep && cfg.downstream.linearProbe.solver !== 'sgd') {
      ctx.addIssue({ code: 'custom', path: ['downstream', 'linearHeadSweep'], message: 'linearHeadSweep sweeps the SGD head; the linear probe solver is lbfgs, which sweeps linearProbe.cGrid instead: set linearProbe.solver to "sgd" or set linearHeadSweep to null' })
    }
    if (Array.isArray(cfg.baselines.supervised)) {
      for (const [i, ds] of cfg.baselines.supervised.entries()) {
        if (!cfg.pretrainDatasets.includes(ds)) ctx.addIssue({ code: 'custom', path: ['baselines', 'supervised', i], message: `supervised reference dataset "${ds}" is not one of pretrainDatasets (${cfg.pretrainDatasets.join(', ')}): add it there or remove it here` })
      }
    }
    if (cfg.downstream.snapshotProbes && !cfg.pretext.snapshots.length) {
      ctx.addIssue({ code: 'custom', path: ['downstream', 'snapshotProbes'], message: 'snapshotProbes probes the encoder snapshots of pretext.snapshots, which is empty: list fractions of the budget there (e.g. [0.25, 0.5, 1]) or turn snapshotProbes off' })
    }
    const stepOf = new Map<number, number>()
    for (const [i, f] of cfg.pretext.snapshots.entries()) {
      const step = snapshotStep(f, cfg.pretext.steps)
      if (stepOf.has(step)) ctx.addIssue({ code: 'custom', path: ['pretext', 'snapshots', i], message: `snapshots ${stepOf.get(step)} and ${f} both fall on step ${step} of ${cfg.pretext.steps}; list each snapshot once or raise pretext.steps` })
      stepOf.set(step, f)
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

/** The protocols that run the label fractions below 1 (single-encoder runs only). */
export function fractionProtocols(cfg: Pick<StudyConfig, 'protocols' | 'downstream'>): Protocol[] {
  return cfg.downstream.labelFractionProtocols ?? [...cfg.protocols]
}

/** Whether `protocol` (a single-encoder protocol or a fusion mode) runs on `target`: fine-tuning only
 *  on `downstream.finetuneTargets` when given. */
export function runsOnTarget(cfg: Pick<StudyConfig, 'downstream'>, protocol: string, target: Target): boolean {
  return protocol !== 'finetune' || !cfg.downstream.finetuneTargets || cfg.downstream.finetuneTargets.includes(target)
}

/** A study config after defaults. */
export type StudyConfig = z.output<typeof studyConfigSchema>
/** A study config as written by a person (defaults optional). */
export type StudyConfigInput = z.input<typeof studyConfigSchema>

/** Parses a config and turns zod issues into one sentence a person can act on. */
export function parseStudyConfig(raw: unknown): StudyConfig {
  const depth = nestingDepth(raw, MAX_CONFIG_DEPTH)
  if (depth > MAX_CONFIG_DEPTH) {
    throw Object.assign(new Error(`The study config is not valid (it is nested more than ${MAX_CONFIG_DEPTH} levels deep; a study config has at most 4). Start from a preset (xlab study create --preset demo).`), { code: 'BAD_REQUEST' })
  }
  // zod drops keys it does not know; a misspelt one would silently plan runs without that setting.
  const unknown = unknownConfigKeys(raw, studyConfigSchema).map((k) => `${k.path}: unknown field${k.nearest ? ` (did you mean ${k.nearest}?)` : `; valid here: ${k.valid.join(', ')}`}`)
  const r = studyConfigSchema.safeParse(raw)
  if (r.success && !unknown.length) return r.data
  const issues = [...unknown, ...(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`))].join('; ')
  throw Object.assign(new Error(`The study config is not valid (${issues}). Fix these fields or start from a preset (xlab study create --preset demo).`), { code: 'BAD_REQUEST' })
}

/** How deeply objects and arrays nest in `value`, counted without recursion and only up to `limit + 1`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    deepest = Math.max(deepest, d + 1)
    if (deepest > limit) return deepest
    for (const child of Object.values(v)) stack.push([child, d + 1])
  }
  return deepest
}
