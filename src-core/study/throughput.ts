// Throughput measured on the device that runs a study (issue 23): the device's key, the
// measurement (`python -m xlab.throughput`: a ResNet-18's rates, then one real job of each kind of
// work the study plans, cut to a few steps, for the kind's fixed seconds), the rate book an
// estimate reads, and the timing a finished run adds to it. SQL lives in store/throughput.ts; the
// arithmetic in estimate.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { warmSettings } from '../runner/lab-runner.ts'
import { isNvidiaReport, queryNvidiaSmi } from '../environment/nvidia-smi.ts'
import { getDatasetByIdOrName } from '../store/datasets.ts'
import type { Db } from '../store/db.ts'
import * as store from '../store/runs.ts'
import type { RunRecord } from '../store/runs.ts'
import { getDeviceRates, kindTimings, putDeviceRates, putRunTiming, putWorkCosts, workCosts, type DeviceRates, type WorkCost } from '../store/throughput.ts'
import type { StudyConfig } from './config.ts'
import { modelledSeconds, runWork, type RateBook, type SplitSizes } from './estimate.ts'
import type { RunSpec, Stage } from './spec.ts'
import { runCaptured } from '../util/process.ts'

/** The device a study's jobs run on: its key names what the speed depends on. */
export interface DeviceChoice {
  /** `cpu/<threads>t` (threads per job), `cpu/auto` (torch's default threads) or `cuda/<GPU name>`. */
  key: string
  /** The engine's --device. */
  engineDevice: 'cpu' | 'cuda'
  /** torch threads per job on CPU (0: torch's default). */
  threads: number
}

/** The device of a study on this machine: the first GPU where the lab has GPU slots, else a CPU slot. */
export function deviceChoice(cfg: Pick<StudyConfig, 'device'>, gpuName: string | null): DeviceChoice {
  if (gpuName !== null && cfg.device.policy !== 'cpu') return { key: `cuda/${gpuName}`, engineDevice: 'cuda', threads: 0 }
  const t = cfg.device.threadsPerJob
  return { key: t > 0 ? `cpu/${t}t` : 'cpu/auto', engineDevice: 'cpu', threads: t }
}

let gpuName: string | null | undefined
/** The name of this machine's first GPU where the lab has `gpuSlots` GPU slots (asked once), else null. */
export function machineGpuName(gpuSlots: number): string | null {
  if (gpuSlots <= 0) return null
  if (gpuName === undefined) {
    const r = queryNvidiaSmi()
    gpuName = isNvidiaReport(r) ? (r.gpus[0]?.name ?? null) : null
  }
  // XLAB_GPUS can declare slots nvidia-smi does not see (a test, a driver it cannot reach).
  return gpuName ?? 'GPU'
}

/** Jobs a slot's worker runs before the runner starts it again (its warm settings; 1: a fresh process per job). */
export function workerJobs(env: NodeJS.ProcessEnv = process.env): number {
  const w = warmSettings(env)
  return w ? w.maxJobs : 1
}

/** Split sizes of the store's datasets, by name. */
export function splitSizesOf(db: Db): (name: string) => SplitSizes | null {
  const cache = new Map<string, SplitSizes | null>()
  return (name) => {
    if (!cache.has(name)) {
      const d = getDatasetByIdOrName(db, name)
      cache.set(name, d ? { train: d.splits.train ?? 0, val: d.splits.val ?? 0, test: d.splits.test ?? 0 } : null)
    }
    return cache.get(name)!
  }
}

/** What an estimate on `device` at `imageSize` can read from the store. */
export function rateBook(db: Db, device: string, imageSize: number): RateBook {
  return { device, rates: getDeviceRates(db, device, imageSize), timings: kindTimings(db, device, imageSize), costs: workCosts(db, device, imageSize) }
}

/** The smallest batch cap a CPU is measured with, and the pixels of one measured step there (a
 *  64-image step at 32 px): a CPU's images/s still rise with the batch at small images, while one step
 *  of a large batch at 224 px takes minutes there (see cpuBatchCap). */
const CPU_MEASURE_BATCH = 16
const CPU_MEASURE_STEP_PIXELS = 64 * 32 * 32

