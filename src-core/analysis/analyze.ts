// The study analysis: per-run and per-cell bootstrap intervals, H2 fusion comparisons, H1 ANOVA and
// correlations, and the plain-language summary. Pure apart from reading the study's data.
import type { StudyAnalysis } from '../api/results.ts'
import { buildCells, cellKeyOf, orNull, runIntervals } from './cells.ts'
import type { StudyData } from './collect.ts'
import { fusionComparisons } from './h2.ts'
import { anovaTables, correlations, invarianceRows, similarityRows } from './h1.ts'
import { clustersOf, DEFAULT_BOOTSTRAP, type BootstrapOptions } from './stats/bootstrap.ts'
import { batchNormLines, solvedEarlyLines } from './run-notes.ts'
import { writeSummary } from './summary.ts'

/** Builds the analysis of collected study data. */
export function analyzeStudy(data: StudyData, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): StudyAnalysis {
  const warnings = [...data.warnings]
  const clusters = clustersOf(data.indices.length, data.patients)
  const perRun = runIntervals(data.runs, clusters, opts)
  const cells = buildCells(data.runs, perRun, clusters, opts)
  const h2 = fusionComparisons(data.runs, clusters, opts, warnings)
  const similarity = similarityRows(data.probes)
  const invariance = invarianceRows(data.probes)
  const anova = anovaTables(data.runs, warnings)
  const corr = correlations(cells, similarity, invariance)
  if (!similarity.length) warnings.push('No similarity probe has finished, so H1 has no similarity measurements.')
  if (!invariance.length) warnings.push('No invariance probe has finished, so H1 has no invariance profiles.')
  const base: Omit<StudyAnalysis, 'summary' | 'caveats'> = {
    studyId: data.study.id,
    studyName: data.study.name,
    generatedAt: new Date().toISOString(),
    bootstrap: { replicates: opts.replicates, seed: opts.seed, level: opts.level, unit: data.patients ? 'patient' : 'image', nImages: data.indices.length, nUnits: clusters.length },
    runs: data.runs.map((l) => ({
      runId: l.run.id,
      name: l.run.name,
      cellKey: cellKeyOf(l.run),
      seed: l.run.seed,
      loss: orNull(l.loss),
      metrics: Object.fromEntries(Object.entries(perRun.get(l.run.id)!).map(([k, v]) => [k, { estimate: orNull(v.estimate), lo: orNull(v.lo), hi: orNull(v.hi) }])),
    })),
    cells,
    h2,
    h1: { similarity, invariance, anova, correlations: corr },
    warnings,
  }
  const cfg = data.study.config
  const names = [cfg.downstreamDataset, ...((cfg.pretrainDatasets as unknown[]) ?? [])].filter((x): x is string => typeof x === 'string')
  const seeds = [...new Set(data.runs.map((l) => l.run.seed))].sort((a, b) => a - b)
  const { summary, caveats } = writeSummary(base, {
    synthetic: cfg.preset === 'demo' || names.some((n) => n.startsWith('demo-')),
    seeds: seeds.length ? seeds : ((cfg.seeds as number[] | undefined) ?? []),
    datasets: ((cfg.pretrainDatasets as string[] | undefined) ?? similarity.map((s) => s.dataset)),
  })
  return { ...base, summary, caveats: [...caveats, ...solvedEarlyLines(data.allRuns), ...batchNormLines(data.allRuns)] }
}
