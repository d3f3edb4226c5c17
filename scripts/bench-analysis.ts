// `npm run bench` part "analysis": the study analysis at the users' scale (issue 21). A synthetic
// finished study of 177 downstream runs over 3 seeds (the paper preset's shape: pretext encoders,
// random-init, scratch, fusion, a label fraction; binary and 3-class targets) with 400, 5,000 and
// 25,596 test images, about 2.5 images per patient, analysed with 1,000 resamples. Each size runs
// in its own process (peak RSS is per process): the run folders are written in the engine's binary
// form (test_predictions.npy + summary.json), then read back and analysed; CPU = user + system.
// Reference: the implementation before issue 21 (tests/core/analysis/reference), on the same input,
// at the smallest size. Targets at 25,596 rows: <= 60 CPU-s and <= 1 GB peak RSS.
// XLAB_BENCH_ANALYSIS_ROWS=400,5000 limits the sizes; XLAB_BENCH_ANALYSIS_REPLICATES changes the resamples;
// XLAB_BENCH_ANALYSIS_OLD=0 skips the reference run.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StudyData } from '../src-core/analysis/collect.ts'
import { writeNpy } from '../src-core/datasets/npy.ts'
import type { ResultRun } from '../src-core/store/results.ts'
import { mulberry32 } from '../src-core/util/rng.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const REPLICATES = Number(process.env.XLAB_BENCH_ANALYSIS_REPLICATES ?? 1000)

interface SpecRun {
  name: string
  seed: number
  target: 'binary' | '3class'
  protocol: string
  fusionMode: string | null
  encoders: string[]
  fraction: number
  strength: number
}

const PRETEXTS = ['rotation', 'inpainting', 'structure']
const DATASETS = ['natural', 'brainct', 'mammo']

/** 59 runs per seed, 177 over 3 seeds. */
export function studyShape(): SpecRun[] {
  const out: SpecRun[] = []
  const encoders = [...PRETEXTS.flatMap((p) => DATASETS.map((d) => `${p}/${d}`)), 'random-init']
  const strengthOf = (e: string) => (e === 'random-init' ? 0.3 : 0.6 + 0.15 * PRETEXTS.indexOf(e.split('/')[0]!) + 0.1 * DATASETS.indexOf(e.split('/')[1]!))
  const fusions = [['rotation/mammo', 'inpainting/mammo'], ['structure/brainct', 'rotation/natural']]
  for (const seed of [0, 1, 2]) {
    for (const target of ['binary', '3class'] as const) {
      for (const protocol of ['linear', 'finetune']) for (const e of encoders) out.push({ name: `${target}-${protocol}-${e}-s${seed}`, seed, target, protocol, fusionMode: null, encoders: [e], fraction: 1, strength: strengthOf(e) + (protocol === 'finetune' ? 0.1 : 0) })
      out.push({ name: `${target}-scratch-s${seed}`, seed, target, protocol: 'scratch', fusionMode: null, encoders: [], fraction: 1, strength: 0.5 })
      for (const f of fusions) out.push({ name: `${target}-fusion-linear-${f.join('+')}-s${seed}`, seed, target, protocol: 'linear', fusionMode: 'linear', encoders: f, fraction: 1, strength: 1.1 })
    }
    for (const e of encoders) out.push({ name: `binary-linear-${e}-f0.25-s${seed}`, seed, target: 'binary', protocol: 'linear', fusionMode: null, encoders: [e], fraction: 0.25, strength: strengthOf(e) * 0.7 })
    out.push({ name: `binary-scratch-f0.25-s${seed}`, seed, target: 'binary', protocol: 'scratch', fusionMode: null, encoders: [], fraction: 0.25, strength: 0.3 })
    for (const f of fusions) out.push({ name: `binary-fusion-finetune-${f.join('+')}-s${seed}`, seed, target: 'binary', protocol: 'finetune', fusionMode: 'finetune', encoders: f, fraction: 1, strength: 1.2 })
  }
  return out
}

