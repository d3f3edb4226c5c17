// Storage: what the run folders hold, by category, and reclaiming the space that no study needs.
import { z } from 'zod'
import { method } from './contract.ts'

/** The categories `storage.prune` can reclaim. */
export const storageCategoryIdSchema = z.enum(['finished-resumable', 'stopped-checkpoints', 'unreferenced', 'downstream-weights', 'pretext-weights'])

/** Categories that hold weights of finished runs a study uses: reclaimed only when named, never by a prune of everything. */
export const STORAGE_OPT_IN = ['downstream-weights', 'pretext-weights'] as const satisfies readonly z.infer<typeof storageCategoryIdSchema>[]

/** What `storage.prune` reclaims when no categories are named (`xlab runs prune --yes`, Reclaim all). */
export const STORAGE_DEFAULT_PRUNE = storageCategoryIdSchema.options.filter((id) => !(STORAGE_OPT_IN as readonly string[]).includes(id))

/** One run (or stray folder) in a category. */
export const storageItemSchema = z.object({
  /** Run id, or null for a folder under runs/ that no run of this lab owns. */
  runId: z.string().nullable(),
  /** Run name (the folder name for a stray folder). */
  name: z.string(),
  /** Run state, or null for a stray folder. */
  state: z.string().nullable(),
  /** The run folder. */
  dir: z.string(),
  /** Bytes that pruning this item frees. */
  bytes: z.number(),
  /** The files it deletes, relative to the folder (`*` for the whole folder). */
  files: z.array(z.string()),
})

/** What one category holds. */
export const storageCategorySchema = z.object({
  /** Category id. */
  id: storageCategoryIdSchema,
  /** Short title. */
  title: z.string(),
  /** Reclaimed only when named (weights of finished runs a study uses): never part of a prune of everything. */
  optIn: z.boolean(),
  /** What exactly it holds and what deleting it means, in a sentence. */
  holds: z.string(),
  /** Runs (or folders) in it. */
  count: z.number(),
  /** Files in it. */
  files: z.number(),
  /** Bytes in it. */
  bytes: z.number(),
  /** Its runs, largest first. */
  items: z.array(storageItemSchema),
})

/** The space the run folders take. */
export const storageUsageSchema = z.object({
  /** The runs/ folder. */
  runsDir: z.string(),
  /** Bytes of every run folder together. */
  totalBytes: z.number(),
  /** What no category holds: encoders and the other weights of finished runs studies use, and every run's logs and outputs. */
  kept: z.object({
    /** best.pth of runs a study uses that no category holds (pretext weights whose extraction is not done, or not intact). */
    weightsBytes: z.number(),
    /** Encoder files of extract runs a study uses. */
    encoderBytes: z.number(),
    /** Logs, job files, summaries, predictions, images. */
    otherBytes: z.number(),
    /** Resumable state of unfinished runs (queued, running, paused, interrupted), and of failed/cancelled ones younger than the age limit. */
    activeBytes: z.number(),
  }),
  /** The age from which failed/cancelled runs' checkpoints count as reclaimable, in days. */
  olderThanDays: z.number(),
  /** Reclaimable space by category. */
  categories: z.array(storageCategorySchema),
  /** The disk holding the data root: its free space, and a warning when that is below the threshold `xlab doctor` uses. */
  disk: z
    .object({
      /** Free bytes (null when they cannot be read). */
      freeBytes: z.number().nullable(),
      /** The threshold below which the lab warns. */
      lowBelowBytes: z.number(),
      /** A sentence when free space is low, else null. */
      warning: z.string().nullable(),
    })
    .optional(),
})

const ageInput = {
  /** Failed or cancelled runs finished at least this many days ago count (default 7). */
  olderThanDays: z.number().min(0).default(7),
}

export const storageApi = {
  'storage.usage': method(z.object(ageInput), storageUsageSchema, 'What the run folders hold, and what could be reclaimed, per category.'),
  'storage.prune': method(
    z.object({ ...ageInput, categories: z.array(storageCategoryIdSchema).min(1).optional() }),
    z.object({
      /** Per category: items and bytes removed. */
      removed: z.array(z.object({ id: storageCategoryIdSchema, count: z.number(), files: z.number(), bytes: z.number() })),
      /** Bytes removed in all. */
      bytes: z.number(),
      /** The usage after pruning. */
      usage: storageUsageSchema,
    }),
    'Deletes what the given categories hold (default: all but downstream-weights and pretext-weights, which go only when named); never encoder files, never a running run.',
  ),
} as const

export const storageEvents = {
  /** Space was reclaimed (other windows refresh their Storage view). */
  onStorageChanged: z.object({ bytes: z.number() }),
} as const
