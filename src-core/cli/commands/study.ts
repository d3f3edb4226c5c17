// `xlab study create|plan|run|status|cancel|resume|list|results|config|report`.
import { readFileSync } from 'node:fs'
import { ApiError } from '../../api/contract.ts'
import { watchStudy } from '../../runner/progress-view.ts'
import { LabService } from '../../service/lab-service.ts'
import * as store from '../../store/runs.ts'
import { formatDuration } from '../../runner/progress-view.ts'
import { flagString, type CliArgs } from '../args.ts'
import { formatResultTable, resultRows } from '../../study/results-table.ts'
import { applyExecutorFlags, EXECUTOR_HELP, hasExecutorFlags } from './executor-flags.ts'

const HELP = `usage: xlab study <command> [options]   (global: --data DIR)

  create NAME [--preset demo|paper] [--config FILE]   create a study (re-plans an existing one)
  plan [NAME] [--preset P] [--config FILE] [--measure]  show the run matrix, counts per stage, estimate
                                                      (--measure: measure this device's throughput and time
                                                      a real run of each kind of work first)
  run NAME [--preset P] [--config FILE]               create if needed, run until done (Ctrl-C pauses)
  status NAME                                         run counts and unfinished runs
  resume NAME                                         re-queue paused/failed/cancelled runs and run
  cancel NAME                                         cancel every unfinished run
  list                                                all studies
  results NAME                                        the test-split results table of a study
  export NAME FILE [--weights]                        the study as one file (config, runs, metrics, predictions,
                                                      dataset checksums, engine lock; --weights adds encoders and weights)
  import FILE [--name NEW]                            a study export into this data root (results identical)
  config --help                                       every study-config field: meaning, unit, default, allowed values
  report ...                                          write the study report (analysis)
  --json prints machine-readable output; --plain disables the progress bars.
${EXECUTOR_HELP}`

const bad = (message: string) => Object.assign(new Error(message), { code: 'BAD_REQUEST' })

type Call = (method: string, input: unknown) => Promise<unknown>

function caller(service: LabService): Call {
  return (method, input) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 'cli' })
}

/** The config from --config FILE or --preset NAME (default demo), or the stored one of a study. */
function configFrom(args: CliArgs, service: LabService, name?: string): unknown {
  const file = flagString(args, 'config')
  if (file) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw bad(`--config ${file}: ${(err as Error).message}. Pass a JSON study config (see \`xlab study plan --preset demo --json\`).`)
    }
  }
  const preset = flagString(args, 'preset')
  if (!preset && name) {
    const s = store.getStudy(service.ctx.db, name)
    if (s) return s.config
  }
  return { preset: preset ?? 'demo' }
}

async function resolveConfig(call: Call, raw: unknown): Promise<unknown> {
  const r = raw as { preset?: string }
  if (r && typeof r === 'object' && Object.keys(r).length === 1 && r.preset) {
    const presets = (await call('studies.presets', {})) as { name: string; config: unknown }[]
    const p = presets.find((x) => x.name === r.preset)
    if (!p) throw bad(`There is no preset "${r.preset}". Choose one of: ${presets.map((x) => x.name).join(', ')}.`)
    return p.config
  }
  return raw
}

interface PlanOut {
  runs: { name: string; stage: string; existing: string | null; deps: string[]; encoders: string[] | null; target: string | null; protocol: string | null; fusionMode: string | null }[]
  counts: Record<string, number>
  reused: number
  estimate: { measured: boolean; device: string; basis: string; totalSeconds: number | null; wallSeconds: number | null; slots: number; secondsByStage: Record<string, number> }
  /** What the planner left out and which difference the seeds and test set can detect. */
  notes?: string[]
}

const mark = (existing: string | null) => (existing === 'done' ? 'reuse' : (existing ?? 'new'))