/** Patient id per test image: groups of 1-4 images, about 2.5 per patient. */
function patientsOf(n: number): number[] {
  const rand = mulberry32(17)
  const out: number[] = []
  let p = 0
  while (out.length < n) {
    const size = 1 + Math.floor(rand() * 4)
    for (let j = 0; j < size && out.length < n; j++) out.push(p)
    p++
  }
  return out
}

/** Writes the run folders (binary predictions + summary.json) of a study with n test images. */
export function writeStudy(dir: string, n: number): void {
  const patients = patientsOf(n)
  const prand = mulberry32(5)
  const patientTarget = new Map<number, { b: number; c: number }>()
  for (const p of new Set(patients)) patientTarget.set(p, { b: prand() < 0.45 ? 1 : 0, c: Math.floor(prand() * 3) })
  writeFileSync(join(dir, 'patients.json'), JSON.stringify(patients))
  studyShape().forEach((s, r) => {
    const rand = mulberry32(1000 + r)
    const k = s.target === 'binary' ? 2 : 3
    const classes = s.target === 'binary' ? ['No Finding', 'Finding'] : ['No Finding', 'Pneumonia', 'Other finding']
    const width = 2 + k
    const mat = new Float64Array(n * width)
    for (let i = 0; i < n; i++) {
      const t = s.target === 'binary' ? patientTarget.get(patients[i]!)!.b : patientTarget.get(patients[i]!)!.c
      const logits = Array.from({ length: k }, (_, c) => (c === t ? s.strength : 0) + (rand() + rand() + rand() - 1.5) * 1.4)
      const m = Math.max(...logits)
      const e = logits.map((l) => Math.exp(l - m))
      const sum = e.reduce((a, b) => a + b, 0)
      mat[i * width] = i
      mat[i * width + 1] = t
      for (let c = 0; c < k; c++) mat[i * width + 2 + c] = Math.round((e[c]! / sum) * 1e6) / 1e6
    }
    const runDir = join(dir, `run-${r}`)
    mkdirSync(runDir)
    writeNpy(join(runDir, 'test_predictions.npy'), 'f8', [n, width], mat)
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ class_names: classes, multilabel: false, best: { epoch: 1, metrics: { roc_auc: 0.6 + 0.1 * s.strength + 0.01 * s.seed } } }))
  })
}

/** The StudyData the analysis reads, from the run folders (predictions read as collect.ts reads them). */
async function loadStudy(dir: string): Promise<StudyData> {
  const { readRunPredictions } = await import('../src-core/analysis/predictions.ts')
  const patients = JSON.parse(readFileSync(join(dir, 'patients.json'), 'utf8')) as number[]
  const shape = studyShape()
  const runs = shape.map((s, r) => {
    const runDir = join(dir, `run-${r}`)
    const pred = readRunPredictions(runDir)
    if (!pred || pred.multilabel) throw new Error(`bench: ${runDir} has no class predictions`)
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>
    const run = {
      id: `r-${r.toString(16).padStart(12, '0')}`,
      studyId: 'bench',
      name: s.name,
      stage: 'downstream',
      state: 'done',
      reason: null,
      attempts: 1,
      pretext: s.encoders.length === 1 && s.encoders[0] !== 'random-init' ? s.encoders[0]!.split('/')[0]! : null,
      pretrainDataset: s.encoders.length === 1 && s.encoders[0] !== 'random-init' ? s.encoders[0]!.split('/')[1]! : null,
      seed: s.seed,
      target: s.target,
      protocol: s.protocol,
      fusionMode: s.fusionMode,
      encoders: s.encoders,
      runDir,
      summary,
      createdAt: '2026-01-01T00:00:00Z',
      startedAt: null,
      finishedAt: '2026-01-01T01:00:00Z',
      progress: null,
      spec: { kind: 'downstream', seed: s.seed, params: s.fraction < 1 ? { label_fraction: s.fraction } : {} },
      specHash: `h${r}`,
      hash: `h${r}`,
      deps: [],
    } as unknown as ResultRun
    const { multilabel: _, ...p } = pred
    return { run, pred: p, loss: null }
  })
  const indices = runs[0]!.pred.indices
  const study = { id: 'bench', name: 'bench', config: { seeds: [0, 1, 2], pretrainDatasets: DATASETS, downstreamDataset: 'chest' }, createdAt: '', state: 'done' }
  return { study, runs, snapshotRuns: [], indices, patients, datasetDir: null, probes: [], allRuns: runs.map((l) => l.run), provenance: new Map(), generated: [], warnings: [], multilabel: { runs: [], indices: [], patients: null } }
}

