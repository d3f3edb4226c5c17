// What the views expect from the domains whose schemas were still landing when the app was
// written (datasets, results), following the agreed contract in docs/architecture.md. Only the
// fields the UI reads are listed, so additions on the service side need no change here.

/** A dataset as `datasets.list` / `datasets.get` return it. */
export interface DatasetInfo {
  /** Short stable id (ds-xxxxxxxx). */
  id: string
  /** Unique name (demo-chest, ...). */
  name: string
  /** Import kind (chestxray14, imagefolder, mammogram). */
  kind: string
  /** importing | ready | failed | cancelled. */
  status: string
  /** Number of images. */
  n: number
  /** Image height in pixels. */
  height?: number
  /** Image width in pixels. */
  width?: number
  /** Channels (1 or 3). */
  channels?: number
  /** Label names, index = class id. */
  labelNames?: string[]
  /** Images per label, when the service reports it. */
  labelCounts?: Record<string, number> | number[]
  /** Images per split, when reported. */
  splitCounts?: Record<string, number>
  /** Why an import failed. */
  error?: string | null
}

/** One thumbnail from `datasets.thumbnails`. */
export interface Thumbnail {
  /** Index of the image in the cache. */
  index: number
  /** Label name. */
  label: string
  /** PNG data URL. */
  dataUrl: string
}

/** Import progress event payload. */
export interface ImportProgress {
  /** Dataset being imported. */
  datasetId: string
  /** Its name. */
  name: string
  /** scan | decode | write | ... */
  phase: string
  /** Items done. */
  done: number
  /** Items in total. */
  total: number
  /** Throughput. */
  imagesPerSec: number | null
  /** Seconds left. */
  etaS: number | null
}

/** Test metrics of a downstream run. */
export interface RunMetrics {
  /** Test loss. */
  loss?: number | null
  /** Test accuracy. */
  accuracy?: number | null
  /** Weighted F1. */
  f1_weighted?: number | null
  /** Balanced accuracy. */
  balanced_accuracy?: number | null
  /** ROC AUC (macro one-vs-rest for 3 classes). */
  roc_auc?: number | null
}

/** One row of `results.table`. */
export interface ResultRow {
  /** Run id. */
  runId: string
  /** Run name. */
  name: string
  /** Pretext task, null for scratch/fusion. */
  pretext: string | null
  /** Pretraining dataset name. */
  pretrainDataset: string | null
  /** Seed. */
  seed: number
  /** binary | 3class. */
  target: string | null
  /** linear | finetune | scratch. */
  protocol: string | null
  /** Fusion mode for fusion runs. */
  fusionMode: string | null
  /** Encoder labels (pretext/dataset). */
  encoders: string[] | null
  /** Run state. */
  state: string
  /** Test metrics. */
  metrics: RunMetrics
}

/** One ROC curve. */
export interface RocCurve {
  /** Class the curve is for (one-vs-rest). */
  className: string
  /** False positive rates. */
  fpr: number[]
  /** True positive rates. */
  tpr: number[]
  /** Area under the curve. */
  auc: number
}

/** `results.run`: everything to draw one run. */
export interface RunResult {
  /** Run id. */
  runId: string
  /** Class names, index = class id. */
  classNames: string[]
  /** Confusion matrix [true][predicted]. */
  confusion: number[][]
  /** ROC curves. */
  roc: RocCurve[]
  /** Training curves: split -> metric -> points. */
  curves?: { split: string; name: string; points: { epoch: number; step: number; value: number }[] }[]
  /** Test metrics. */
  testMetrics?: Record<string, number>
}

/** `results.report`. */
export interface StudyReport {
  /** Folder written. */
  dir: string
  /** Self-contained HTML (no scripts). */
  html: string
}
