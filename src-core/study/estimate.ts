// Work estimates from throughput measured on the device that runs the work (issue 23).
//
// A run's work is counted in network images from its spec and the dataset sizes: images trained
// (forward + backward) and images evaluated (no-grad forward: validation, feature passes, the
// shortcut score's random-init pass). Its seconds are
//     fixed seconds of its kind + trained / train rate + evaluated / eval rate
// with the rates of a ResNet-18 measured on that device at the run's image size (device_rates:
// `python -m xlab.throughput`), the kind's own training rate where it trains something else (a
// pretext task's step: inpainting's decoder), and the kind's fixed seconds: what a real run of that
// kind of work, cut to a few steps, took beyond its images when the device was measured
// (work_costs: set-up, loading, the L-BFGS probe fit over its C grid, kNN, checkpoint and encoder
// writes, test outputs; `python -m xlab.throughput --calibrate`). Each slot's warm worker pays the
// process start-up (torch import) before its first run and again each time it is recycled (after
// `workerJobs` jobs). Finished runs then refine each work kind: the sum of their wall seconds over
// the sum of their modelled seconds (run_timings) multiplies the kind's estimate. Nothing here is a
// per-image or per-run constant: where nothing is measured the estimate says so and gives no seconds.
//
// The wall time of a set of runs is their schedule over the slots: each free slot takes the first
// queued run whose dependencies are done (the queue's own rule), running runs holding their slot for
// their remaining seconds.
import type { DeviceRates, KindTiming, WorkCost } from '../store/throughput.ts'
import type { RunSpec, Stage } from './spec.ts'

/** Images per split of a dataset. */
export interface SplitSizes {
  train: number
  val: number
  test: number
}

/** What a run makes the device do, in network images. */
export interface RunWork {
  /** Work kind: its timing class (pretext-rotation, downstream-linear, extract, probe-invariance, ...). */
  kind: string
  /** The work kind with what its fixed cost depends on (downstream: protocol/target/label fraction): the key of work_costs. */
  costKey: string
  /** Image size the work runs at. */
  imageSize: number
  /** Images through a training step (forward + backward + optimiser). */
  trainImages: number
  /** Images through an evaluation forward pass. */
  evalImages: number
}

/** What the estimate is made of on one device. */
export interface RateBook {
  /** Device key (study/throughput.ts deviceKey). */
  device: string
  /** Measured rates at the study's image size on that device, null when none. */
  rates: DeviceRates | null
  /** Finished runs' timings at that size, by work kind. */
  timings: ReadonlyMap<string, KindTiming>
  /** Measured fixed costs at that size, by cost key (empty when the device was measured without them). */
  costs: ReadonlyMap<string, WorkCost>
}

/** A run to estimate: its spec and dependencies (planned or stored). */
export interface EstimatedRun {
  id: string
  stage: Stage
  spec: RunSpec
  deps: readonly string[]
}

/** The estimate for a list of runs. */
export interface WorkEstimate {
  /** Whether throughput is measured on the device (else no seconds are given). */
  measured: boolean
  /** The device the estimate is for. */
  device: string
  /** A sentence on what the figures rest on (measured when, refined by how many runs) or what is missing. */
  basis: string
  /** Seconds of work per stage, on one slot (empty when not measured). */
  secondsByStage: Record<string, number>
  /** Total seconds on one slot (null when not measured). */
  totalSeconds: number | null
  /** Wall seconds of the schedule over the slots, dependencies respected (null when not measured). */
  wallSeconds: number | null
}

const datasetOf = (ref: unknown): string | null => (ref && typeof ref === 'object' && '$dataset' in ref ? String((ref as { $dataset: string }).$dataset) : null)
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
/** The engine's default validation subset of a pretext run (engine/xlab/jobs.py max_val_images). */
const ENGINE_MAX_VAL_IMAGES = 512
/** The engine's shortcut-score samples: at most FIT + HELD_OUT, at most half the run's network
 *  images, at least 768 (engine/xlab/shortcut.py sample_counts); each one a random-init forward pass. */
const ENGINE_SHORTCUT_SAMPLES = 3072
const ENGINE_SHORTCUT_MIN_SAMPLES = 768

/** Shortcut-score samples of a pretext run of `networkImages` (0 for a task that learns labels or a run without the score). */
export function shortcutSamples(params: Record<string, unknown>, networkImages: number): number {
  if (params.task === 'supervised' || params.shortcut_score === false) return 0
  return Math.max(ENGINE_SHORTCUT_MIN_SAMPLES, Math.min(ENGINE_SHORTCUT_SAMPLES, Math.floor(networkImages / 2)))
}

/** A run's work from its spec; `imageSize` for kinds whose spec has none (extract). `features`: the
 *  frozen-feature passes already paid for by earlier runs of the same estimate (the engine caches an
 *  encoder's features per split and shares them with every linear and kNN run, downstream/features.py);
 *  a run adds the passes it pays for. */
