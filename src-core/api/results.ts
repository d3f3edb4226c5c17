// Results: per-run test metrics, one run's details, the study analysis (CIs, H1, H2) and the static
// HTML report. Every number that can be undefined (an AUC with one class present, an sd of one seed)
// is null, never NaN, so the shapes survive JSON.
//
// Shapes (the app's Results and Compare views consume them):
// - `results.table` -> ResultsRow[]: one row per downstream run; `metrics` holds the last test
//   values the worker reported (loss, accuracy, f1_weighted, balanced_accuracy, roc_auc).
// - `results.run` -> RunResult: confusion matrix and class names, one ROC curve per class (one-vs-
//   rest; for 2 classes only the positive class) with its AUC, training curves, test metrics.
// - `results.analysis` -> StudyAnalysis: bootstrap CIs per run and per cell (a cell = a run's
//   settings without the seed), H2 fusion comparisons, H1 similarity/invariance/ANOVA/correlations,
//   and the plain-language summary with caveats. What the Results view shows beside each number:
//   `verdicts` (the summary as data: one pre-declared rule each, its number, interval and corrected
//   p), `method` (the rules in words), `sampleSizes` (images and patients per class and split, with
//   small-class warnings), `selection` (the validation-chosen best configuration per target and
//   protocol, its test value and how many it was chosen from), `flags` (one-class predictors,
//   below-chance AUCs), `cells[].perClassAuc`, `cells[].interval` (what the interval covers) and
//   `runs[].provenance` (dataset checksums the run used, stale or not).
// - `results.compare {runIds}` -> RunsComparison: each run after the first against the first, on the
//   test images both scored: the paired difference of every metric with its bootstrap interval (all on
//   the same resamples) and McNemar's exact test on the disagreement table.
// - `results.report` -> {dir, html}: the report folder and its self-contained index.html text.
import { z } from 'zod'
import { method } from './contract.ts'
import { runFactorsShape } from './runs.ts'

const num = z.number().nullable()

/** Names of the metrics recomputed from predictions. */
export const resultMetricNames = ['accuracy', 'f1_weighted', 'balanced_accuracy', 'roc_auc'] as const

/** A point estimate with its 95% bootstrap interval. */
export const intervalSchema = z.object({
  /** The metric on all test images. */
  estimate: num,
  /** Lower bound of the interval. */
  lo: num,
  /** Upper bound of the interval. */
  hi: num,
})

/** What a run read: the content checksum of every dataset (directly or through its encoders) and the engine version. */
export const runProvenanceSchema = z.object({
  /** Dataset name -> content checksum (sha256 over meta.json's file checksums) as recorded when the run was planned; null = not recorded. */
  datasets: z.record(z.string(), z.string().nullable()),
  /** Engine versions of the run and its dependencies (usually one). */
  engine: z.array(z.string()),
  /** True when a dataset it read now has other content, the engine is newer, or it recorded no inputs. */
  stale: z.boolean(),
  /** Why it is stale, in words (empty when not). */
  staleReasons: z.array(z.string()),
})

/** One downstream run in the results table. */
export const resultsRowSchema = z.object({
  /** Run id. */
  runId: z.string(),
  /** Readable run name. */
  name: z.string(),
  ...runFactorsShape,
  /** Encoder labels (`rotation/demo-mammo`, `random-init`, `ref:<name>`); empty for scratch. */
  encoders: z.array(z.string()),
  /** Share of the train labels the run used (1 = all; `linear@10%` is 0.1). */
  labelFraction: z.number(),
  /** Run state. */
  state: z.string(),
  /** Last test metrics reported by the worker (null until reported). */
  metrics: z.object({ loss: num, accuracy: num, f1_weighted: num, balanced_accuracy: num, roc_auc: num }),
  /** The data and engine it came from; `stale` rows are kept browsable but belong to old content. */
  provenance: runProvenanceSchema,
})

