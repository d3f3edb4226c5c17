// Studies: presets, planning (no side effects), creation and the study-level queue controls.
import { z } from 'zod'
import { method } from './contract.ts'
import { runFactorsShape, runStageSchema as stage, runStateSchema as runState } from './runs.ts'


/** One planned run as `studies.plan` shows it. */
export const plannedRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  stage,
  deps: z.array(z.string()),
  /** State of an existing run with the same spec (it will be reused), or null for new work. */
  existing: runState.nullable(),
  /** The engine params of the run's job (references to datasets and encoders not yet resolved):
   *  a pretext run's `steps` and `batch_size` are the study's budget. */
  params: z.record(z.string(), z.unknown()).optional(),
  ...runFactorsShape,
})

export const planSchema = z.object({
  runs: z.array(plannedRunSchema),
  counts: z.record(stage, z.number()),
  /** Runs that already exist done (reused, not trained again). */
  reused: z.number(),
  /** Work left, from the throughput measured on the device that will run it (null seconds: not measured there yet; basis says why). */
  estimate: z.object({ measured: z.boolean(), device: z.string(), basis: z.string(), totalSeconds: z.number().nullable(), wallSeconds: z.number().nullable(), slots: z.number(), secondsByStage: z.record(z.string(), z.number()) }),
  /** What the planner left out and why, and which ROC-AUC difference the seeds and test set can detect. */
  notes: z.array(z.string()).default([]),
})

export const studySchema = z.object({
  id: z.string(),
  name: z.string(),
  config: z.unknown(),
  createdAt: z.string(),
  state: z.enum(['draft', 'running', 'paused', 'done', 'failed', 'cancelled']),
  /** Run counts per state. */
  counts: z.record(runState, z.number()),
})

const idInput = z.object({ id: z.string().min(1) })

export const studiesApi = {
  'studies.presets': method(z.object({}), z.array(z.object({ name: z.string(), config: z.unknown() })), 'The built-in study configs (demo, paper).'),
  'studies.plan': method(
    z.object({ config: z.unknown() }),
    planSchema,
    'Expands a study config into runs with dependencies, counts and a work estimate; changes nothing.',
  ),
  'studies.create': method(
    z.object({ name: z.string().min(1).max(80), config: z.unknown() }),
    studySchema.extend({ created: z.number(), reused: z.number() }),
    'Creates (or re-plans, if the name exists and is not running) a study and queues its new runs.',
  ),
  'studies.list': method(z.object({}), z.array(studySchema), 'All studies with run counts.'),
  'studies.get': method(idInput, studySchema, 'One study by id or name.'),
  'studies.start': method(idInput, studySchema, 'Starts running a study on free device slots.'),
  'studies.pause': method(idInput, studySchema, 'Stops starting new runs and checkpoints the running ones; resume continues.'),
  'studies.resume': method(idInput, studySchema, 'Re-queues paused, cancelled, interrupted and failed runs and starts the study.'),
  'studies.cancel': method(idInput, studySchema, 'Cancels every unfinished run of a study.'),
  'studies.export': method(
    z.object({ id: z.string().min(1), file: z.string().min(1), weights: z.boolean().optional() }),
    z.object({ file: z.string(), runs: z.number(), files: z.number(), bytes: z.number() }),
    'Writes a study to one file (config, runs, metrics, predictions, dataset checksums, the engine lock; encoders and weights with `weights`).',
  ),
  'studies.import': method(
    z.object({ file: z.string().min(1), name: z.string().min(1).max(80).optional() }),
    z.object({ id: z.string(), name: z.string(), created: z.number(), reused: z.number(), files: z.number(), datasetNotes: z.array(z.string()) }),
    'Imports a study export file into this data root (under its own name, or `name`).',
  ),
  'studies.measure': method(
    z.object({ config: z.unknown() }),
    z.object({
      /** Device key the rates belong to. */
      device: z.string(),
      imageSize: z.number(),
      batchSize: z.number(),
      trainImagesPerS: z.number(),
      evalImagesPerS: z.number(),
      /** Seconds a fresh worker process needed before its first step. */
      startupS: z.number(),
      measuredAt: z.string(),
      /** Kinds of work whose fixed seconds a real run of each timed (work_costs). */
      calibrated: z.number(),
    }),
    "Measures a ResNet-18's training and evaluation images/s at the config's image size and pretext batch on the device its jobs run on, and stores them for the estimates.",
  ),
  'studies.eta': method(
    idInput,
    z.object({
      /** Whether throughput is measured on the study's device. */
      measured: z.boolean(),
      /** What the figure rests on, or what is missing. */
      basis: z.string(),
      /** Seconds until every unfinished run is done: the schedule of the queued runs over the slots, behind the running ones; null when not measured. */
      etaS: z.number().nullable(),
      /** Slots the schedule uses. */
      slots: z.number(),
      /** Remaining seconds of each running run, from its own measured rate (null before its first progress). */
      running: z.array(z.object({ runId: z.string(), remainingS: z.number().nullable() })),
    }),
    "A study's remaining time from measured rates: queued runs scheduled over its slots (dependencies respected) behind its running runs.",
  ),
} as const

export const studiesEvents = {
  /** A study changed state. */
  onStudyState: z.object({ studyId: z.string(), state: studySchema.shape.state }),
} as const
