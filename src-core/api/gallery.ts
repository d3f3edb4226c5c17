// The cases behind the numbers: one downstream run's test images with their true and predicted
// class (the error gallery), and two runs on the same test images side by side (the pair view).
//
// Shapes:
// - `gallery.page` -> GalleryPage: the run's test images in the chosen order (most or least
//   confident first, or cache order), filtered to errors / correct ones / one true class, one page
//   at a time with a thumbnail each; counts per class so a filter says what it leaves out.
//   Multi-label runs (`multilabel14`) are shown one finding at a time: positive / negative by the
//   finding's sigmoid at 0.5.
// - `gallery.pair` -> GalleryPair: the images run A gets right and run B wrong (or the other way
//   round), with both counts, on the test images both runs scored.
// Refused with a sentence: a run without predictions yet (NOT_READY), a run whose dataset was
// imported again since it was planned (STALE: its cache rows no longer match the predictions), two
// runs of different targets or test images (BAD_REQUEST).
import { z } from 'zod'
import { method } from './contract.ts'

/** How images are ordered: by the probability of the predicted class, or in cache order. */
export const galleryOrder = z.enum(['most-confident', 'least-confident', 'cache'])
/** Which images are shown. */
export const galleryFilter = z.enum(['all', 'errors', 'correct'])

/** One test image of one run. */
export const galleryItemSchema = z.object({
  /** Row in the dataset cache (images.npy). */
  index: z.number(),
  /** The image's id: its source path as imported (null when the store has no sample row for it). */
  imageId: z.string().nullable(),
  /** Patient id from patients.npy (null when the dataset has none). */
  patientId: z.number().nullable(),
  /** True class (index into classNames). */
  trueClass: z.number(),
  /** Predicted class (argmax; multi-label: positive when the finding's sigmoid is at least 0.5). */
  predicted: z.number(),
  /** Probability the run gave its predicted class (multi-label: of the predicted side of the finding). */
  probability: z.number(),
  /** Whether the prediction is right. */
  correct: z.boolean(),
  /** PNG data URL of the cache image (null when thumbnails were not asked for). */
  thumbnail: z.string().nullable(),
})

/** Images and errors of one true class. */
export const galleryClassCountSchema = z.object({
  /** Class name. */
  name: z.string(),
  /** Test images of this true class. */
  images: z.number(),
  /** Of them, predicted wrong. */
  errors: z.number(),
})

/** One page of a run's error gallery. */
export const galleryPageSchema = z.object({
  /** Run id. */
  runId: z.string(),
  /** Run name. */
  name: z.string(),
  /** The run's target (binary, 3class, multilabel14, ...). */
  target: z.string().nullable(),
  /** True for multi-label runs (one sigmoid per finding). */
  multilabel: z.boolean(),
  /** Multi-label: every finding name; empty otherwise. */
  findings: z.array(z.string()),
  /** Multi-label: the finding shown (index into findings); null otherwise. */
  finding: z.number().nullable(),
  /** Names of the classes items refer to (multi-label: `negative`, `positive` of the finding). */
  classNames: z.array(z.string()),
  /** Test images of the run. */
  images: z.number(),
  /** Of them, predicted wrong. */
  errors: z.number(),
  /** Per true class: images and errors. */
  perClass: z.array(galleryClassCountSchema),
  /** Images that pass the filter (what the pages walk through). */
  total: z.number(),
  /** Position of the first item among them. */
  offset: z.number(),
  /** The page. */
  items: z.array(galleryItemSchema),
  /** Things the reader should know (e.g. the dataset checksum could not be checked). */
  warnings: z.array(z.string()),
})

/** One image in the pair view: both runs' predictions. */
export const pairItemSchema = galleryItemSchema.omit({ predicted: true, probability: true, correct: true }).extend({
  /** Run A's prediction. */
  a: z.object({ predicted: z.number(), probability: z.number(), correct: z.boolean() }),
  /** Run B's prediction. */
  b: z.object({ predicted: z.number(), probability: z.number(), correct: z.boolean() }),
})

/** Two runs on the same test images. */
export const galleryPairSchema = z.object({
  /** Run A: id and name. */
  a: z.object({ runId: z.string(), name: z.string() }),
  /** Run B: id and name. */
  b: z.object({ runId: z.string(), name: z.string() }),
  /** Multi-label: the finding compared; null otherwise. */
  finding: z.number().nullable(),
  /** Multi-label: every finding name; empty otherwise. */
  findings: z.array(z.string()),
  /** Class names items refer to. */
  classNames: z.array(z.string()),
  /** Test images both runs scored. */
  shared: z.number(),
  /** Both right / only A right / only B right / both wrong. */
  counts: z.object({ bothRight: z.number(), onlyA: z.number(), onlyB: z.number(), bothWrong: z.number() }),
  /** Which images the page lists: A right and B wrong (`only-a`) or the other way round. */
  direction: z.enum(['only-a', 'only-b']),
  /** Images in that direction. */
  total: z.number(),
  /** Position of the first item. */
  offset: z.number(),
  /** The page, ordered by how confident the wrong run was (most confident first). */
  items: z.array(pairItemSchema),
  /** Things the reader should know. */
  warnings: z.array(z.string()),
})

export type GalleryItem = z.infer<typeof galleryItemSchema>
export type GalleryPage = z.infer<typeof galleryPageSchema>
export type GalleryPair = z.infer<typeof galleryPairSchema>
export type GalleryOrder = z.infer<typeof galleryOrder>
export type GalleryFilter = z.infer<typeof galleryFilter>

const paging = {
  /** First item (0-based) among the images that pass the filter. */
  offset: z.number().int().min(0).default(0),
  /** Items per page. */
  limit: z.number().int().min(1).max(200).default(48),
  /** Multi-label runs: the finding to show (index into the run's class names); default the first. */
  finding: z.number().int().min(0).optional(),
  /** Include a PNG thumbnail per item (default true). */
  thumbnails: z.boolean().default(true),
}

export const galleryApi = {
  'gallery.page': method(
    z.object({
      runId: z.string().min(1),
      order: galleryOrder.default('most-confident'),
      filter: galleryFilter.default('all'),
      /** Only images of this true class (index into classNames). */
      trueClass: z.number().int().min(0).optional(),
      ...paging,
    }),
    galleryPageSchema,
    'A page of one downstream run\'s test images with true and predicted class, probability, patient and image id; sortable by confidence, filterable to errors.',
  ),
  'gallery.pair': method(
    z.object({ runA: z.string().min(1), runB: z.string().min(1), direction: z.enum(['only-a', 'only-b']).default('only-a'), ...paging }),
    galleryPairSchema,
    'The test images one run gets right and another (same target and test images) gets wrong, both directions counted.',
  ),
} as const

export const galleryEvents = {} as const