/** Details of one downstream run. */
/** What a downstream run's summary records beyond its metrics (analysis/run-extras.ts); each null when not recorded. */
export const runExtrasSchema = z.object({
  /** Expected calibration error, Brier score and the reliability diagram's bins (confidence vs accuracy per bin). */
  calibration: z.object({
    /** Expected calibration error (bin-weighted |accuracy - confidence|). */
    ece: num,
    /** Brier score (mean squared error of the probabilities). */
    brier: num,
    /** Bins of the reliability diagram. */
    nBins: num,
    /** What the bins score (top-label, or per-finding for multilabel14). */
    kind: z.string().nullable(),
    /** Bins: [lo, hi) of confidence, images, mean confidence, accuracy (null in an empty bin). */
    bins: z.array(z.object({ lo: z.number(), hi: z.number(), n: z.number(), confidence: num, accuracy: num })),
  }).nullable(),
  /** multilabel14: ROC-AUC per finding and their mean, the split type, and CheXNet's 0.841 (a different split). */
  perFindingAuc: z.object({
    /** Finding -> ROC-AUC (null: one class in the test split). */
    findings: z.record(z.string(), num),
    /** Mean over findings. */
    mean: num,
    /** How the dataset was split (e.g. the official patient list or a seeded patient split). */
    splitType: z.string().nullable(),
    /** The number every chest paper is held against, with why it is not directly comparable. */
    reference: z.object({ chexnetMeanAuroc: z.number(), note: z.string() }),
  }).nullable(),
  /** The linear-head sweep: the grid with validation values and the point chosen (on validation). */
  headSweep: z.object({
    /** Chosen head learning rate and weight decay. */
    chosen: z.object({ lr: num, weightDecay: num }),
    /** The split the choice was made on (always val). */
    selectedOn: z.string(),
    /** Every grid point with its validation value and best epoch. */
    grid: z.array(z.object({ lr: num, weightDecay: num, val: num, bestEpoch: num })),
  }).nullable(),
  /** The labelled train subset (label fractions below 1; the full split at 1). */
  labelSubset: z.object({ fraction: z.number(), nImages: num, nPatients: num, sha256: z.string().nullable() }).nullable(),
  /** The L-BFGS linear probe: the C chosen on validation out of the grid, whether it sits at the grid's edge, whether every fit converged. */
  linearFit: z.object({
    chosenC: num,
    gridSize: z.number(),
    atEdge: z.boolean(),
    converged: z.boolean(),
    /** Every C of the grid with its validation metrics (by metric name) and whether its fit converged. */
    grid: z.array(z.object({ c: z.number(), val: z.record(z.string(), num), converged: z.boolean() })).default([]),
  }).nullable().default(null),
  /** A finetune run that started from a linear probe: the start and end of the selection metric on val and test, and whether it ended below the start. */
  finetuneStart: z.object({ metric: z.string(), valStart: num, valEnd: num, testStart: num, testEnd: num, below: z.boolean() }).nullable().default(null),
  /** kNN settings used (k may be capped by the train images). */
  knn: z.object({ k: num, temperature: num }).nullable(),
  /** Seconds of training (feature passes, heads, kNN votes). */
  trainSeconds: num,
})

export const runResultSchema = z.object({
  /** Run id. */
  runId: z.string(),
  /** Readable run name. */
  name: z.string(),
  /** Run state. */
  state: z.string(),
  /** Class names of the target (empty until predictions exist). */
  classNames: z.array(z.string()),
  /** Confusion matrix, rows = true class, columns = predicted (null without predictions). */
  confusion: z.array(z.array(z.number())).nullable(),
  /** ROC curves, one-vs-rest per class (binary: the positive class only). */
  roc: z.array(z.object({
    /** Class this curve treats as positive. */
    className: z.string(),
    /** Area under this curve. */
    auc: num,
    /** False positive rates, from 0 to 1. */
    fpr: z.array(z.number()),
    /** True positive rates, same length as fpr. */
    tpr: z.array(z.number()),
  })),
  /** Training curves: every metric series by split and name. */
  curves: z.array(z.object({
    /** train / val / test. */
    split: z.string(),
    /** Metric name. */
    name: z.string(),
    /** Points in order. */
    points: z.array(z.object({ epoch: z.number(), step: z.number(), value: z.number() })),
  })),
  /** Test metrics as the worker reported them. */
  testMetrics: z.record(z.string(), z.number()),
  /** Test metrics recomputed from the predictions with 95% bootstrap intervals (empty without predictions). */
  recomputed: z.record(z.string(), intervalSchema),
  /** Share of train labels the run used (1 = all). */
  labelFraction: z.number(),
  /** Calibration (with the reliability diagram's bins). */
  calibration: runExtrasSchema.shape.calibration,
  /** multilabel14: per-finding AUROC, mean, split type, CheXNet's reference. */
  perFindingAuc: runExtrasSchema.shape.perFindingAuc,
  /** The linear-head sweep and its chosen point (chosen on validation). */
  headSweep: runExtrasSchema.shape.headSweep,
  /** The labelled train subset. */
  labelSubset: runExtrasSchema.shape.labelSubset,
  /** The L-BFGS linear probe's C grid (one full-batch fit per C, chosen on validation); null for other runs. */
  linearFit: runExtrasSchema.shape.linearFit,
})