/** The largest batch a CPU is measured with at `imageSize`: a step of at most CPU_MEASURE_STEP_PIXELS, at least CPU_MEASURE_BATCH images. */
export function cpuBatchCap(imageSize: number): number {
  return Math.max(CPU_MEASURE_BATCH, Math.floor(CPU_MEASURE_STEP_PIXELS / (imageSize * imageSize)))
}

/** Optimiser steps of a calibration run that trains: the first 2 (the engine's TIMING_SKIP) are left out of its images/s. */
const CALIBRATION_STEPS = 6
/** The first pretext calibration run trains its whole step budget, cut to about this many seconds:
 *  the linear probes are calibrated on its encoder's features, since the L-BFGS fit of trained
 *  features takes several times the iterations of random-init ones (the weak-regularisation end of
 *  the C grid no longer converges in a few hundred). */
const TRAINED_CALIBRATION_S = 20
/** The calibration stops starting jobs after this many seconds (the kinds left are priced at the job
 *  set-up until finished runs refine them, and the estimate says so): a large study on a slow device
 *  (the paper preset's 224 px on a CPU) must not hold its measurement for hours. */
const CALIBRATION_BUDGET_S = 300
/** Train rows a calibration's downstream job reads at most (and images a generated cache holds): the
 *  L-BFGS fit of a larger train split is priced at this many rows until its finished runs refine it. */
const CALIBRATION_MAX_TRAIN = 4096

/** Names the calibration's generated caches and files stand under in a shrunk spec (never a dataset's name: those are checked). */
const FIXTURE = { pretrain: '@pretrain', downstream: '@downstream', encoder: '@encoder', checkpoint: '@checkpoint' } as const

/** One calibration job: a real run of a kind of work, its budget cut, its inputs the generated ones. */
export interface CalibrationJob {
  key: string
  stage: Stage
  spec: RunSpec
  /** Pretext: train the step budget, cut to about this many seconds (the encoder the probes are calibrated on). */
  budgetS?: number
}

/** A planned run to calibrate from: its stage and spec. */
export interface PlannedWork {
  stage: Stage
  spec: RunSpec
}

const STAGE_ORDER: Stage[] = ['pretext', 'extract', 'downstream', 'probe']

/**
 * One job per cost key of `runs` (the first planned run of the key; for fusion, the one with the
 * fewest encoders), in stage order so that the extraction finds a checkpoint. Budgets are cut:
 * pretext to CALIBRATION_STEPS optimiser steps (one validation round and checkpoint), except the
 * first pretext job, which trains its budget for at most TRAINED_CALIBRATION_S; finetune/scratch to
 * one epoch of CALIBRATION_STEPS steps; downstream train splits to CALIBRATION_MAX_TRAIN images; a
 * step to at most `batchCap` images. A job reads the study's own datasets where `imported` says they
 * are (the L-BFGS fit's iterations depend on the images and labels) and generated caches otherwise
 * (`downstreamDataset` by the labelled downstream one, any other by the pretraining one); the
 * encoders and checkpoints it would read are the calibration's: a seeded random-init encoder until
 * the calibrated extraction has written one, and the first calibrated pretext run's checkpoint.
 */