export function runWork(spec: RunSpec, sizes: (dataset: string) => SplitSizes | null, imageSize: number, features: Set<string> = new Set()): RunWork {
  const p = spec.params
  const size = num(p.image_size, imageSize)
  const split = (ref: unknown): SplitSizes => {
    const name = datasetOf(ref)
    return (name && sizes(name)) || { train: 0, val: 0, test: 0 }
  }
  switch (spec.kind) {
    case 'pretext': {
      const steps = num(p.steps, 0)
      const d = split(p.dataset_dir)
      const rounds = Math.ceil(steps / Math.max(1, num(p.val_every_steps, Math.ceil(steps / 4))))
      const trainImages = steps * num(p.batch_size, 0)
      const kind = `pretext-${String(p.task)}`
      return { kind, costKey: kind, imageSize: size, trainImages, evalImages: rounds * Math.min(d.val, num(p.max_val_images, ENGINE_MAX_VAL_IMAGES)) + shortcutSamples(p, trainImages) }
    }
    case 'extract':
      return { kind: 'extract', costKey: 'extract', imageSize: size, trainImages: 0, evalImages: 0 }
    case 'downstream': {
      const d = split(p.dataset_dir)
      const protocol = String(p.protocol)
      // What a run's fixed cost depends on: the L-BFGS fit's classes and train rows, the kNN's, the checkpoints of a trained one.
      const costKey = `downstream-${protocol}/${String(p.target ?? 'binary')}/${num(p.label_fraction, 1)}`
      const n = Math.max(1, Array.isArray(p.encoders) ? p.encoders.length : 1)
      const train = Math.min(Math.round(d.train * num(p.label_fraction, 1)), num(p.max_train_images, Infinity))
      if (protocol === 'linear' || protocol === 'knn') {
        // AdaBN features belong to their run alone (never cached).
        const cached = p.batchnorm !== 'adabn'
        let evalImages = 0
        for (const enc of Array.isArray(p.encoders) && p.encoders.length ? p.encoders : [null]) {
          for (const [splitName, images] of [[`train@${num(p.label_fraction, 1)}`, train], ['val', d.val], ['test', d.test]] as const) {
            const key = JSON.stringify([enc, p.dataset_dir, size, splitName])
            if (cached && features.has(key)) continue
            features.add(key)
            evalImages += images
          }
        }
        return { kind: `downstream-${protocol}`, costKey, imageSize: size, trainImages: 0, evalImages }
      }
      const epochs = num(p.epochs, 1)
      const perEpoch = Math.min(train, num(p.max_steps_per_epoch, Infinity) * num(p.batch_size, 1))
      // LP-FT first embeds the train images twice without gradients (BatchNorm re-estimation, probe features).
      const probe = p.head_init === 'linear_probe' ? 2 * train : 0
      return { kind: `downstream-${protocol}`, costKey, imageSize: size, trainImages: n * epochs * perEpoch, evalImages: n * (epochs * d.val + d.test + probe) }
    }
    case 'probe': {
      const images = num(p.n_images, 64)
      // invariance: ten transforms of each image; similarity: the images of every pretraining set and the reference.
      const passes = p.mode === 'similarity' ? Object.keys((p.dataset_dirs as object) ?? {}).length + 1 : 10
      const kind = `probe-${String(p.mode)}`
      return { kind, costKey: kind, imageSize: size, trainImages: 0, evalImages: images * passes }
    }
  }
}

/** Seconds the measurements predict for a run's work: its kind's measured fixed seconds (the
 *  rates' job set-up where its kind was not calibrated) and its images at the measured rates (the
 *  kind's own training rate where one was measured). */
export function modelledSeconds(work: RunWork, rates: DeviceRates, costs: ReadonlyMap<string, WorkCost> = new Map()): number {
  const c = costs.get(work.costKey)
  return (c ? c.fixedS : rates.jobS) + work.trainImages / (c?.trainImagesPerS ?? rates.trainImagesPerS) + work.evalImages / rates.evalImagesPerS
}

/** What finished runs of a kind took against the model (1 when none finished yet). */
export function kindFactor(timings: ReadonlyMap<string, KindTiming>, kind: string): number {
  const t = timings.get(kind)
  return t && t.runs > 0 && t.modelledS > 0 ? t.wallS / t.modelledS : 1
}

/** A run's estimated seconds on the book's device, null when nothing is measured there. */
export function runSeconds(work: RunWork, book: RateBook): number | null {
  if (!book.rates || book.rates.imageSize !== work.imageSize) return null
  return modelledSeconds(work, book.rates, book.costs) * kindFactor(book.timings, work.kind)
}

/** A job of the schedule: seconds it takes, the jobs it waits for. */
export interface ScheduledJob {
  id: string
  seconds: number
  deps: readonly string[]
}

/** A warm worker's recycling: it starts again (paying `seconds`) after every `every` jobs on its slot. */
export interface WorkerRestarts {
  every: number
  seconds: number
}

/**
 * Wall seconds until every job is done on `slots` slots: `running` jobs hold a slot each for their
 * remaining seconds; each slot that frees takes the first queued job (in the given order) whose
 * dependencies are all done or not in the list (already done). Jobs whose dependencies never finish
 * (a dependency failed outside the list) are left out. With `restarts`, a slot's worker is started
 * again before every `every`-th job it takes from the queue (a recycled warm worker).
 */