/** Across-seed summary of one metric in one cell. */
export const cellMetricSchema = z.object({
  /** Mean over seeds of the per-run estimates. */
  mean: num,
  /** Sample sd over seeds (null with one seed). */
  sd: num,
  /** The per-seed estimates. */
  perSeed: z.array(z.object({ seed: z.number(), value: num })),
  /** 95% bootstrap interval of the seed mean, resampling test images (patients) jointly for all seeds. */
  lo: num,
  /** Upper bound. */
  hi: num,
})

/** A cell: the runs that differ only by seed. */
export const resultCellSchema = z.object({
  /** Stable key: target|protocol|fusionMode|encoders. */
  key: z.string(),
  /** Readable label, e.g. `binary linear rotation/demo-mammo`. */
  label: z.string(),
  /** single / fusion / scratch. */
  kind: z.enum(['single', 'fusion', 'scratch']),
  /** binary / 3class. */
  target: z.string(),
  /** linear / finetune / scratch (fusion: its mode). */
  protocol: z.string(),
  /** Pretext task (single only). */
  pretext: z.string().nullable(),
  /** Pretraining dataset (single only). */
  pretrainDataset: z.string().nullable(),
  /** Encoder labels. */
  encoders: z.array(z.string()),
  /** Run ids of the cell, one per seed. */
  runIds: z.array(z.string()),
  /** Per metric: mean, sd, per-seed values, interval. */
  metrics: z.record(z.string(), cellMetricSchema),
  /** One-vs-rest ROC-AUC per class name (mean over seeds, same interval method as `metrics`). */
  perClassAuc: z.record(z.string(), z.object({ mean: num, lo: num, hi: num })),
  /** What the interval covers: `patients` (test-set sampling only, one seed) or `seeds+patients` (hierarchical bootstrap); `images` without patient ids. */
  interval: z.enum(['patients', 'images', 'seeds+patients', 'seeds+images']),
})

/** A paired difference fusion - member on the same test images. */
export const differenceSchema = z.object({
  /** Difference on all test images. */
  estimate: num,
  /** Lower bound of the 95% paired bootstrap interval. */
  lo: num,
  /** Upper bound. */
  hi: num,
  /** better / no evidence / worse: only an interval excluding 0 is evidence. */
  verdict: z.enum(['better', 'no evidence', 'worse']),
  /** Two-sided bootstrap p-value for no difference, before any correction. */
  p: num,
})

/** H2: one fusion set and mode against its best single member. */
export const fusionComparisonSchema = z.object({
  /** binary / 3class. */
  target: z.string(),
  /** linear / finetune. */
  mode: z.string(),
  /** The fused encoder labels. */
  encoders: z.array(z.string()),
  /** Metric compared. */
  metric: z.string(),
  /** Difference averaged over seeds, with the interval of that average. */
  difference: differenceSchema,
  /** The same comparison after Holm's correction over every fusion comparison of this metric in the study. */
  holm: z.object({ p: num, verdict: z.enum(['better', 'no evidence', 'worse']) }),
  /** Per seed: the member that scored best on this metric (on validation, see selectedBy), both test values and the paired difference. */
  perSeed: z.array(z.object({
    /** Seed. */
    seed: z.number(),
    /** Fusion run id. */
    fusionRunId: z.string(),
    /** Best single member's label. */
    bestMember: z.string(),
    /** Best single member's run id. */
    memberRunId: z.string(),
    /** Where the best member was picked: its validation metric (selected epoch), or the test set when a member had none. */
    selectedBy: z.enum(['validation', 'test']),
    /** Fusion's metric. */
    fusion: num,
    /** Best member's metric. */
    member: num,
    /** Paired difference fusion - member. */
    difference: differenceSchema,
  })),
})