/** The downstream matrix: one row per encoder (or fusion set, or scratch), one column per task x protocol. */
function downstreamMatrix(p: PlanOut): string[] {
  const runs = p.runs.filter((r) => r.stage === 'downstream')
  const short: Record<string, string> = { linear: 'lin', finetune: 'ft', scratch: 'scr', binary: 'bin', '3class': '3cl' }
  const col = (r: PlanOut['runs'][number]) => `${short[r.target!] ?? r.target}/${r.fusionMode ? `fus-${short[r.fusionMode]}` : (short[r.protocol!] ?? r.protocol)}`
  const row = (r: PlanOut['runs'][number]) => {
    const e = r.encoders ?? []
    if (!e.length) return 'scratch'
    const ds = new Set(e.map((x) => x.split('/')[1]))
    return ds.size === 1 && e.length > 1 ? `${e.map((x) => x.split('/')[0]!.slice(0, 3)).join('+')}/${[...ds][0]}` : e.join('+')
  }
  const cols = [...new Set(runs.map(col))]
  const rows = [...new Set(runs.map(row))]
  const cell = new Map(runs.map((r) => [`${row(r)}|${col(r)}`, (cell_: string[]) => cell_.push(mark(r.existing))]))
  const width = Math.max(...rows.map((r) => r.length), 7)
  const out = [`${'encoder'.padEnd(width)}  ${cols.map((c) => c.padEnd(Math.max(c.length, 5))).join(' ')}`]
  for (const r of rows) {
    const cells = cols.map((c) => {
      const acc: string[] = []
      cell.get(`${r}|${c}`)?.(acc)
      return (acc.join(',') || '.').padEnd(Math.max(c.length, 5))
    })
    out.push(`${r.padEnd(width)}  ${cells.join(' ')}`.trimEnd())
  }
  return out
}

function printPlan(p: PlanOut): void {
  const out: string[] = []
  for (const stage of ['pretext', 'extract', 'probe']) {
    const runs = p.runs.filter((r) => r.stage === stage)
    if (!runs.length) continue
    out.push(`${stage} (${runs.length})`)
    for (const r of runs) out.push(`  ${mark(r.existing).padEnd(7)} ${r.name}`)
  }
  const down = p.runs.filter((r) => r.stage === 'downstream').length
  if (down) out.push(`downstream (${down}): new / reuse (done) / state of an existing run, per seed`, ...downstreamMatrix(p).map((l) => `  ${l}`))
  out.push('')
  out.push(`runs per stage: ${Object.entries(p.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; total ${p.runs.length}, ${p.reused} already done (reused)`)
  for (const n of p.notes ?? []) out.push(n)
  const e = p.estimate
  if (e.measured) out.push(`estimated work left: ${formatDuration(e.totalSeconds)} on one slot, about ${formatDuration(e.wallSeconds)} on ${e.slots} slot(s) (${Object.entries(e.secondsByStage).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ')})`, `  ${e.basis}`)
  else out.push(`estimated work left: ${e.basis}`)
  process.stdout.write(`${out.join('\n')}\n`)
}

function printStatus(service: LabService, studyKey: string): number {
  const s = store.getStudy(service.ctx.db, studyKey)
  if (!s) throw new ApiError('NOT_FOUND', `There is no study "${studyKey}". List studies with \`xlab study list\`.`)
  const c = store.studyStateCounts(service.ctx.db, s.id)
  const lines = [`study ${s.name} (${s.id}): ${s.state}`, `  ${Object.entries(c).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ') || 'no runs'}`]
  for (const r of store.listRuns(service.ctx.db, { studyId: s.id })) if (r.state !== 'done') lines.push(`  ${r.state.padEnd(11)} ${r.name}${r.reason ? `: ${r.reason}` : ''}`)
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}

/**
 * Starts (or resumes) a study in this process and follows it until it settles. The queue starts
 * only now, focused on this study: another study left running (a killed lab) is not run here.
 * Ctrl-C (or SIGTERM) pauses the study: running runs checkpoint, and `xlab study resume` goes on;
 * a second Ctrl-C stops at once (the runs resume from their last checkpoint).
 */