export function calibrationJobs(runs: readonly PlannedWork[], imageSize: number, downstreamDataset: string, batchCap: number, imported: (name: string) => boolean = () => false): CalibrationJob[] {
  const none = () => null
  const byKey = new Map<string, PlannedWork>()
  const encoders = (w: PlannedWork) => (Array.isArray(w.spec.params.encoders) ? w.spec.params.encoders.length : 0)
  for (const r of runs) {
    const key = runWork(r.spec, none, imageSize).costKey
    const had = byKey.get(key)
    if (!had || (encoders(r) > 0 && encoders(r) < encoders(had))) byKey.set(key, r)
  }
  const swap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(swap)
    if (!value || typeof value !== 'object') return value
    const o = value as Record<string, unknown>
    if (typeof o.$dataset === 'string') return { $dataset: imported(o.$dataset) ? o.$dataset : o.$dataset === downstreamDataset ? FIXTURE.downstream : FIXTURE.pretrain }
    if (typeof o.$encoder === 'string' || typeof o.$reference === 'string' || typeof o.$snapshot === 'string') return { $encoder: FIXTURE.encoder }
    if (typeof o.$checkpoint === 'string') return { $checkpoint: FIXTURE.checkpoint }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, swap(v)]))
  }
  const jobs: CalibrationJob[] = []
  const firstPretext = [...byKey.values()].find((r) => r.spec.kind === 'pretext')
  for (const [key, r] of byKey) {
    const params = swap(r.spec.params) as Record<string, unknown>
    const batch = (b: unknown) => Math.min(typeof b === 'number' ? b : batchCap, batchCap)
    if (r === firstPretext) {
      Object.assign(params, { batch_size: batch(params.batch_size) })
      jobs.push({ key, stage: r.stage, spec: { ...r.spec, params }, budgetS: TRAINED_CALIBRATION_S })
      continue
    }
    if (r.spec.kind === 'pretext') {
      Object.assign(params, { steps: CALIBRATION_STEPS, val_every_steps: CALIBRATION_STEPS, checkpoint_every_steps: CALIBRATION_STEPS, warmup_steps: 0, batch_size: batch(params.batch_size) })
    } else if (r.spec.kind === 'extract') {
      delete params.pretext // the generated checkpoint is whichever task was calibrated first
    } else if (r.spec.kind === 'downstream') {
      params.max_train_images = Math.min(typeof params.max_train_images === 'number' ? params.max_train_images : Infinity, CALIBRATION_MAX_TRAIN)
      if (params.protocol === 'finetune' || params.protocol === 'scratch') Object.assign(params, { epochs: 1, max_steps_per_epoch: CALIBRATION_STEPS, batch_size: Math.max(2, batch(params.batch_size)) })
    }
    jobs.push({ key, stage: r.stage, spec: { ...r.spec, params } })
  }
  return jobs.sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage))
}

/** A shrunk spec's placeholders as the engine's calibration reads them ({"$fixture": ...}, an imported dataset's folder). */
function fixtureParams(value: unknown, datasetDir: (name: string) => string | null): unknown {
  if (Array.isArray(value)) return value.map((v) => fixtureParams(v, datasetDir))
  if (!value || typeof value !== 'object') return value
  const o = value as Record<string, unknown>
  const name = o.$dataset ?? o.$encoder ?? o.$checkpoint
  if (typeof name === 'string' && name.startsWith('@')) return { $fixture: name.slice(1) }
  if (typeof o.$dataset === 'string') return datasetDir(o.$dataset)
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fixtureParams(v, datasetDir)]))
}

/** Images the generated caches hold: enough for the study's capped downstream train split (the L-BFGS
 *  fit's rows) and its pretraining validation subset, at most `cap` each (the engine splits them 60/20/20 by pairs). */
export function fixtureSizes(runs: readonly PlannedWork[], sizes: (name: string) => SplitSizes | null, downstreamDataset: string, cap: number): { pretrain: number; downstream: number } {
  const even = (n: number) => 2 * Math.ceil(Math.min(cap, Math.max(20, n)) / 2)
  let train = 0
  let val = 0
  for (const r of runs) {
    const p = r.spec.params
    const name = (ref: unknown) => (ref && typeof ref === 'object' && '$dataset' in ref ? String((ref as { $dataset: unknown }).$dataset) : null)
    const ds = name(p.dataset_dir)
    const s = ds ? sizes(ds) : null
    if (!s) continue
    if (r.spec.kind === 'downstream' && ds === downstreamDataset) train = Math.max(train, Math.min(s.train, typeof p.max_train_images === 'number' ? p.max_train_images : Infinity))
    if (r.spec.kind === 'pretext') val = Math.max(val, Math.min(s.val, typeof p.max_val_images === 'number' ? p.max_val_images : 512))
  }
  return { pretrain: even(val / 0.2), downstream: even(train / 0.6) }
}

/** What `python -m xlab.throughput` printed. */
interface ThroughputReport {
  image_size: number
  batch_size: number
  train_images_per_s: number
  eval_images_per_s: number
  job_s: number
  seconds: number
  fixtures?: Record<'pretrain' | 'downstream', SplitSizes>
  calibration?: { key: string; wall_s: number | null; images_per_s: number | null; steps?: number; val_every_steps?: number }[]
}