/** One verdict of the summary: a pre-declared rule applied to a corrected test. */
export const verdictSchema = z.object({
  /** Which rule (see `method.rules`): h1-task, h1-similarity, h1-invariance, h1-overall, h2-fusion, beats-scratch. */
  rule: z.enum(['h1-task', 'h1-similarity', 'h1-invariance', 'h1-overall', 'h2-fusion', 'beats-scratch', 'beats-random-init']),
  /** Where it applies, e.g. `binary linear`, `binary`, or `study`. */
  scope: z.string(),
  /** `claimed` only when its test survives the correction; else `no evidence` (or `not testable` when the design cannot test it). */
  outcome: z.enum(['claimed', 'no evidence', 'not testable']),
  /** The sentence shown in the summary. */
  sentence: z.string(),
  /** The number behind it (an effect size, difference or rho). */
  estimate: num,
  /** Its 95% interval, where there is one. */
  lo: num,
  /** Upper bound. */
  hi: num,
  /** Uncorrected p of the deciding test. */
  p: num,
  /** p after the stated correction over its family. */
  pAdjusted: num,
  /** Size of the correction family. */
  family: z.number(),
})

/** Images and patients per class in one split of the downstream set, for one target. */
export const splitCountSchema = z.object({
  /** train / val / test. */
  split: z.string(),
  /** binary / 3class. */
  target: z.string(),
  /** Per class: images and distinct patients (null without patient ids). */
  classes: z.array(z.object({ name: z.string(), images: z.number(), patients: z.number().nullable() })),
})

/** The configuration picked on validation for one target and protocol. */
export const selectionSchema = z.object({
  /** binary / 3class. */
  target: z.string(),
  /** linear / finetune / fusion-linear / fusion-finetune / any (best of all pretrained configurations). */
  protocol: z.string(),
  /** The chosen cell's key and label. */
  cellKey: z.string(),
  /** Readable label. */
  label: z.string(),
  /** How many configurations it was chosen from. */
  chosenFrom: z.number(),
  /** Its validation ROC-AUC (mean over seeds) at the selected epoch: what chose it. */
  validation: num,
  /** Its test ROC-AUC (mean over seeds) with the cell interval: what is reported. */
  test: z.object({ mean: num, lo: num, hi: num }),
})

/** The validation-chosen best pretrained configuration of a target against scratch. */
export const scratchComparisonSchema = z.object({
  /** binary / 3class. */
  target: z.string(),
  /** The chosen configuration. */
  label: z.string(),
  /** How many pretrained configurations it was chosen from (on validation). */
  chosenFrom: z.number(),
  /** Seeds both have. */
  seeds: z.array(z.number()),
  /** Paired difference best - scratch of ROC-AUC on the same resamples. */
  difference: differenceSchema,
  /** p after Holm's correction over the targets. */
  pHolm: num,
})

/** A warning attached to one run. */
export const runFlagSchema = z.object({
  /** Run id. */
  runId: z.string(),
  /** Run name. */
  name: z.string(),
  /** one-class: every test image gets the same predicted class; below-chance: AUC interval wholly below 0.5. */
  kind: z.enum(['one-class', 'below-chance']),
  /** The sentence shown. */
  message: z.string(),
})

/** One ANOVA table. */
export const anovaTableSchema = z.object({
  /** binary / 3class. */
  target: z.string(),
  /** linear / finetune. */
  protocol: z.string(),
  /** Response metric. */
  metric: z.string(),
  /** Seeds every cell had (the replicates used). */
  seeds: z.array(z.number()),
  /** Table rows: pretext, dataset, interaction (with replicates), error, total. */
  rows: z.array(z.object({ source: z.string(), ss: z.number(), df: z.number(), ms: num, f: num, p: num, etaSq: num })),
  /** Whether the interaction has its own row. */
  interactionSeparated: z.boolean(),
  /** What the design could not separate (empty when nothing). */
  note: z.string(),
  /** The H1 task test: pretext effect on cell means against the pretext x dataset interaction (the F test of a fixed pretext effect with the dataset as a random effect), Holm over the settings. */
  pretextTest: z.object({ f: num, df1: z.number(), df2: z.number(), p: num, pHolm: num, etaSq: num }).nullable(),
})

