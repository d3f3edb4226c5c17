#!/usr/bin/env node
// `npm run demo` (after scripts/setup.mjs): generates and imports the demo datasets if missing,
// runs the `demo` study (3 pretext tasks x 3 pretraining sets, extraction, linear + finetune for
// both tasks, scratch, 4 fusion sets x 2 modes, probes), prints the results table and where
// everything is stored. A second run reuses every finished run and returns in seconds.
//   node scripts/demo.mjs [--data DIR] [--plain]      (data root: --data, XLAB_DATA, else .xlab-data/)
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register()
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const argv = process.argv.slice(2)
const flag = (name) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const dataRoot = flag('data') || process.env.XLAB_DATA || join(root, '.xlab-data')
const say = (m) => process.stdout.write(`[demo] ${m}\n`)

const { LabService } = await import('../src-core/service/lab-service.ts')
const { runQueueOf } = await import('../src-core/runner/lab-runner.ts')
const { watchStudy, formatDuration } = await import('../src-core/runner/progress-view.ts')
const { resultRows, formatResultTable } = await import('../src-core/study/results-table.ts')
const { apiMethods } = await import('../src-core/api/index.ts')

const t0 = Date.now()
const service = await LabService.open({ dataRoot, allowAllPaths: true })
const call = (method, input = {}) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 'demo' })
let closing = false
const shutdown = async (code) => {
  if (closing) return
  closing = true
  await service.close()
  process.exit(code)
}
process.on('SIGINT', () => {
  process.stderr.write('\n[demo] stopping; running runs checkpoint and the next `npm run demo` resumes them.\n')
  void shutdown(130)
})

try {
  say(`data root: ${dataRoot}`)
  const NAMES = ['demo-chest', 'demo-natural', 'demo-brainct', 'demo-mammo']
  const before = new Map((await call('datasets.list')).map((d) => [d.name, d]))
  const missing = NAMES.filter((n) => before.get(n)?.status !== 'ready')
  if (!('datasets.generateDemo' in apiMethods)) throw new Error('This build cannot generate the demo datasets (datasets.generateDemo is missing).')
  // Always asked: it keeps every current demo dataset and makes again one from older generators or a
  // damaged one (datasets.generateDemo), which a listing alone does not tell.
  if (missing.length) say(`generating and importing the demo datasets (${missing.join(', ')}) ...`)
  const t = Date.now()
  const made = (await call('datasets.generateDemo', {})).datasets.filter((d) => before.get(d.name)?.id !== d.id).map((d) => d.name)
  say(made.length ? `datasets ${made.join(', ')} ready in ${formatDuration((Date.now() - t) / 1000)}` : 'demo datasets already imported')

  const preset = (await call('studies.presets')).find((p) => p.name === 'demo').config
  const plan = await call('studies.plan', { config: preset })
  const counts = Object.entries(plan.counts).map(([k, v]) => `${k} ${v}`).join(', ')
  say(`study "demo": ${plan.runs.length} runs (${counts}); ${plan.reused} already done; estimated ${formatDuration(plan.estimate.wallSeconds)} on ${plan.estimate.slots} slot(s)`)
  const study = await call('studies.create', { name: 'demo', config: preset })
  const tStudy = Date.now()
  const detach = watchStudy(service, study.id, { tty: Boolean(process.stdout.isTTY) && !argv.includes('--plain'), out: process.stdout })
  await call('studies.start', { id: study.id })
  const state = await runQueueOf(service.ctx).whenSettled(study.id)
  detach()
  say(`study ${state} in ${formatDuration((Date.now() - tStudy) / 1000)} (total with set-up ${formatDuration((Date.now() - t0) / 1000)})`)

  process.stdout.write(`\nTest-split results of the demo study (per encoder / protocol / task):\n\n${formatResultTable(resultRows(service.ctx.db, study.id))}\n\n`)
  const failed = (await call('runs.list', { studyId: study.id })).filter((r) => r.state !== 'done')
  for (const r of failed) say(`not done: ${r.name} (${r.state}${r.reason ? `: ${r.reason}` : ''})`)
  say(`stored under ${dataRoot}:`)
  say(`  lab.sqlite            runs, metrics, artifacts, logs (xlab runs list --data ${dataRoot})`)
  say(`  datasets/<id>/        the imported image caches`)
  say(`  runs/<run-id>/        checkpoints, encoders/, test_predictions.json, worker.log`)
  say(`  report:               xlab study report demo --data ${dataRoot}`)
  // Disk: what runs/ holds, and what the weights of finished runs (kept by default) would free.
  const usage = await call('storage.usage', {})
  const gb = (b) => `${(b / 1e9).toFixed(2)} GB`
  const optIn = usage.categories.filter((c) => c.optIn && c.bytes > 0)
  say(`runs/ holds ${gb(usage.totalBytes)} (encoders ${gb(usage.kept.encoderBytes)})${optIn.length ? `; the weights of finished runs, kept, are ${optIn.map((c) => `${c.id} ${gb(c.bytes)}`).join(', ')}: xlab runs prune --category ${optIn.map((c) => c.id).join(',')} --yes --data ${dataRoot} frees them` : ''}`)
  await shutdown(state === 'done' ? 0 : 1)
} catch (err) {
  process.stderr.write(`[demo] ${err.message ?? err}\n`)
  await shutdown(1)
}