/** Fixed seconds per cost key: each calibration job's wall seconds less its images at the measured rates (its own training rate where it trains). */
export function fixedCosts(jobs: readonly CalibrationJob[], report: Required<Pick<ThroughputReport, 'fixtures' | 'calibration'>>, rates: Pick<DeviceRates, 'trainImagesPerS' | 'evalImagesPerS' | 'imageSize'>, datasetSizes: (name: string) => SplitSizes | null = () => null): Map<string, WorkCost> {
  const sizes = (name: string) => (name === FIXTURE.pretrain ? report.fixtures.pretrain : name === FIXTURE.downstream ? report.fixtures.downstream : datasetSizes(name))
  const features = new Set<string>()
  const costs = new Map<string, WorkCost>()
  jobs.forEach((j, i) => {
    const got = report.calibration[i]
    // A pretext job trained the steps it says (a budget cut to its seconds).
    const ran = got?.steps ? { ...j.spec, params: { ...j.spec.params, steps: got.steps, val_every_steps: got.val_every_steps ?? got.steps } } : j.spec
    const work = runWork(ran, sizes, rates.imageSize, features)
    if (!got || got.key !== j.key || got.wall_s === null) return
    const trainRate = work.trainImages > 0 && got.images_per_s ? got.images_per_s : null
    const imagesS = work.trainImages / (trainRate ?? rates.trainImagesPerS) + work.evalImages / rates.evalImagesPerS
    costs.set(j.key, { fixedS: Math.max(0, got.wall_s - imagesS), trainImagesPerS: trainRate })
  })
  return costs
}

/**
 * Measures a ResNet-18 on the device (about `seconds` of training and half as much evaluation,
 * after the process's own start-up, which is recorded too), then, given the study's planned `runs`,
 * one real job of each kind of work they hold (calibrationJobs) on generated caches of the study's
 * sizes, for each kind's fixed seconds; stores both. `slots` measurements run at once (the
 * study's slots on this device), their means stored. Throws with the engine's last stderr lines
 * when a measurement fails.
 */
export async function measureThroughput(db: Db, o: { python: string; engineDir: string; device: DeviceChoice; imageSize: number; batchSize: number; seconds?: number; timeoutMs?: number; signal?: AbortSignal; runs?: readonly PlannedWork[]; downstreamDataset?: string; slots?: number }): Promise<DeviceRates & { calibrated: number }> {
  const sep = process.platform === 'win32' ? ';' : ':'
  const env = { ...process.env, PYTHONPATH: [o.engineDir, process.env.PYTHONPATH].filter(Boolean).join(sep), ...(o.device.threads > 0 ? { OMP_NUM_THREADS: String(o.device.threads), MKL_NUM_THREADS: String(o.device.threads) } : {}) }
  // A CPU is measured at the study's batch, at most cpuBatchCap images (a large batch at 224 px takes minutes a step there).
  const cap = o.device.engineDevice === 'cpu' ? cpuBatchCap(o.imageSize) : Infinity
  const batch = Math.min(o.batchSize, cap)
  const args = ['-m', 'xlab.throughput', '--size', String(o.imageSize), '--batch', String(batch), '--device', o.device.engineDevice, '--threads', String(o.device.threads), '--seconds', String(o.seconds ?? 3)]
  const ready = (name: string) => {
    const d = getDatasetByIdOrName(db, name)
    return d && d.status === 'ready' ? d.dir : null
  }
  const sizes = splitSizesOf(db)
  const jobs = o.runs?.length ? calibrationJobs(o.runs, o.imageSize, o.downstreamDataset ?? '', cap, (name) => ready(name) !== null) : []
  const dir = jobs.length ? mkdtempSync(join(tmpdir(), 'xlab-calibrate-')) : null
  if (dir) {
    // Generated caches stand in for datasets not imported yet: the study's sizes, at most 4,096 images each (a CPU at 224 px generates and embeds those in minutes).
    const n = fixtureSizes(o.runs!, sizes, o.downstreamDataset ?? '', CALIBRATION_MAX_TRAIN)
    writeFileSync(join(dir, 'calibrate.json'), JSON.stringify({ pretrain: { n: n.pretrain }, downstream: { n: n.downstream }, budget_s: CALIBRATION_BUDGET_S, jobs: jobs.map((j) => ({ key: j.key, kind: j.spec.kind, params: fixtureParams(j.spec.params, ready), ...(j.budgetS ? { budget_s: j.budgetS } : {}) })) }))
    args.push('--calibrate', join(dir, 'calibrate.json'))
  }
  // Each of the study's slots on this device runs the measurement at once: a slot's rates and fixed
  // seconds are those it gets while the other slots work too (on a CPU they share caches, memory
  // bandwidth and any free core), as they do when the study runs. The figures are their means.
  const parallel = Math.max(1, Math.floor(o.slots ?? 1))
  try {
    const one = async () => {
      const t0 = performance.now()
      // The signal (the lab shutting down) kills the measurement; it is taken again next time.
      const { code, stdout, stderr } = await runCaptured(o.python, args, { env, timeoutMs: o.timeoutMs ?? (jobs.length ? 900_000 : 300_000), ...(o.signal ? { signal: o.signal } : {}) })
      const wallS = (performance.now() - t0) / 1000
      try {
        if (code !== 0) throw new Error(`exit ${code}`)
        return { r: JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ThroughputReport & { calibration_s?: number }, wallS }
      } catch {
        const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code}`
        throw new Error(`Measuring the throughput of ${o.device.key} at ${o.imageSize} px failed (${why}). Check the engine environment with \`xlab doctor\`.`)
      }
    }
    const runs = await Promise.all(Array.from({ length: parallel }, one))
    const mean = (f: (x: (typeof runs)[number]) => number) => runs.reduce((t, x) => t + f(x), 0) / runs.length
    const r = runs[0]!.r
    const rates: DeviceRates = {
      device: o.device.key,
      imageSize: r.image_size,
      batchSize: r.batch_size,
      trainImagesPerS: mean((x) => x.r.train_images_per_s),
      evalImagesPerS: mean((x) => x.r.eval_images_per_s),
      startupS: Math.max(0, mean((x) => x.wallS - x.r.seconds - (x.r.calibration_s ?? 0))),
      jobS: mean((x) => x.r.job_s),
      measuredAt: new Date().toISOString(),
    }
    putDeviceRates(db, rates)
    const each = runs.map((x) => (jobs.length && x.r.calibration && x.r.fixtures ? fixedCosts(jobs, { calibration: x.r.calibration, fixtures: x.r.fixtures }, rates, sizes) : new Map<string, WorkCost>()))
    const costs = meanCosts(each)
    // A measurement without calibration (no plan given) keeps the costs measured before.
    if (jobs.length) putWorkCosts(db, rates.device, rates.imageSize, costs, rates.measuredAt)
    return { ...rates, calibrated: costs.size }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}