async function runToEnd(service: LabService, studyId: string, args: CliArgs, resume: boolean): Promise<number> {
  const call = caller(service)
  const runner = await import('../../runner/lab-runner.ts')
  const queue = runner.runQueueOf(service.ctx)
  queue.focusOn(studyId)
  await runner.startRunQueue(service.ctx)
  const name = store.getStudy(service.ctx.db, studyId)?.name ?? studyId
  const tty = Boolean(process.stdout.isTTY) && !args.flags.plain && !args.flags.json
  const detach = watchStudy(service, studyId, { tty, out: process.stdout })
  let pausing = false
  let paused: () => void = () => undefined
  const pausedNow = new Promise<'paused'>((r) => (paused = () => r('paused')))
  const onSignal = () => {
    if (pausing) {
      process.stderr.write('\nxlab: stopping now; running runs resume from their last checkpoint.\n')
      void service.close().then(() => process.exit(130))
      return
    }
    pausing = true
    process.stderr.write(`\nxlab: pausing study ${name}; running runs write a checkpoint first (Ctrl-C again stops at once). \`xlab study resume ${name}\` continues.\n`)
    queue.pauseStudy(studyId)
    void queue.whenStudyIdle(studyId).then(paused)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  await call(resume ? 'studies.resume' : 'studies.start', { id: studyId })
  const state = await Promise.race([queue.whenSettled(studyId), pausedNow])
  detach()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.stdout.write(`study ${name}: ${state}\n`)
  if (pausing) return 130
  return state === 'done' ? 0 : 1
}

export async function run(args: CliArgs): Promise<number> {
  const [sub, name] = args.positional
  if (sub === 'config') {
    // The field reference, generated from the schema (also docs/study-config.md).
    const doc = await import('../../study/config-doc.ts')
    process.stdout.write(args.flags.markdown ? doc.configReferenceMarkdown() : doc.configReferenceText())
    return 0
  }
  if (!sub || args.flags.help) {
    process.stdout.write(HELP)
    return sub ? 0 : 2
  }
  if (sub === 'report') {
    const specifier = '../../analysis/report-cli.ts'
    let mod: { runReportCommand?: (a: CliArgs) => Promise<number> }
    try {
      mod = (await import(specifier)) as typeof mod
    } catch {
      throw new Error('Study reports are not available in this build (src-core/analysis/report-cli.ts is missing).')
    }
    if (!mod.runReportCommand) throw new Error('Study reports are not available in this build (runReportCommand is missing).')
    return mod.runReportCommand({ ...args, positional: args.positional.slice(1) })
  }
  const json = Boolean(args.flags.json)
  // `run` and `resume` start the queue themselves once the study is known (runToEnd).
  const service = await LabService.open({ dataRoot: flagString(args, 'data'), allowAllPaths: true, startQueue: false })
  const call = caller(service)
  try {
    switch (sub) {
      case 'list': {
        const list = (await call('studies.list', {})) as { id: string; name: string; state: string; counts: Record<string, number> }[]
        if (json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
        else for (const s of list) process.stdout.write(`${s.id}  ${s.name.padEnd(24)} ${s.state.padEnd(10)} ${Object.entries(s.counts).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')}\n`)
        return 0
      }
      case 'plan': {
        const config = applyExecutorFlags(await resolveConfig(call, configFrom(args, service, name)), args)
        if (args.flags.measure) {
          const r = (await call('studies.measure', { config })) as { device: string; imageSize: number; batchSize: number; trainImagesPerS: number; evalImagesPerS: number; startupS: number; calibrated: number }
          process.stderr.write(`measured ${r.device} at ${r.imageSize} px, batch ${r.batchSize}: ${r.trainImagesPerS.toFixed(1)} training, ${r.evalImagesPerS.toFixed(1)} evaluation images/s (ResNet-18), start-up ${r.startupS.toFixed(1)} s, fixed costs of ${r.calibrated} kind(s) of work timed\n`)
        }
        const plan = (await call('studies.plan', { config })) as PlanOut
        if (json) process.stdout.write(`${JSON.stringify({ config, ...plan }, null, 2)}\n`)
        else printPlan(plan)
        return 0
      }
      case 'create':
      case 'run': {
        if (!name) throw bad(`xlab study ${sub} needs a study name, e.g. \`xlab study ${sub} my-study --preset demo\`.`)
        const existing = store.getStudy(service.ctx.db, name)
        let id = existing?.id
        if (!existing || flagString(args, 'config') || flagString(args, 'preset') || hasExecutorFlags(args)) {
          const config = applyExecutorFlags(await resolveConfig(call, configFrom(args, service, name)), args)
          const s = (await call('studies.create', { name, config })) as { id: string; created: number; reused: number }
          process.stdout.write(`study ${name} (${s.id}): ${s.created} new run(s), ${s.reused} reused\n`)
          id = s.id
        }
        if (sub === 'create') return 0
        return await runToEnd(service, id!, args, false)
      }
      case 'resume': {
        if (!name) throw bad('xlab study resume needs a study name.')
        const s = store.getStudy(service.ctx.db, name)
        if (!s) throw new ApiError('NOT_FOUND', `There is no study "${name}".`)
        return await runToEnd(service, s.id, args, true)
      }
      case 'status':
        if (!name) throw bad('xlab study status needs a study name.')
        return printStatus(service, name)
      case 'results': {
        if (!name) throw bad('xlab study results needs a study name (xlab study list shows them).')
        const s = store.getStudy(service.ctx.db, name)
        if (!s) throw new ApiError('NOT_FOUND', `There is no study "${name}". List studies with \`xlab study list\`.`)
        const rows = resultRows(service.ctx.db, s.id)
        if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
        else if (!rows.length) process.stdout.write(`study ${s.name} (${s.state}) has no finished downstream runs yet; \`xlab study status ${s.name}\` shows where it is.\n`)
        else process.stdout.write(`Test-split results of study ${s.name} (${s.state}; per encoder / protocol / task):\n\n${formatResultTable(rows)}\n`)
        return 0
      }
      case 'export': {
        const file = args.positional[2]
        if (!name || !file) throw bad('xlab study export needs a study name and a file, e.g. `xlab study export demo demo.xlabstudy.gz`.')
        const r = (await call('studies.export', { id: name, file, weights: args.flags.weights === true })) as { file: string; runs: number; files: number; bytes: number }
        process.stdout.write(json ? `${JSON.stringify(r, null, 2)}\n` : `exported study ${name} to ${r.file}: ${r.runs} run(s), ${r.files} file(s), ${(r.bytes / 1e6).toFixed(1)} MB\n`)
        return 0
      }
      case 'import': {
        if (!name) throw bad('xlab study import needs an export file, e.g. `xlab study import demo.xlabstudy.gz`.')
        const r = (await call('studies.import', { file: name, name: flagString(args, 'name') })) as { id: string; name: string; created: number; reused: number; files: number; datasetNotes: string[] }
        if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
        else {
          process.stdout.write(`imported study ${r.name} (${r.id}): ${r.created} run(s) added, ${r.reused} already here, ${r.files} file(s)\n`)
          for (const n of r.datasetNotes) process.stdout.write(`note: ${n}\n`)
        }
        return 0
      }
      case 'cancel': {
        if (!name) throw bad('xlab study cancel needs a study name.')
        const s = (await call('studies.cancel', { id: name })) as { name: string; state: string }
        process.stdout.write(`study ${s.name}: ${s.state}\n`)
        return 0
      }
      default:
        throw bad(`Unknown study command "${sub}".\n\n${HELP}`)
    }
  } finally {
    await service.close()
  }
}
