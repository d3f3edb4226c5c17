// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// The study analysis: per-run and per-cell intervals, H2 fusion comparisons, H1 tests at the
// level where each factor varies, validation selection, sample sizes and flags, then the verdicts
// of the pre-declared rules and the summary written from them. Pure apart from reading the data.
import type { StudyAnalysis } from '../../../../src-core/api/results.ts'
import { buildCells, cellKeyOf, orNull, runIntervals } from './cells.ts'
import type { StudyData } from '../../../../src-core/analysis/collect.ts'
import { baselineRows, isPretextOrScratch, labelFractionOf, randomInitComparisons } from './baselines.ts'
import { ensembleComparisons } from './ensembles.ts'
import { fusionComparisons } from './h2.ts'
import { labelEfficiency, type ScoredRun } from './label-efficiency.ts'
import { CHEXNET_MEAN_AUROC, meanFindingAuc, multilabelCells, type MultilabelPredictions } from './multilabel.ts'
import { runExtrasOf } from '../../../../src-core/analysis/run-extras.ts'
import { bootstrapInterval } from './stats/bootstrap.ts'
import { hierarchicalIntervals } from './stats/hierarchical.ts'
import { computeMetric } from './stats/metrics.ts'
import { anovaTables, correlations, invarianceRows, similarityFloor, similarityRows } from '../../../../src-core/analysis/h1.ts'
import { runFlags, sampleSizes } from '../../../../src-core/analysis/samples.ts'
import { scratchComparisons, selectOnValidation } from './selection.ts'
import { clustersOf, DEFAULT_BOOTSTRAP, type BootstrapOptions } from './stats/bootstrap.ts'
import { METRIC_NAMES } from './stats/metrics.ts'
import { batchNormLines, shortcutCells, shortcutLines, solvedEarlyLines } from '../../../../src-core/analysis/run-notes.ts'
import { writeSummary } from '../../../../src-core/analysis/summary.ts'
// Transfer against pretext progress reuses the analysis's own code: one bootstrap interval per snapshot probe.
import { pretextProgress, progressLines } from '../../../../src-core/analysis/pretext-progress.ts'
import { methodOf } from '../../../../src-core/analysis/verdict-rules.ts'
import { correlationVerdicts, fusionVerdicts, overallVerdict, randomInitVerdicts, scratchVerdicts, taskVerdicts } from '../../../../src-core/analysis/verdicts.ts'

const NO_PROVENANCE = { datasets: {}, engine: [], stale: true, staleReasons: ['provenance was not collected'] }