/** The mean fixed seconds (and training rate) per cost key over measurements taken at once; a key only where every one has it. */
export function meanCosts(each: readonly ReadonlyMap<string, WorkCost>[]): Map<string, WorkCost> {
  const out = new Map<string, WorkCost>()
  for (const key of each[0]?.keys() ?? []) {
    const all = each.map((m) => m.get(key))
    if (all.some((c) => !c)) continue
    const rates = all.map((c) => c!.trainImagesPerS).filter((v): v is number => v !== null)
    out.set(key, { fixedS: all.reduce((t, c) => t + c!.fixedS, 0) / all.length, trainImagesPerS: rates.length === all.length ? rates.reduce((t, v) => t + v, 0) / rates.length : null })
  }
  return out
}

/**
 * Adds a finished run to its kind's timing on `device`: its wall seconds (start to finish of its
 * last attempt) against what the rates predict. Does nothing without rates at its size or times.
 */
export function recordRunTiming(db: Db, run: RunRecord, device: string, studyImageSize: number): boolean {
  if (run.state !== 'done' || !run.startedAt || !run.finishedAt) return false
  const sizes = splitSizesOf(db)
  // The frozen features that runs finished before this one started had already computed (and cached).
  const features = new Set<string>()
  for (const r of store.listRuns(db, { state: 'done' })) {
    if (r.id !== run.id && r.stage === 'downstream' && r.finishedAt && r.finishedAt <= run.startedAt) runWork(r.spec, sizes, studyImageSize, features)
  }
  const work = runWork(run.spec, sizes, studyImageSize, features)
  const rates = getDeviceRates(db, device, work.imageSize)
  if (!rates) return false
  const costs = workCosts(db, device, work.imageSize)
  const wallS = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000
  if (!(wallS >= 0)) return false
  putRunTiming(db, { runId: run.id, device, workKind: work.kind, imageSize: work.imageSize, wallS, modelledS: modelledSeconds(work, rates, costs), finishedAt: run.finishedAt })
  return true
}
