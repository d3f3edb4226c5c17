// Work estimates from throughput measured on the device that runs the work (issue 23).
//
// A run's work is counted in network images from its spec and the dataset sizes: images trained
// (forward + backward) and images evaluated (no-grad forward). Its seconds are
//     job set-up + trained / train rate + evaluated / eval rate
// and each slot's warm worker pays the process start-up (torch import) once, before its first run.
// with the rates of a ResNet-18 measured on that device at the run's image size (device_rates:
// `python -m xlab.throughput`, when the environment is checked or a study first starts there), then
// multiplied by what finished runs of the same work kind at that size took against that model
// (run_timings: the sum of their wall seconds over the sum of their modelled seconds), which covers
// data loading, validation, checkpoints, the inpainting decoder and warm workers. Nothing here is a
// per-image constant: where nothing is measured the estimate says so and gives no seconds.
//
// The wall time of a set of runs is their schedule over the slots: each free slot takes the first
// queued run whose dependencies are done (the queue's own rule), running runs holding their slot for
// their remaining seconds.
import type { DeviceRates, KindTiming } from '../store/throughput.ts'
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
      return { kind: `pretext-${String(p.task)}`, imageSize: size, trainImages: steps * num(p.batch_size, 0), evalImages: rounds * Math.min(d.val, num(p.max_val_images, ENGINE_MAX_VAL_IMAGES)) }
    }
    case 'extract':
      return { kind: 'extract', imageSize: size, trainImages: 0, evalImages: 0 }
    case 'downstream': {
      const d = split(p.dataset_dir)
      const protocol = String(p.protocol)
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
        return { kind: `downstream-${protocol}`, imageSize: size, trainImages: 0, evalImages }
      }
      const epochs = num(p.epochs, 1)
      const perEpoch = Math.min(train, num(p.max_steps_per_epoch, Infinity) * num(p.batch_size, 1))
      // LP-FT first embeds the train images twice without gradients (BatchNorm re-estimation, probe features).
      const probe = p.head_init === 'linear_probe' ? 2 * train : 0
      return { kind: `downstream-${protocol}`, imageSize: size, trainImages: n * epochs * perEpoch, evalImages: n * (epochs * d.val + d.test + probe) }
    }
    case 'probe': {
      const images = num(p.n_images, 64)
      // invariance: ten transforms of each image; similarity: the images of every pretraining set and the reference.
      const passes = p.mode === 'similarity' ? Object.keys((p.dataset_dirs as object) ?? {}).length + 1 : 10
      return { kind: `probe-${String(p.mode)}`, imageSize: size, trainImages: 0, evalImages: images * passes }
    }
  }
}

/** Seconds the measured rates alone predict for a run's work. */
export function modelledSeconds(work: RunWork, rates: DeviceRates): number {
  return rates.jobS + work.trainImages / rates.trainImagesPerS + work.evalImages / rates.evalImagesPerS
}

/** What finished runs of a kind took against the model (1 when none finished yet). */
export function kindFactor(timings: ReadonlyMap<string, KindTiming>, kind: string): number {
  const t = timings.get(kind)
  return t && t.runs > 0 && t.modelledS > 0 ? t.wallS / t.modelledS : 1
}

/** A run's estimated seconds on the book's device, null when nothing is measured there. */
export function runSeconds(work: RunWork, book: RateBook): number | null {
  if (!book.rates || book.rates.imageSize !== work.imageSize) return null
  return modelledSeconds(work, book.rates) * kindFactor(book.timings, work.kind)
}

/** A job of the schedule: seconds it takes, the jobs it waits for. */
export interface ScheduledJob {
  id: string
  seconds: number
  deps: readonly string[]
}

/**
 * Wall seconds until every job is done on `slots` slots: `running` jobs hold a slot each for their
 * remaining seconds; each slot that frees takes the first queued job (in the given order) whose
 * dependencies are all done or not in the list (already done). Jobs whose dependencies never finish
 * (a dependency failed outside the list) are left out.
 */
export function scheduleSeconds(queued: readonly ScheduledJob[], slots: number, running: readonly { id: string; remainingS: number }[] = []): number {
  const pending = new Set([...queued.map((j) => j.id), ...running.map((r) => r.id)])
  const busy: { id: string; end: number }[] = running.map((r) => ({ id: r.id, end: Math.max(0, r.remainingS) }))
  const waiting = [...queued]
  let now = 0
  const free = () => Math.max(1, slots) - busy.length
  for (;;) {
    let started = true
    while (free() > 0 && started) {
      started = false
      const i = waiting.findIndex((j) => j.deps.every((d) => !pending.has(d)))
      if (i >= 0) {
        const [j] = waiting.splice(i, 1)
        busy.push({ id: j!.id, end: now + j!.seconds })
        started = true
      }
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
 *  fresh worker (`coldStart`; false when the workers are already running); `running` runs hold
 *  their slots for their remaining seconds (measured from their own rate). */
export function estimateWork(runs: readonly EstimatedRun[], book: RateBook, slots: number, sizes: (dataset: string) => SplitSizes | null, imageSize: number, running: readonly { id: string; remainingS: number }[] = [], coldStart = true): WorkEstimate {
  const base = { device: book.device, secondsByStage: {} as Record<string, number> }
  if (!book.rates || book.rates.imageSize !== imageSize) {
    return { ...base, measured: false, totalSeconds: null, wallSeconds: null, basis: `not measured yet: no throughput of ${book.device} at ${imageSize} px; it is measured when the environment is checked (xlab study plan --measure) or when the study first runs there` }
  }
  const jobs: ScheduledJob[] = []
  let total = 0
  const kinds = new Set<string>()
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
    base.secondsByStage[r.stage] = Math.round((base.secondsByStage[r.stage] ?? 0) + s)
    total += s
    jobs.push({ id: r.id, seconds: s, deps: r.deps })
  }
  const refined = [...kinds].filter((k) => (book.timings.get(k)?.runs ?? 0) > 0)
  const finished = refined.reduce((n, k) => n + book.timings.get(k)!.runs, 0)
  const r = book.rates
  const startup = coldStart && runs.length ? r.startupS : 0
  const missing = unknown.size ? `; the images of ${[...unknown].sort().join(', ')} are not counted (not imported: their sizes are unknown)` : ''
  const basis = `measured on ${book.device} at ${imageSize} px (ResNet-18: ${r.trainImagesPerS.toFixed(1)} training, ${r.evalImagesPerS.toFixed(1)} evaluation images/s, worker start-up ${durationWords(r.startupS)}, ${r.measuredAt.slice(0, 16).replace('T', ' ')})${refined.length ? `, refined by ${finished} finished run(s) of ${refined.length} of ${kinds.size} work kinds` : ', not yet refined by finished runs'}${missing}`
  return { ...base, measured: true, basis, totalSeconds: Math.round(startup + total), wallSeconds: Math.round(startup + scheduleSeconds(jobs, slots, running)) }
}
