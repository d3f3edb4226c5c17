// What the views expect from the results domain (src-core/api/results.ts), whose methods were not
// merged into the API map when the app was written. Only the fields the UI reads are listed.

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
  /** Encoder labels (pretext/dataset); empty for scratch. */
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
  /** Area under the curve (null when one class is absent). */
  auc: number | null
}

/** `results.run`: everything to draw one run. */
export interface RunResult {
  /** Run id. */
  runId: string
  /** Class names, index = class id. */
  classNames: string[]
  /** Confusion matrix [true][predicted]; null until predictions exist. */
  confusion: number[][] | null
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

/** A paired difference with its interval and verdict. */
export interface Difference {
  /** Difference on all test images. */
  estimate: number | null
  /** Lower bound of the 95% interval. */
  lo: number | null
  /** Upper bound. */
  hi: number | null
  /** better / no evidence / worse. */
  verdict: string
}

/** The parts of `results.analysis` the Results view shows. */
export interface StudyAnalysisView {
  /** Plain-language summary paragraphs. */
  summary: string[]
  /** Caveats for the reader. */
  caveats: string[]
  /** Problems met while collecting the data. */
  warnings: string[]
  /** H2: each fusion set and mode against its best single member. */
  h2: { target: string; mode: string; encoders: string[]; metric: string; difference: Difference }[]
}
