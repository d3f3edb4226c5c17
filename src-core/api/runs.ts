// Runs: listing, logs, metrics, artifacts, and per-run queue controls; pushed progress events.
import { z } from 'zod'
import { method } from './contract.ts'

export const runStateSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted', 'paused'])
export const runStageSchema = z.enum(['pretext', 'extract', 'downstream', 'probe'])

/** The factors of the study design a run stands for; shared by planned runs, runs and result rows. */
export const runFactorsShape = {
  /** Pretext task of a single-encoder run (null: scratch or fusion). */
  pretext: z.string().nullable(),
  /** Pretraining dataset name of a single-encoder run. */
  pretrainDataset: z.string().nullable(),
  /** Seed. */
  seed: z.number(),
  /** binary / 3class (downstream and probes). */
  target: z.string().nullable(),
  /** linear / finetune / scratch (fusion runs carry their mode here too). */
  protocol: z.string().nullable(),
  /** linear / finetune for fusion runs, else null. */
  fusionMode: z.string().nullable(),
  /** Encoder labels such as `rotation/demo-mammo` (null where no encoder is involved). */
  encoders: z.array(z.string()).nullable(),
}

/** Where a run that went to Slurm is on the cluster (from `runs/<id>/slurm.json`). */
export const clusterJobSchema = z.object({
  /** Always `slurm` for now. */
  executor: z.literal('slurm'),
  /** The current (latest) Slurm job id. */
  jobId: z.string(),
  /** Its Slurm state as last seen (`PENDING`, `RUNNING`, `COMPLETED`, `TIMEOUT`, ...). */
  state: z.string(),
  /** Pending or end reason as Slurm gives it (`Priority`, `Resources`, `TimeLimit`), or null. */
  reason: z.string().nullable(),
  /** The reason in words, or null. */
  reasonText: z.string().nullable(),
  /** Node it runs or ran on. */
  node: z.string().nullable(),
  /** How many times it was submitted (more than one after time limits, preemption or interruptions). */
  submissions: z.number(),
  /** Seconds from submission to the worker's first message of the latest job. */
  firstMessageS: z.number().nullable(),
  /** The sbatch script in the run folder. */
  script: z.string(),
})

export const runSchema = z.object({
  id: z.string(),
  studyId: z.string(),
  name: z.string(),
  stage: runStageSchema,
  state: runStateSchema,
  reason: z.string().nullable(),
  attempts: z.number(),
  ...runFactorsShape,
  runDir: z.string(),
  summary: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  progress: z.record(z.string(), z.unknown()).nullable(),
  /** Ids of the runs it waits for. */
  deps: z.array(z.string()),
  /** A done pretext run whose weights were reclaimed (storage pretext-weights): runs.retry trains it again. */
  weightsReclaimed: z.boolean().optional(),
  /** The job spec with path placeholders. */
  spec: z.unknown(),
  /** Its Slurm job, where the run went to a cluster (runs.get only). */
  cluster: clusterJobSchema.nullable().optional(),
})

const idInput = z.object({ id: z.string().min(1) })

export const runsApi = {
  'runs.list': method(z.object({ studyId: z.string().optional(), state: runStateSchema.optional() }), z.array(runSchema.omit({ spec: true })), 'Runs of a study or all runs, optionally in one state.'),
  'runs.get': method(idInput, runSchema, 'One run by id or name.'),
  'runs.logs': method(z.object({ id: z.string().min(1), tail: z.number().int().positive().max(100_000).optional() }), z.object({ lines: z.array(z.string()), file: z.string(), events: z.array(z.object({ t: z.string(), level: z.string(), message: z.string() })) }), 'The last lines of the run\'s worker.log (stderr) and of its event log (protocol log lines, exits).'),
  'runs.metrics': method(idInput, z.array(z.object({ split: z.string(), epoch: z.number(), step: z.number(), name: z.string(), value: z.number() })), 'Every metric the worker reported.'),
  'runs.cancel': method(idInput, runSchema, 'Cancels a queued or running run (SIGTERM, then SIGKILL after a grace period).'),
  'runs.retry': method(idInput, runSchema, 'Re-queues a failed or cancelled run (and the runs that waited for it); also a done pretext run whose weights were reclaimed, which trains again from step 0 (with the extractions that failed for want of its weights).'),
  'runs.resume': method(idInput, runSchema, 'Re-queues a paused or interrupted run; it continues from its last checkpoint.'),
  'runs.artifacts': method(idInput, z.array(z.object({ kind: z.string(), name: z.string(), path: z.string(), createdAt: z.string() })), 'Files the run produced.'),
  'runs.artifactImage': method(z.object({ id: z.string().min(1), name: z.string().min(1) }), z.object({ name: z.string(), dataUrl: z.string() }), 'An image artifact as a PNG data URL.'),
} as const

export const runsEvents = {
  /** A run changed state. */
  onRunState: z.object({ runId: z.string(), studyId: z.string(), state: runStateSchema, reason: z.string().optional() }),
  /** Training progress of a running run (a few per second at most). */
  onRunProgress: z.object({
    runId: z.string(),
    stage: z.string(),
    epoch: z.number(),
    epochs: z.number(),
    step: z.number(),
    steps: z.number(),
    loss: z.number().nullable(),
    imagesPerSec: z.number().nullable(),
    etaS: z.number().nullable(),
    /** MiB the job holds now (accelerator memory, or the worker's resident set on CPU); null when not reported. */
    memoryMb: z.number().nullable().optional(),
  }),
  /** A metric message of a worker. */
  onMetric: z.object({ runId: z.string(), split: z.string(), epoch: z.number(), step: z.number(), values: z.record(z.string(), z.number()) }),
} as const