async function child(): Promise<void> {
  const dir = arg('--dir')!
  const impl = arg('--impl')!
  const opts = { replicates: REPLICATES, seed: 20240607, level: 0.95 }
  const t0 = process.cpuUsage()
  const data = await loadStudy(dir)
  const t1 = process.cpuUsage()
  const analyze = impl === 'old' ? (await import('../tests/core/analysis/reference/analyze.ts')).analyzeStudy : (await import('../src-core/analysis/analyze.ts')).analyzeStudy
  const a = analyze(data, opts)
  const t2 = process.cpuUsage()
  const cpu = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6
  const res = { load: cpu(t1) - cpu(t0), analysis: cpu(t2) - cpu(t1), total: cpu(t2) - cpu(t0), rssMB: process.resourceUsage().maxRSS / 1024, runs: a.runs.length, cells: a.cells.length, h2: a.h2.length, firstAuc: a.runs[0]!.metrics.roc_auc }
  process.stdout.write(JSON.stringify(res) + '\n')
}

async function main(): Promise<void> {
  const out = arg('--out')
  const sizes = (process.env.XLAB_BENCH_ANALYSIS_ROWS ?? '400,5000,25596').split(',').map(Number)
  const results: { name: string; value: number; unit: string; reference?: number | null; ratio?: number | null }[] = []
  const base = mkdtempSync(join(tmpdir(), 'xlab-bench-analysis-'))
  try {
    for (const [si, n] of sizes.entries()) {
      const dir = join(base, `n${n}`)
      mkdirSync(dir)
      writeStudy(dir, n)
      const run = (impl: string) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--dir', dir, '--impl', impl], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
        if (r.status !== 0) throw new Error(`bench-analysis child (${impl}, ${n} rows) failed: ${r.stderr}`)
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { load: number; analysis: number; total: number; rssMB: number; runs: number; firstAuc: { lo: number | null } }
      }
      const now = run('new')
      process.stderr.write(`[analysis] ${n} rows: ${JSON.stringify(now)}\n`)
      const ref = si === 0 && process.env.XLAB_BENCH_ANALYSIS_OLD !== '0' ? run('old') : null
      if (ref && ref.firstAuc.lo !== now.firstAuc.lo) throw new Error(`bench-analysis: the old and new analyses differ at ${n} rows (${ref.firstAuc.lo} vs ${now.firstAuc.lo})`)
      process.stderr.write(`[analysis] ${now.runs} runs x ${n} rows x ${REPLICATES} resamples: CPU ${now.total.toFixed(1)} s (read ${now.load.toFixed(1)} s), peak RSS ${now.rssMB.toFixed(0)} MB${ref ? `; before issue 21: CPU ${ref.total.toFixed(1)} s, peak RSS ${ref.rssMB.toFixed(0)} MB` : ''}\n`)
      results.push({ name: `analysis ${now.runs} runs x ${n} rows x ${REPLICATES} resamples: CPU`, value: now.total, unit: 's', reference: ref?.total ?? null, ratio: ref ? ref.total / now.total : null })
      results.push({ name: `analysis ${now.runs} runs x ${n} rows: peak RSS`, value: now.rssMB, unit: 'MB', reference: ref?.rssMB ?? null, ratio: ref ? ref.rssMB / now.rssMB : null })
      rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
  if (out) writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
}

// --write DIR --rows N writes a study and stops (to profile a child on it).
if (process.argv.includes('--child')) await child()
else if (arg('--write')) writeStudy(arg('--write')!, Number(arg('--rows') ?? 400))
else await main()