/** One rank correlation of downstream performance with an encoder/dataset property. */
export const correlationSchema = z.object({
  /** binary / 3class. */
  target: z.string(),
  /** linear / finetune. */
  protocol: z.string(),
  /** Performance metric. */
  metric: z.string(),
  /** similarity / invariance. */
  family: z.enum(['similarity', 'invariance']),
  /** The property, e.g. `frechet` or `rot90`. */
  variable: z.string(),
  /** spearman (similarity, over datasets) or partial-pearson (invariance, over encoders, given the pretraining dataset). */
  statistic: z.enum(['spearman', 'partial-pearson']),
  /** The correlation (Spearman's rho or the partial r; null when a side is constant). */
  rho: num,
  /** Two-sided p: exact permutation p (Spearman over datasets) or the t test of the partial correlation. */
  p: num,
  /** The smallest p the design allows (2/n! for an exact test over n datasets); at or above alpha the test can never reject. */
  minP: num,
  /** p after Holm's correction over the primary-metric correlations that can reach alpha (null: descriptive only). */
  pHolm: num,
  /** Number of units correlated. */
  n: z.number(),
  /** The unit: `dataset` (similarity: dataset means over pretext tasks) or `encoder` (invariance: cell means). */
  unit: z.enum(['dataset', 'encoder']),
  /** The points (unit label, x, y) so a reader sees what few values the rho rests on. */
  points: z.array(z.object({ label: z.string(), x: z.number(), y: z.number() })),
})

/** The study analysis. */

/** One point of a label-efficiency curve. */
export const labelEfficiencyPointSchema = z.object({
  /** Share of the train labels. */
  fraction: z.number(),
  /** Labelled train images (mean over seeds). */
  nTrain: num,
  /** ROC-AUC (multilabel14: mean over findings), mean over seeds. */
  auc: num,
  /** Interval (patients; seeds then patients with several seeds). */
  lo: num,
  hi: num,
  /** The runs behind the point. */
  runIds: z.array(z.string()),
})

/** ROC-AUC against labelled fraction for one target, protocol and encoder (`scratch` for scratch). */
export const labelEfficiencySchema = z.object({ target: z.string(), protocol: z.string(), encoder: z.string(), points: z.array(labelEfficiencyPointSchema) })

/** Transfer against pretext progress: one pretext run's linear transfer at each encoder snapshot (analysis/pretext-progress.ts). */
export const pretextProgressSchema = z.object({
  /** Pretext task, pretraining dataset, seed and downstream target of the row. */
  pretext: z.string(),
  dataset: z.string(),
  seed: z.number(),
  target: z.string(),
  /** Name of the pretext run the snapshots come from. */
  pretextRun: z.string(),
  /** The pretext budget in steps (null when the run's summary lacks it). */
  totalSteps: num,
  /** The engine's "solved early" flag of the pretext run: the first validation at accuracy >= 0.99. */
  solvedEarly: z.object({ step: num, accuracy: z.number() }).nullable(),
  /** Snapshots in step order, then `extracted`: the study's own linear probe of the extracted encoder (best.pth, at its best-validation step). */
  points: z.array(
    z.object({
      kind: z.enum(['snapshot', 'extracted']),
      /** Pretext step of the encoder (null when unknown). */
      step: num,
      /** Share of the pretext budget. */
      fraction: num,
      /** Test ROC-AUC of its linear probe with the 95% bootstrap interval (test sampling only). */
      auc: z.object({ estimate: num, lo: num, hi: num }),
      /** Test images scored. */
      n: z.number(),
      /** The pretext task's validation measure at that step: `accuracy` (rotation, structure) or `loss` (inpainting). */
      valMetric: z.string().nullable(),
      val: num,
      /** Validation accuracy at or above 0.99 (null for tasks without accuracy). */
      solved: z.boolean().nullable(),
      /** The probe run. */
      runId: z.string(),
      runName: z.string(),
    }),
  ),
  /** First against last point by step: the difference and what the intervals say (helped / hurt / unclear). */
  trend: z.object({ fromStep: num, toStep: num, difference: z.number(), verdict: z.enum(['helped', 'hurt', 'unclear']), sentence: z.string() }).nullable(),
})

/** A fusion set beside the ensemble (average of predicted probabilities) of its members. */
export const ensembleSchema = z.object({
  target: z.string(),
  /** Fusion mode (linear / finetune); the members' runs use the same protocol. */
  mode: z.string(),
  /** Member encoder labels. */
  members: z.array(z.string()),
  /** The fusion cell's ROC-AUC with its interval, and the fusion runs paired with an ensemble. */
  fusion: z.object({ auc: num, lo: num, hi: num, runIds: z.array(z.string()) }),
  /** The ensemble's ROC-AUC (mean over seeds) with its interval. */
  ensemble: z.object({ auc: num, lo: num, hi: num }),
  /** The best member (chosen on validation where every member reported it) and its test ROC-AUC. */
  bestMember: z.object({ encoder: z.string(), auc: num, selectedBy: z.enum(['validation', 'test']) }),
  /** Fusion minus ensemble, paired on the same resamples (across seeds with several), with its bootstrap p. */
  fusionMinusEnsemble: z.object({ diff: num, lo: num, hi: num, p: num }),
  /** The member runs averaged. */
  memberRunIds: z.array(z.string()),
})