export function scheduleSeconds(queued: readonly ScheduledJob[], slots: number, running: readonly { id: string; remainingS: number }[] = [], restarts?: WorkerRestarts): number {
  const pending = new Set([...queued.map((j) => j.id), ...running.map((r) => r.id)])
  const n = Math.max(1, slots, running.length)
  const busy: { id: string; end: number; slot: number }[] = running.map((r, i) => ({ id: r.id, end: Math.max(0, r.remainingS), slot: i }))
  const taken = new Array<number>(n).fill(0)
  const waiting = [...queued]
  let now = 0
  const freeSlot = () => {
    for (let s = 0; s < Math.max(1, slots); s++) if (!busy.some((b) => b.slot === s)) return s
    return -1
  }
  for (;;) {
    let slot = freeSlot()
    while (slot >= 0) {
      const i = waiting.findIndex((j) => j.deps.every((d) => !pending.has(d)))
      if (i < 0) break
      const [j] = waiting.splice(i, 1)
      const restart = restarts && restarts.every > 0 && taken[slot]! > 0 && taken[slot]! % restarts.every === 0 ? restarts.seconds : 0
      taken[slot]! += 1
      busy.push({ id: j!.id, end: now + restart + j!.seconds, slot })
      slot = freeSlot()
    }
    if (!busy.length) return now
    busy.sort((a, b) => a.end - b.end)
    const next = busy.shift()!
    now = next.end
    pending.delete(next.id)
  }
}

const durationWords = (s: number) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`)

/** The estimate of runs not yet done on the book's device over `slots` slots, each slot starting a
 *  fresh worker (`coldStart`; false when the workers are already running) and starting it again
 *  after every `workerJobs` jobs (0: never; 1: a fresh process per job); `running` runs hold their
 *  slots for their remaining seconds (measured from their own rate). */
export function estimateWork(runs: readonly EstimatedRun[], book: RateBook, slots: number, sizes: (dataset: string) => SplitSizes | null, imageSize: number, running: readonly { id: string; remainingS: number }[] = [], coldStart = true, workerJobs = 0): WorkEstimate {
  const base = { device: book.device, secondsByStage: {} as Record<string, number> }
  if (!book.rates || book.rates.imageSize !== imageSize) {
    return { ...base, measured: false, totalSeconds: null, wallSeconds: null, basis: `not measured yet: no throughput of ${book.device} at ${imageSize} px; it is measured when the environment is checked (xlab study plan --measure) or when the study first runs there` }
  }
  const jobs: ScheduledJob[] = []
  let total = 0
  const kinds = new Set<string>()
  const costKeys = new Set<string>()
  const features = new Set<string>()
  const unknown = new Set<string>()
  const known = (name: string) => {
    const s = sizes(name)
    if (!s) unknown.add(name)
    return s
  }
  for (const r of runs) {
    const work = runWork(r.spec, known, imageSize, features)
    const s = runSeconds(work, book) ?? 0
    kinds.add(work.kind)
    costKeys.add(work.costKey)
    base.secondsByStage[r.stage] = Math.round((base.secondsByStage[r.stage] ?? 0) + s)
    total += s
    jobs.push({ id: r.id, seconds: s, deps: r.deps })
  }
  const refined = [...kinds].filter((k) => (book.timings.get(k)?.runs ?? 0) > 0)
  const finished = refined.reduce((n, k) => n + book.timings.get(k)!.runs, 0)
  const r = book.rates
  const startup = coldStart && runs.length ? r.startupS : 0
  // One slot runs every job: its worker is recycled after every `workerJobs` of them.
  const restartsInARow = workerJobs > 0 && runs.length ? Math.floor((runs.length - 1) / workerJobs) * r.startupS : 0
  const restarts = workerJobs > 0 ? { every: workerJobs, seconds: r.startupS } : undefined
  const calibrated = [...costKeys].filter((k) => book.costs.has(k)).length
  const fixed = calibrated === costKeys.size
    ? `fixed costs of all ${costKeys.size} kinds of work measured`
    : `fixed costs of ${calibrated} of ${costKeys.size} kinds of work measured, the others priced at the job set-up of ${durationWords(r.jobS)} (measure again: xlab study plan --measure)`
  const missing = unknown.size ? `; the images of ${[...unknown].sort().join(', ')} are not counted (not imported: their sizes are unknown)` : ''
  const basis = `measured on ${book.device} at ${imageSize} px (ResNet-18: ${r.trainImagesPerS.toFixed(1)} training, ${r.evalImagesPerS.toFixed(1)} evaluation images/s, worker start-up ${durationWords(r.startupS)}, ${fixed}, ${r.measuredAt.slice(0, 16).replace('T', ' ')})${refined.length ? `, refined by ${finished} finished run(s) of ${refined.length} of ${kinds.size} work kinds` : ', not yet refined by finished runs'}${missing}`
  return { ...base, measured: true, basis, totalSeconds: Math.round(startup + restartsInARow + total), wallSeconds: Math.round(startup + scheduleSeconds(jobs, slots, running, restarts)) }
}
