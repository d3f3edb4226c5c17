// `xlab study report <study> --out DIR [--replicates N] [--json]`: analyses a study and writes its
// static report. The studies command (`xlab study report`) delegates here.
import { resolve } from 'node:path'
import { flagNumber, flagString, type CliArgs } from '../cli/args.ts'
import { LabService } from '../service/lab-service.ts'
import { datasetDirResolver } from '../service/results.ts'
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
    const r = writeStudyReport(service.ctx.db, study.id, out, { resolveDataset: await datasetDirResolver(service.ctx), bootstrap: { ...DEFAULT_BOOTSTRAP, replicates } })
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