/** A baseline encoder's cell: random-init or an imported reference encoder. */
export const baselineSchema = z.object({
  target: z.string(),
  protocol: z.string(),
  /** `random-init`, `ref:<name>` or `supervised/<pretraining dataset>`. */
  encoder: z.string(),
  /** supervised: the reference row (trained with the pretraining set's labels under the pretext budget). */
  kind: z.enum(['random-init', 'reference', 'supervised']),
  /** ROC-AUC mean over seeds with the cell's interval. */
  auc: num,
  lo: num,
  hi: num,
  /** Its runs. */
  runIds: z.array(z.string()),
})

/** A pretext encoder minus the random-init encoder (same target, protocol, seeds). */
export const randomInitComparisonSchema = z.object({
  target: z.string(),
  protocol: z.string(),
  /** The pretext encoder. */
  encoder: z.string(),
  /** Seeds both have. */
  seeds: z.array(z.number()),
  /** Paired difference encoder - random-init of ROC-AUC. */
  difference: differenceSchema,
  /** Holm-adjusted p over every such comparison of the study. */
  pHolm: num,
})

/** multilabel14 cells: mean AUROC over the 14 findings with its interval, and per finding. */
export const multilabelCellSchema = z.object({
  protocol: z.string(),
  /** Encoder labels (empty for scratch). */
  encoders: z.array(z.string()),
  runIds: z.array(z.string()),
  /** Mean over findings (mean over seeds) with the bootstrap interval over patients (seeds then patients). */
  meanAuc: z.object({ mean: num, lo: num, hi: num }),
  /** Finding -> ROC-AUC (mean over seeds). */
  perFinding: z.record(z.string(), num),
  /** The dataset's split type (from the runs' summaries). */
  splitType: z.string().nullable(),
})

