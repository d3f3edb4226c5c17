// The engine protocol (docs/architecture.md "Engine jobs and protocol") as zod schemas: the job JSON
// the supervisor hands to `python -m xlab.worker`, and the JSON lines the worker writes on stdout.
// The engine's Python twin is engine/xlab/protocol.py (validate_message); both are checked against
// the same golden lines in tests/fixtures/protocol/, so the two sides cannot drift.
import { z } from 'zod'

/** Protocol version of every message and job. */
export const PROTOCOL_VERSION = 1

/** Exit codes of the worker process. */
export const WORKER_EXIT_CODES = { done: 0, internal: 1, badInput: 2, cancelled: 3, oom: 4, nonFinite: 5 } as const

const num = z.number()
const optNum = num.nullable().optional()
const base = { v: z.literal(PROTOCOL_VERSION), run_id: z.string().nullable().optional(), t: num.optional() }

/** `hello`: the first message of a job, once the device is known. */
export const helloMessage = z
  .object({
    ...base,
    type: z.literal('hello'),
    pid: z.number().int(),
    kind: z.string(),
    device: z.object({ type: z.string(), name: z.string().optional(), count: num.optional() }).loose(),
    versions: z.record(z.string(), z.string()),
  })
  .loose()

/** `progress`: rate-limited training/eval progress with measured images/s. */
export const progressMessage = z
  .object({
    ...base,
    type: z.literal('progress'),
    stage: z.enum(['train', 'val', 'test', 'features']),
    epoch: num,
    epochs: num,
    step: num,
    steps: num,
    loss: optNum,
    images_per_s: optNum,
    eta_s: optNum,
    /** MiB the job holds now: allocated accelerator memory, or the worker's resident set on CPU. */
    memory_mb: optNum,
  })
  .loose()

/** `metric`: one row per value into the metrics table (non-finite values arrive as null). Split
 *  `train_step` is the live training curve (engine/xlab/live.py): a throttled point every few steps. */
export const metricMessage = z
  .object({ ...base, type: z.literal('metric'), split: z.enum(['train', 'train_step', 'val', 'test']), epoch: num, step: num, values: z.record(z.string(), num.nullable()) })
  .loose()

/** `checkpoint`: last.pth or best.pth was (atomically) written. */
export const checkpointMessage = z
  .object({ ...base, type: z.literal('checkpoint'), path: z.string(), which: z.enum(['last', 'best']), epoch: num, step: num })
  .loose()

/** `artifact`: a file worth listing (images, encoders, predictions). */
export const artifactMessage = z
  .object({ ...base, type: z.literal('artifact'), path: z.string(), kind: z.enum(['image', 'encoder', 'predictions', 'report', 'json']), name: z.string() })
  .loose()

/** `log`: a line for the run's event log. */
export const logMessage = z
  .object({ ...base, type: z.literal('log'), level: z.enum(['debug', 'info', 'warning', 'error']), message: z.string() })
  .loose()

/** `done`: the job finished; the summary is also written to summary.json. */
export const doneMessage = z.object({ ...base, type: z.literal('done'), summary: z.record(z.string(), z.unknown()) }).loose()

/** Error codes and what each means for the run. */
export const errorCode = z.enum(['BAD_INPUT', 'OOM', 'NON_FINITE', 'CANCELLED', 'INTERNAL'])

/** `error`: the job stopped; `message` is a sentence a person can act on. */
export const errorMessage = z.object({ ...base, type: z.literal('error'), code: errorCode, message: z.string() }).loose()

/** `ready`: a serving worker (`--serve`) waits for its next job; `jobs` it has finished so far. */
export const readyMessage = z.object({ ...base, type: z.literal('ready'), pid: z.number().int(), jobs: z.number().int().nonnegative() }).loose()

/**
 * stderr lines of a serving worker that bound one job's lines (engine/xlab/protocol.py): each is
 * followed by a space and the job file path. Not written to any log.
 */
export const JOB_START_MARK = '\u001exlab-job-start'
export const JOB_END_MARK = '\u001exlab-job-end'

/** Any worker stdout line. */
export const workerMessage = z.discriminatedUnion('type', [
  helloMessage,
  progressMessage,
  metricMessage,
  checkpointMessage,
  artifactMessage,
  logMessage,
  doneMessage,
  errorMessage,
  readyMessage,
])

export type WorkerMessage = z.output<typeof workerMessage>
export type WorkerErrorCode = z.output<typeof errorCode>

/** The job file (params are kind-specific; engine/xlab/jobs.py documents each field). */
export const engineJob = z.object({
  /** Job format version. */
  v: z.literal(PROTOCOL_VERSION),
  /** Job kind. */
  kind: z.enum(['pretext', 'extract', 'downstream', 'probe', 'bench']),
  /** Run id. */
  run_id: z.string().min(1),
  /** Absolute run folder. */
  run_dir: z.string().regex(/^(\/|[A-Za-z]:[\\/])/, 'run_dir must be absolute'),
  /** Seed. */
  seed: z.number().int().nonnegative().default(0),
  /** auto / cpu / cuda / cuda:N / mps. */
  device: z.string().default('auto'),
  /** Deterministic algorithms, exact resume. */
  deterministic: z.boolean().default(false),
  /** torch threads, 0 = default. */
  threads: z.number().int().nonnegative().default(0),
  /** Kind-specific params. */
  params: z.record(z.string(), z.unknown()),
})

export type EngineJobInput = z.input<typeof engineJob>

/** Parses one stdout line: the message, or a sentence saying what is wrong with it. */
export function parseWorkerLine(line: string): { ok: true; message: WorkerMessage } | { ok: false; problem: string } {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return { ok: false, problem: `not JSON: ${JSON.stringify(line.slice(0, 120))}` }
  }
  const r = workerMessage.safeParse(raw)
  if (r.success) return { ok: true, message: r.data }
  const issues = r.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')
  return { ok: false, problem: `${issues} in ${JSON.stringify(line.slice(0, 120))}` }
}
