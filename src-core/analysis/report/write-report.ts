// Builds a study's report folder: index.html (self-contained), the raw tables as CSV, analysis.json.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StudyAnalysis } from '../../api/results.ts'
import type { Db } from '../../store/db.ts'
import { findRun } from '../../store/results.ts'
import { analyzeStudy } from '../analyze.ts'
import { collectStudy } from '../collect.ts'
import { runDetailOf } from '../run-detail.ts'
import { DEFAULT_BOOTSTRAP, type BootstrapOptions } from '../stats/bootstrap.ts'
import { PRIMARY_METRIC } from '../summary.ts'
import { analysisCsvs } from './csv.ts'
import { reportEnvironment } from './environment.ts'
import { renderReportHtml, type ReportInput } from './html.ts'

/** How to build a report. */
export interface ReportOptions {
  /** Finds a dataset cache folder by name (for patients and checksums). */
  resolveDataset: (name: string) => string | null
  /** Bootstrap settings (defaults: 1000 resamples, fixed seed, 95%). */
  bootstrap?: BootstrapOptions
  /** An analysis of the same study state already at hand (skips the bootstrap). */
  analysis?: StudyAnalysis
}

/** What was written. */
export interface ReportResult {
  /** The report folder. */
  dir: string
  /** The HTML page (also written as index.html). */
  html: string
  /** The analysis the page shows. */
  analysis: StudyAnalysis
  /** Files written, relative to dir. */
  files: string[]
}

/** The runs worth a confusion matrix and ROC curves: the best per target, and each target's scratch baseline. */
function exampleRuns(a: StudyAnalysis): { why: string; runId: string }[] {
  const out: { why: string; runId: string }[] = []
  for (const target of [...new Set(a.cells.map((c) => c.target))]) {
    const cells = a.cells.filter((c) => c.target === target)
    const best = [...cells].sort((x, y) => (y.metrics[PRIMARY_METRIC]?.mean ?? -1) - (x.metrics[PRIMARY_METRIC]?.mean ?? -1))[0]
    if (best?.runIds[0]) out.push({ why: `best ${target} configuration by ROC-AUC`, runId: best.runIds[0] })
    const scratch = cells.find((c) => c.kind === 'scratch')
    if (scratch?.runIds[0] && scratch !== best) out.push({ why: `${target} scratch baseline`, runId: scratch.runIds[0] })
  }
  return out
}

/** Analyses a study and writes its report into `outDir` (created if needed). */
export function writeStudyReport(db: Db, studyKey: string, outDir: string, opts: ReportOptions): ReportResult {
  const boot = opts.bootstrap ?? DEFAULT_BOOTSTRAP
  const data = collectStudy(db, studyKey, { resolveDataset: opts.resolveDataset })
  const analysis = opts.analysis ?? analyzeStudy(data, boot)
  const examples: ReportInput['examples'] = []
  for (const e of exampleRuns(analysis)) {
    const run = findRun(db, e.runId)
    // A short bootstrap: the report shows the curves of these runs, their intervals are in the tables.
    if (run) examples.push({ why: e.why, detail: runDetailOf(db, run, { ...boot, replicates: 200 }) })
  }
  const html = renderReportHtml({ analysis, config: data.study.config, environment: reportEnvironment(db, data, opts.resolveDataset), examples })
  mkdirSync(outDir, { recursive: true })
  const files: Record<string, string> = { ...analysisCsvs(analysis), 'analysis.json': JSON.stringify(analysis, null, 2), 'index.html': html }
  for (const [name, text] of Object.entries(files)) {
    // Written beside and renamed, so the app never shows a half-written page.
    const tmp = join(outDir, `.${name}.tmp-${process.pid}`)
    writeFileSync(tmp, text)
    renameSync(tmp, join(outDir, name))
  }
  return { dir: outDir, html, analysis, files: Object.keys(files) }
}