export const studyAnalysisSchema = z.object({
  /** Study id. */
  studyId: z.string(),
  /** Study name. */
  studyName: z.string(),
  /** ISO time of the analysis. */
  generatedAt: z.string(),
  /** How intervals were drawn. */
  bootstrap: z.object({
    /** Resamples per interval. */
    replicates: z.number(),
    /** Seed of the resampling. */
    seed: z.number(),
    /** Two-sided level. */
    level: z.number(),
    /** patient (clusters) or image. */
    unit: z.enum(['patient', 'image']),
    /** Test images. */
    nImages: z.number(),
    /** Resampling units (patients or images). */
    nUnits: z.number(),
  }),
  /** Per-run intervals of every recomputed metric. */
  runs: z.array(z.object({
    /** Run id. */
    runId: z.string(),
    /** Run name. */
    name: z.string(),
    /** The cell key it belongs to. */
    cellKey: z.string(),
    /** Seed. */
    seed: z.number(),
    /** Test loss reported by the worker (not recomputed). */
    loss: num,
    /** Metric name -> interval. */
    metrics: z.record(z.string(), intervalSchema),
    /** One-vs-rest ROC-AUC per class name. */
    perClassAuc: z.record(z.string(), num),
    /** Dataset checksums and engine version it used. */
    provenance: runProvenanceSchema,
    /** Share of train labels it used (1 = all; fractions below 1 feed labelEfficiency only). */
    labelFraction: z.number(),
    /** Calibration, head sweep, label subset, kNN settings from its summary. */
    extras: runExtrasSchema,
  })),
  /** Cells (runs that differ only by seed). */
  cells: z.array(resultCellSchema),
  /** H2: fusion vs best single member. */
  h2: z.array(fusionComparisonSchema),
  /** H1 measurements and tests. */
  h1: z.object({
    /** Distances of each pretraining dataset to the downstream set (smaller = more similar); `aboveFloor` per distance: larger than the downstream set's distance to itself. */
    similarity: z.array(z.object({ dataset: z.string(), frechet: num, histogram_l1: num, spectrum_l2: num, aboveFloor: z.record(z.string(), z.boolean()) })),
    /** The similarity noise floor: distances between two disjoint samples of the downstream set (null when the probe did not report it). */
    similarityFloor: z.object({ frechet: num, histogram_l1: num, spectrum_l2: num }).nullable(),
    /** Baselined invariance per encoder (mean over seeds): (cos(x,Tx) - cos(x,y)) / (1 - cos(x,y)), y an unrelated image; 1 invariant, 0 as far as an unrelated image. `reference` marks the random-init row. */
    invariance: z.array(z.object({ encoder: z.string(), pretext: z.string(), dataset: z.string(), seeds: z.array(z.number()), values: z.record(z.string(), z.number()), reference: z.boolean(), unrelatedCosine: num, split: z.string() })),
    /** Two-way ANOVAs (pretext x pretraining dataset). */
    anova: z.array(anovaTableSchema),
    /** Spearman correlations of performance with similarity and with each invariance. */
    correlations: z.array(correlationSchema),
    /** Shortcut score per finished pretext run (engine/xlab/shortcut.py): what unlearned baselines score on its task and data; `trivial` when the cheap statistics alone solve it. */
    shortcuts: z.array(z.object({ run: z.string(), pretext: z.string(), dataset: z.string(), seed: z.number(), metric: z.string(), chance: z.number(), stats: z.number(), normalised: z.number(), randomInit: z.number().nullable(), achieved: z.number().nullable(), trivial: z.boolean() })).optional(),
    /** Downstream linear ROC-AUC against pretext steps per pretext cell and target (downstream.snapshotProbes; empty without). */
    progress: z.array(pretextProgressSchema).optional(),
  }),
  /** The verdicts behind the summary, one per rule and scope. */
  verdicts: z.array(verdictSchema),
  /** How the verdicts were decided, in words: primary metric, alpha, correction, and each rule. */
  method: z.object({ primaryMetric: z.string(), alpha: z.number(), correction: z.string(), rules: z.array(z.object({ rule: z.string(), text: z.string() })), measurements: z.array(z.string()) }),
  /** Images and patients per class and split of the downstream set (empty when the cache was not found). */
  sampleSizes: z.array(splitCountSchema),
  /** Best configuration per target and protocol, chosen on validation. */
  selection: z.array(selectionSchema),
  /** One-class predictors and below-chance runs. */
  flags: z.array(runFlagSchema),
  /** Best pretrained configuration (chosen on validation) minus scratch, per target. */
  beatsScratch: z.array(scratchComparisonSchema),
  /** ROC-AUC against labelled fraction per target, protocol and encoder (only where fractions below 1 ran). */
  labelEfficiency: z.array(labelEfficiencySchema),
  /** Each fusion set beside the ensemble of its members. */
  ensembles: z.array(ensembleSchema),
  /** Random-init and reference encoder cells (baselines, never H1 cells). */
  baselines: z.array(baselineSchema),
  /** Every pretext encoder minus random-init, Holm over all of them. */
  beatsRandomInit: z.array(randomInitComparisonSchema),
  /** multilabel14 results, with CheXNet's 0.841 for reference (a different split). */
  multilabel: z.object({ cells: z.array(multilabelCellSchema), reference: z.object({ chexnetMeanAuroc: z.number(), note: z.string() }) }),
  /** Plain-language summary: the verdict sentences, short, each with its number and interval. */
  summary: z.array(z.string()),
  /** Caveats the reader must keep in mind. */
  caveats: z.array(z.string()),
  /** Problems met while collecting the data (missing predictions, failed runs). */
  warnings: z.array(z.string()),
  /** Per-run statistics (run x resampling) computed for this analysis and read back from the store (issue 21). */
  perRunCache: z.object({ computed: z.number().int().nonnegative(), reused: z.number().int().nonnegative() }).optional(),
})

