// Datasets: list, import (returns at once; progress as events), cancel, remove, demo generation,
// the import report, and thumbnails for the UI.
import { z } from 'zod'
import { method } from './contract.ts'

/** `damaged`: imported, but cache files are missing or cut short since (the error says which). */
const status = z.enum(['importing', 'ready', 'failed', 'cancelled', 'damaged'])
const kind = z.enum(['chestxray14', 'imagefolder', 'mammogram'])

/** A dataset as the UI and CLI see it. */
export const datasetSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind,
  source: z.string(),
  dir: z.string(),
  status,
  n: z.number(),
  height: z.number(),
  width: z.number(),
  channels: z.number(),
  labelNames: z.array(z.string()),
  multiLabel: z.boolean(),
  splits: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  createdAt: z.string(),
})

const splitCounts = z.object({ train: z.number(), val: z.number(), test: z.number(), total: z.number() })

/** The stored import report. */
export const reportSchema = z.object({
  considered: z.number(),
  imported: z.number(),
  skippedCount: z.number(),
  splits: splitCounts,
  perLabel: z.record(z.string(), splitCounts),
  targets: z.record(z.string(), z.record(z.string(), splitCounts)).nullable(),
  patients: splitCounts.nullable(),
  skipped: z.array(z.object({ file: z.string(), reason: z.string(), message: z.string() })),
  skippedByReason: z.record(z.string(), z.number()),
  warnings: z.array(z.string()),
  splitSource: z.string(),
  resize: z.object({ policy: z.string(), size: z.number(), channels: z.number(), lateralityFlip: z.boolean() }),
  seconds: z.number(),
  resumed: z.boolean(),
  /** Rows per window source (how each image went to 8 bits) and per DICOM transfer syntax UID. */
  decoding: z.object({ windows: z.record(z.string(), z.number()), transferSyntaxes: z.record(z.string(), z.number()) }).optional(),
})

const columnChoice = z.object({ file: z.string().optional(), label: z.string().optional(), patient: z.string().optional() })
const nullableColumn = z.string().nullable()

/** The label table an import would read: columns, first rows and the columns it would use. */
export const tablePreviewSchema = z.object({
  table: z.string().nullable(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string())),
  guess: z.object({ file: nullableColumn, label: nullableColumn, patient: nullableColumn }),
  required: z.array(z.enum(['file', 'label', 'patient'])),
  note: z.string().nullable(),
})

const fractions = z.object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) })
const idInput = z.object({ id: z.string().min(1) })

export const datasetsApi = {
  'datasets.list': method(z.object({}), z.array(datasetSchema), 'Every dataset with its status.'),
  'datasets.get': method(idInput, datasetSchema, 'One dataset by id or name.'),
  'datasets.import': method(
    z.object({
      kind,
      path: z.string().min(1),
      name: z.string().min(1).max(80).regex(/^[\w.-]+$/, 'use letters, digits, ".", "-" and "_"').optional(),
      size: z.number().int().min(8).max(2048).optional(),
      color: z.enum(['grey', 'rgb', 'auto']).optional(),
      split: fractions.optional(),
      seed: z.number().int().optional(),
      /** Mirror mammograms to face left (default false: as acquired; recorded, and pretext tasks then mirror at random). */
      lateralityFlip: z.boolean().optional(),
      /** Overrides the kind's resize policy; images are never stretched. */
      policy: z.enum(['shorter-side-center-crop', 'pad-square', 'crop-foreground']).optional(),
      /** Decodes in flight (default 2 per core); lower it to leave cores free. */
      concurrency: z.number().int().min(1).max(64).optional(),
      /** Columns of the label table to use (header names as written); unnamed ones are recognised by name. */
      columns: columnChoice.optional(),
    }),
    z.object({ id: z.string(), name: z.string() }),
    'Starts importing a folder (bad input is refused at once); returns the dataset id, progress comes as onImportProgress.',
  ),
  'datasets.previewTable': method(
    z.object({ kind, path: z.string().min(1) }),
    tablePreviewSchema,
    "The label table an import of this folder would read: its columns, first rows and the columns used unless others are chosen.",
  ),
  'datasets.cancelImport': method(idInput, z.object({ cancelled: z.boolean() }), 'Stops a running import; running it again resumes it.'),
  'datasets.remove': method(idInput, z.object({ removed: z.string() }), 'Deletes a dataset and its cache.'),
  'datasets.generateDemo': method(
    z.object({ size: z.number().int().min(16).max(512).optional(), scale: z.enum(['small', 'default']).optional() }),
    z.object({ datasets: z.array(z.object({ id: z.string(), name: z.string() })) }),
    'Generates the four demo datasets (sources under <data>/sources) and imports them; existing ready ones are kept.',
  ),
  'datasets.report': method(idInput, reportSchema, 'The import report: counts per label and split, skipped files with reasons.'),
  'datasets.thumbnails': method(
    z.object({ id: z.string().min(1), perLabel: z.number().int().min(1).max(64), label: z.string().optional() }),
    z.array(z.object({ label: z.string(), index: z.number(), split: z.string(), dataUrl: z.string() })),
    'PNG data URLs of the first N cache images per label (or of one label).',
  ),
}

export const datasetsEvents = {
  onImportProgress: z.object({
    datasetId: z.string(),
    name: z.string(),
    /** `generating` (demo sources; datasetId is then `sources/<name>`), then decoding, finishing and an end state. */
    phase: z.enum(['generating', 'planning', 'decoding', 'finishing', 'done', 'failed', 'cancelled']),
    done: z.number(),
    total: z.number(),
    imagesPerSec: z.number(),
    etaS: z.number(),
  }),
  onDatasetsChanged: z.object({}),
}
