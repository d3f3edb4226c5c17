// What an importer produces before any pixel is decoded: the ordered list of files with their
// labels, patients and fixed splits, plus everything that is already known to be skipped.
import type { ResizePolicy } from './image-decode.ts'
import type { SkipReason } from './skip-error.ts'
import type { SplitName } from './splits.ts'

/** The importers. */
export type DatasetKind = 'chestxray14' | 'imagefolder' | 'mammogram'

/** One file that will become a cache row (unless decoding fails). */
export interface PlanItem {
  /** Absolute path. */
  file: string
  /** Path relative to the source root (stored in samples.path). */
  rel: string
  /** Indices into labelNames (multi-hot). */
  labels: number[]
  /** Patient id where the source has patients, else null. */
  patient: number | null
  /** Follow-up number (ChestX-ray14), else null. */
  followUp: number | null
  /** View position (PA/AP/MLO/CC...), else null. */
  view: string | null
  /** Split fixed by the source (official lists, Imagenette val), else null. */
  fixedSplit: SplitName | null
}

/** A file or row left out, with its reason. */
export interface SkippedFile {
  /** Path relative to the source root (or the CSV row's image name). */
  file: string
  /** Machine-readable reason. */
  reason: SkipReason
  /** Sentence for the report. */
  message: string
}

/** The importer's output. */
export interface ImportPlan {
  /** Column names of labels.npy. */
  labelNames: string[]
  /** True when an image may carry several labels. */
  multiLabel: boolean
  /** Files in cache order (sorted, so the cache is reproducible). */
  items: PlanItem[]
  /** Left out while planning. */
  skipped: SkippedFile[]
  /** Things the user should know that did not stop the import. */
  warnings: string[]
  /** True when `patient` is meaningful (patients.npy is written). */
  hasPatients: boolean
  /** Where the split comes from, for the report. */
  splitSource: string
  /** 1 = grey, 3 = colour. */
  channels: 1 | 3
  /** Resize policy for this kind. */
  policy: ResizePolicy
  /** Flip mammograms to face one way. */
  lateralityFlip: boolean
  /** Stratum of each item for the seeded split (e.g. the 3-class target). */
  stratum: (item: PlanItem) => number | string
}

/** A bad input that stops the import before anything is written. */
export class ImportInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImportInputError'
  }
}