/** Two or more runs compared on the test images they share: each run after the first against the first. */
export const runsComparisonSchema = z.object({
  /** The runs in the order given (the first is the reference A of every comparison). */
  runs: z.array(z.object({ runId: z.string(), name: z.string(), labelFraction: z.number(), seed: z.number() })),
  /** Bootstrap resamples behind every interval. */
  replicates: z.number(),
  /** Two-sided level of the intervals. */
  level: z.number(),
  /** One per run after the first: B (that run) against A (the first). */
  comparisons: z.array(z.object({
    /** Run id of A (the first run). */
    a: z.string(),
    /** Run id of B. */
    b: z.string(),
    /** Why this pair cannot be compared (no predictions, another task, other test images), else null. */
    problem: z.string().nullable(),
    /** The paired comparison, null when `problem` says why not. */
    result: z.object({
      /** Test images both runs scored. */
      nImages: z.number(),
      /** What the bootstrap resamples: patients (patients.npy found) or images. */
      unit: z.enum(['patient', 'image']),
      /** Resampling units. */
      nUnits: z.number(),
      /** Metric -> A's and B's value on the shared images and the paired difference B - A (every metric on the same resamples). */
      metrics: z.record(z.string(), z.object({ a: num, b: num, difference: differenceSchema })),
      /** McNemar's test on the disagreement table (images one run gets right and the other wrong). */
      mcnemar: z.object({ bothRight: z.number(), aOnly: z.number(), bOnly: z.number(), bothWrong: z.number(), p: z.number(), chiSquare: num }),
    }).nullable(),
  })),
})
export type RunsComparison = z.infer<typeof runsComparisonSchema>

export type ResultsRow = z.infer<typeof resultsRowSchema>
export type RunExtras = z.infer<typeof runExtrasSchema>
export type LabelEfficiencyOut = z.infer<typeof labelEfficiencySchema>
export type PretextProgressRow = z.infer<typeof pretextProgressSchema>
export type EnsembleOut = z.infer<typeof ensembleSchema>
export type BaselineOut = z.infer<typeof baselineSchema>
export type RandomInitComparisonOut = z.infer<typeof randomInitComparisonSchema>
export type MultilabelCellOut = z.infer<typeof multilabelCellSchema>
export type RunResult = z.infer<typeof runResultSchema>
export type StudyAnalysis = z.infer<typeof studyAnalysisSchema>
export type ResultCell = z.infer<typeof resultCellSchema>
export type FusionComparison = z.infer<typeof fusionComparisonSchema>
export type AnovaTable = z.infer<typeof anovaTableSchema>
export type Correlation = z.infer<typeof correlationSchema>
export type IntervalOut = z.infer<typeof intervalSchema>
export type VerdictOut = z.infer<typeof verdictSchema>
export type SplitCount = z.infer<typeof splitCountSchema>
export type SelectionOut = z.infer<typeof selectionSchema>
export type RunFlag = z.infer<typeof runFlagSchema>
export type ScratchComparisonOut = z.infer<typeof scratchComparisonSchema>
export type RunProvenance = z.infer<typeof runProvenanceSchema>

const studyInput = z.object({ studyId: z.string().min(1) })

export const resultsApi = {
  'results.table': method(z.object({ studyId: z.string().optional() }), z.array(resultsRowSchema), 'One row per downstream run (of a study, or of all studies) with its last test metrics.'),
  'results.run': method(z.object({ runId: z.string().min(1) }), runResultSchema, 'Confusion matrix, ROC curves, training curves and test metrics of one downstream run.'),
  'results.analysis': method(studyInput, studyAnalysisSchema, 'Bootstrap CIs, H1 (similarity, invariance, ANOVA, correlations) and H2 (fusion vs best member) of a study.'),
  'results.compare': method(z.object({ runIds: z.array(z.string().min(1)).min(2).max(8) }), runsComparisonSchema, 'Each run after the first against the first on the test images both scored: paired bootstrap difference of every metric and McNemar\'s test.'),
  'results.report': method(studyInput, z.object({ dir: z.string(), html: z.string() }), 'Writes the static HTML report and CSV tables under <data>/reports/<study>/ and returns the HTML.'),
} as const

/** Progress of a study analysis, which the service computes off its event loop (results.analysis). */
export const analysisProgressSchema = z.object({
  /** The study being analysed. */
  studyId: z.string(),
  /** 'runs': per-run results (intervals, per-class AUCs); 'study': the study-level verdicts; then how it ended. */
  phase: z.enum(['runs', 'study', 'done', 'failed', 'cancelled']),
  /** Units finished in this phase (runs analysed, during 'runs'). */
  done: z.number().int().nonnegative(),
  /** Units in this phase. */
  total: z.number().int().nonnegative(),
  /** A sentence for the user when it failed or was cancelled. */
  message: z.string().optional(),
})
export type AnalysisProgress = z.infer<typeof analysisProgressSchema>

export const resultsEvents = {
  /** A study analysis moved on (a few per second at most) or ended. */
  onAnalysisProgress: analysisProgressSchema,
} as const
