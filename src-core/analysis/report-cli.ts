// `xlab study report <study> --out DIR [--replicates N] [--json]`: analyses a study and writes its
// static report. The studies command (`xlab study report`) delegates here.
import { resolve } from 'node:path'
import { flagNumber, flagString, type CliArgs } from '../cli/args.ts'
import { LabService } from '../service/lab-service.ts'
import type { StudyAnalysis } from '../api/results.ts'
import { datasetDirResolver, keptOrComputedAnalysis } from '../service/results.ts'
import { AnalysisCancelled } from './off-loop.ts'
import { findStudy } from '../store/results.ts'
import { writeStudyReport } from './report/write-report.ts'
import { DEFAULT_BOOTSTRAP } from './stats/bootstrap.ts'

const HELP = `usage: xlab study report STUDY [--out DIR] [--replicates N] [--json]

  Writes index.html (self-contained: open it in any browser), CSV tables and analysis.json.
  --out DIR        report folder (default: <data>/reports/<study id>)
  --replicates N   bootstrap resamples per interval (default ${DEFAULT_BOOTSTRAP.replicates})
  --json           print the analysis as JSON instead of a summary
`

const bad = (message: string) => Object.assign(new Error(message), { code: 'BAD_REQUEST' })

export async function runReportCommand(args: CliArgs): Promise<number> {
  const [studyKey] = args.positional
  if (!studyKey || args.flags.help) {
    process.stdout.write(HELP)
    return studyKey ? 0 : 2
  }
  const replicates = flagNumber(args, 'replicates') ?? DEFAULT_BOOTSTRAP.replicates
  if (!Number.isInteger(replicates) || replicates < 50 || replicates > 100_000) throw bad(`--replicates must be a whole number between 50 and 100000, got ${replicates}.`)
  const service = await LabService.open({ dataRoot: flagString(args, 'data'), allowAllPaths: true, startQueue: false })
  try {
    const study = findStudy(service.ctx.db, studyKey)
    if (!study) throw Object.assign(new Error(`There is no study "${studyKey}". List studies with \`xlab study list\`.`), { code: 'NOT_FOUND' })
    const outFlag = flagString(args, 'out')
    const out = outFlag ? resolve(outFlag) : resolve(service.ctx.paths.reports, study.id)
    const bootstrap = { ...DEFAULT_BOOTSTRAP, replicates }
    // The analysis kept by the app (or an earlier report) when nothing changed; else computed off
    // this thread with progress on stderr, and Ctrl-C stops it.
    const controller = new AbortController()
    const onSigint = () => controller.abort()
    process.once('SIGINT', onSigint)
    let analysis: StudyAnalysis
    try {
      analysis = await keptOrComputedAnalysis(service.ctx, study.id, bootstrap, { signal: controller.signal, onProgress: progressLine() })
    } catch (e) {
      if (e instanceof AnalysisCancelled) {
        process.stderr.write('\nxlab study report: cancelled (Ctrl-C); the statistics of the runs finished so far are kept for next time.\n')
        return 130
      }
      throw e
    } finally {
      process.off('SIGINT', onSigint)
      if (process.stderr.isTTY) process.stderr.write('\n')
    }
    const r = writeStudyReport(service.ctx.db, study.id, out, { resolveDataset: await datasetDirResolver(service.ctx), bootstrap, analysis })
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(r.analysis, null, 2)}\n`)
      return 0
    }
    const a = r.analysis
    process.stdout.write(`report of ${a.studyName}: ${r.dir}/index.html\n`)
    process.stdout.write(`  ${a.runs.length} downstream runs, ${a.bootstrap.nImages} test images (${a.bootstrap.nUnits} ${a.bootstrap.unit}s resampled), ${a.h2.length} fusion comparisons, ${a.h1.anova.length} ANOVA tables\n`)
    for (const s of a.summary) process.stdout.write(`\n${s}\n`)
    if (a.warnings.length) process.stdout.write(`\nnotes:\n${a.warnings.map((w) => `  - ${w}`).join('\n')}\n`)
    process.stdout.write(`\nfiles: ${r.files.join(', ')}\n`)
    return 0
  } finally {
    await service.close()
  }
}

/** Progress on stderr: one rewritten line on a terminal, a line every 10% otherwise. */
function progressLine(): (p: { phase: 'runs' | 'study'; done: number; total: number }) => void {
  let lastDecile = -1
  return (p) => {
    const text = p.phase === 'runs' ? `analysing: runs ${p.done}/${p.total}` : 'analysing: study-level comparisons and verdicts'
    if (process.stderr.isTTY) process.stderr.write(`\r${text.padEnd(60)}`)
    else {
      const decile = p.phase === 'runs' ? Math.floor((10 * p.done) / Math.max(1, p.total)) : 11
      if (decile !== lastDecile) process.stderr.write(`${text}\n`)
      lastDecile = decile
    }
  }
}