/** Builds the analysis of collected study data. */
export function analyzeStudy(data: StudyData, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): StudyAnalysis {
  const warnings = [...data.warnings]
  const clusters = clustersOf(data.indices.length, data.patients)
  const unit = data.patients ? 'patient' : 'image'
  const perRun = runIntervals(data.runs, clusters, opts)
  // The main results use all labels; runs on fewer labels feed the label-efficiency curves only.
  const main = data.runs.filter((l) => labelFractionOf(l.run) === 1)
  // H1's factors are pretext task x pretraining dataset: baseline encoders (random-init, reference) are never its cells.
  const pretextMain = main.filter((l) => isPretextOrScratch(l.run.encoders))
  const cells = buildCells(main, perRun, clusters, opts, unit)
  const pretextCells = cells.filter((c) => isPretextOrScratch(c.encoders))
  const runsById = new Map(data.runs.map((l) => [l.run.id, l]))
  const h2 = fusionComparisons(main, clusters, opts, warnings)
  const similarity = similarityRows(data.probes)
  const invariance = invarianceRows(data.probes, warnings)
  const anova = anovaTables(pretextMain, warnings)
  const corr = correlations(pretextCells, similarity, invariance)
  const selection = selectOnValidation(pretextCells, runsById, warnings)
  const beatsRandomInit = randomInitComparisons(main, clusters, opts)
  const ensembles = ensembleComparisons(main, cells, clusters, opts, warnings)
  const ml = data.multilabel
  const mlClusters = clustersOf(ml.indices.length, ml.patients)
  const mlInterval = (preds: readonly MultilabelPredictions[]) =>
    preds.length === 1 ? bootstrapInterval(ml.indices.length, mlClusters, (rows) => meanFindingAuc(preds[0]!, rows), opts) : hierarchicalIntervals(preds.length, ml.indices.length, mlClusters, (s, rows) => ({ v: meanFindingAuc(preds[s]!, rows) }), opts).v
  const scored: ScoredRun[] = data.runs.map((l) => ({ run: l.run, n: l.pred.targets.length, auc: (rows) => computeMetric(l.pred, 'roc_auc', rows) }))
  const mlScored: ScoredRun[] = ml.runs.map((l) => ({ run: l.run, n: l.pred.targets.length, auc: (rows) => meanFindingAuc(l.pred, rows) }))
  const curves = [...labelEfficiency(scored, clusters, opts), ...labelEfficiency(mlScored, mlClusters, opts)]
  const scratch = scratchComparisons(selection, cells, runsById, clusters, opts).map((c) => ({
    ...c,
    difference: { estimate: orNull(c.difference.estimate), lo: orNull(c.difference.lo), hi: orNull(c.difference.hi), verdict: c.difference.verdict, p: orNull(c.difference.p) },
    pHolm: orNull(c.pHolm),
  }))
  if (!similarity.length) warnings.push('No similarity probe has finished, so H1 has no similarity measurements.')
  if (!invariance.length) warnings.push('No invariance probe has finished, so H1 has no invariance profiles.')
  const targets = [...new Set(cells.map((c) => c.target))].sort()
  const h1Verdicts = [...taskVerdicts(anova), ...correlationVerdicts(corr)]
  const overall = overallVerdict(anova, corr)
  const base: Omit<StudyAnalysis, 'summary' | 'caveats'> = {
    studyId: data.study.id,
    studyName: data.study.name,
    generatedAt: new Date().toISOString(),
    bootstrap: { replicates: opts.replicates, seed: opts.seed, level: opts.level, unit, nImages: data.indices.length, nUnits: clusters.length },
    runs: data.runs.map((l) => {
      const iv = perRun.get(l.run.id)!
      return {
        runId: l.run.id,
        name: l.run.name,
        cellKey: cellKeyOf(l.run),
        seed: l.run.seed,
        loss: orNull(l.loss),
        metrics: Object.fromEntries(METRIC_NAMES.map((k) => [k, { estimate: orNull(iv[k]!.estimate), lo: orNull(iv[k]!.lo), hi: orNull(iv[k]!.hi) }])),
        perClassAuc: Object.fromEntries(l.pred.classNames.map((c) => [c, orNull(iv[`auc:${c}`]?.estimate)])),
        provenance: data.provenance.get(l.run.id) ?? NO_PROVENANCE,
        labelFraction: labelFractionOf(l.run),
        extras: runExtrasOf(l.run.summary),
      }
    }),
    cells,
    h2,
    h1: { similarity, similarityFloor: similarityFloor(data.probes), invariance, anova, correlations: corr, shortcuts: shortcutCells(data.allRuns), progress: pretextProgress(data.snapshotRuns, data.runs, data.allRuns, clusters, opts) },
    verdicts: [...scratchVerdicts(scratch), ...randomInitVerdicts(beatsRandomInit), ...fusionVerdicts(h2), ...h1Verdicts, ...(overall ? [overall] : [])],
    method: methodOf(),
    sampleSizes: sampleSizes(data.datasetDir, targets, warnings),
    selection,
    flags: runFlags(data.runs, perRun),
    beatsScratch: scratch,
    labelEfficiency: curves,
    ensembles,
    baselines: baselineRows(cells),
    beatsRandomInit,
    multilabel: {
      cells: multilabelCells(ml.runs.filter((l) => labelFractionOf(l.run) === 1), mlInterval),
      reference: { chexnetMeanAuroc: CHEXNET_MEAN_AUROC, note: 'CheXNet (Rajpurkar et al. 2017) reports a mean AUROC of 0.841 over the 14 findings on its own split of ChestX-ray14; a different split, so not directly comparable.' },
    },
    warnings,
  }
  const cfg = data.study.config
  const seeds = [...new Set(data.runs.map((l) => l.run.seed))].sort((a, b) => a - b)
  const { summary, caveats } = writeSummary(base, {
    generated: data.generated,
    seeds: seeds.length ? seeds : ((cfg.seeds as number[] | undefined) ?? []),
    datasets: (cfg.pretrainDatasets as string[] | undefined) ?? similarity.map((s) => s.dataset),
  })
  return { ...base, summary, caveats: [...caveats, ...solvedEarlyLines(data.allRuns), ...shortcutLines(base.h1.shortcuts ?? []), ...progressLines(base.h1.progress ?? []), ...batchNormLines(data.allRuns)] }
}
