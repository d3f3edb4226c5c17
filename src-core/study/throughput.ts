// Throughput measured on the device that runs a study (issue 23): the device's key, the
// measurement (`python -m xlab.throughput`), the rate book an estimate reads, and the timing a
// finished run adds to it. SQL lives in store/throughput.ts; the arithmetic in estimate.ts.
import { isNvidiaReport, queryNvidiaSmi } from '../environment/nvidia-smi.ts'
import { getDatasetByIdOrName } from '../store/datasets.ts'
import type { Db } from '../store/db.ts'
import * as store from '../store/runs.ts'
import type { RunRecord } from '../store/runs.ts'
import { getDeviceRates, kindTimings, putDeviceRates, putRunTiming, type DeviceRates } from '../store/throughput.ts'
import type { StudyConfig } from './config.ts'
import { modelledSeconds, runWork, type RateBook, type SplitSizes } from './estimate.ts'
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
  return { device, rates: getDeviceRates(db, device, imageSize), timings: kindTimings(db, device, imageSize) }
}

/** The largest batch a CPU is measured with (see measureThroughput). */
const CPU_MEASURE_BATCH = 16

/** What `python -m xlab.throughput` printed. */
interface ThroughputReport {
  image_size: number
  batch_size: number
  train_images_per_s: number
  eval_images_per_s: number
  job_s: number
  seconds: number
}

/**
 * Measures a ResNet-18 on the device (about `seconds` of training and half as much evaluation,
 * after the process's own start-up, which is recorded too) and stores the rates. Throws with the
 * engine's last stderr lines when the measurement fails.
 */
export async function measureThroughput(db: Db, o: { python: string; engineDir: string; device: DeviceChoice; imageSize: number; batchSize: number; seconds?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<DeviceRates> {
  const sep = process.platform === 'win32' ? ';' : ':'
  const env = { ...process.env, PYTHONPATH: [o.engineDir, process.env.PYTHONPATH].filter(Boolean).join(sep), ...(o.device.threads > 0 ? { OMP_NUM_THREADS: String(o.device.threads), MKL_NUM_THREADS: String(o.device.threads) } : {}) }
  // A CPU's images/s hardly change with the batch beyond a few images, while one step of a large batch at
  // 224 px takes minutes there: the CPU is measured at a batch of at most CPU_MEASURE_BATCH.
  const batch = o.device.engineDevice === 'cpu' ? Math.min(o.batchSize, CPU_MEASURE_BATCH) : o.batchSize
  const args = ['-m', 'xlab.throughput', '--size', String(o.imageSize), '--batch', String(batch), '--device', o.device.engineDevice, '--threads', String(o.device.threads), '--seconds', String(o.seconds ?? 3)]
  const t0 = performance.now()
  // The signal (the lab shutting down) kills the measurement; it is taken again next time.
  const { code, stdout, stderr } = await runCaptured(o.python, args, { env, timeoutMs: o.timeoutMs ?? 300_000, ...(o.signal ? { signal: o.signal } : {}) })
  const wallS = (performance.now() - t0) / 1000
  let r: ThroughputReport
  try {
    if (code !== 0) throw new Error(`exit ${code}`)
    r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ThroughputReport
  } catch {
    const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code}`
    throw new Error(`Measuring the throughput of ${o.device.key} at ${o.imageSize} px failed (${why}). Check the engine environment with \`xlab doctor\`.`)
  }
  const rates: DeviceRates = {
    device: o.device.key,
    imageSize: r.image_size,
    batchSize: r.batch_size,
    trainImagesPerS: r.train_images_per_s,
    evalImagesPerS: r.eval_images_per_s,
    startupS: Math.max(0, wallS - r.seconds),
    jobS: r.job_s,
    measuredAt: new Date().toISOString(),
  }
  putDeviceRates(db, rates)
  return rates
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
  const wallS = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000
  if (!(wallS >= 0)) return false
  putRunTiming(db, { runId: run.id, device, workKind: work.kind, imageSize: work.imageSize, wallS, modelledS: modelledSeconds(work, rates), finishedAt: run.finishedAt })
  return true
}
