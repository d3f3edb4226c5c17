// Measured throughput per device (tables device_rates and run_timings, migration 0010).
import type { Db } from './db.ts'

/** A ResNet-18's measured speed on one device at one image size. */
export interface DeviceRates {
  /** Device key (study/throughput.ts deviceKey). */
  device: string
  /** Image size measured at (pixels, square). */
  imageSize: number
  /** Batch measured with. */
  batchSize: number
  /** Training images/s (forward, backward, optimiser step). */
  trainImagesPerS: number
  /** Evaluation images/s (no-grad forward). */
  evalImagesPerS: number
  /** Seconds a fresh worker process needs before it can take a job (torch import; warm workers pay it once per slot). */
  startupS: number
  /** Seconds each job pays before its steady pace (network built, first steps). */
  jobS: number
  /** ISO time of the measurement. */
  measuredAt: string
}

/** What one kind of work costs on a device beyond its network images (table work_costs). */
export interface WorkCost {
  /** Seconds a run of this kind pays whatever its images: set-up, loading, fits, writes. */
  fixedS: number
  /** The kind's own training images/s where it trains (a pretext task's step), null: the ResNet-18 rate. */
  trainImagesPerS: number | null
}

/** Finished runs of one kind at one size on one device: their wall time against the modelled time. */
export interface KindTiming {
  /** Sum of the runs' wall seconds. */
  wallS: number
  /** Sum of the seconds the rates predicted for them. */
  modelledS: number
  /** Runs counted. */
  runs: number
}

export function putDeviceRates(db: Db, r: DeviceRates): void {
  db.prepare(`INSERT INTO device_rates (device, image_size, batch_size, train_images_per_s, eval_images_per_s, startup_s, job_s, measured_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device, image_size) DO UPDATE SET batch_size = excluded.batch_size,
    train_images_per_s = excluded.train_images_per_s, eval_images_per_s = excluded.eval_images_per_s, startup_s = excluded.startup_s, job_s = excluded.job_s,
    measured_at = excluded.measured_at`).run(r.device, r.imageSize, r.batchSize, r.trainImagesPerS, r.evalImagesPerS, r.startupS, r.jobS, r.measuredAt)
}

export function getDeviceRates(db: Db, device: string, imageSize: number): DeviceRates | null {
  const row = db.prepare(`SELECT device, image_size AS imageSize, batch_size AS batchSize, train_images_per_s AS trainImagesPerS,
    eval_images_per_s AS evalImagesPerS, startup_s AS startupS, job_s AS jobS, measured_at AS measuredAt FROM device_rates WHERE device = ? AND image_size = ?`).get(device, imageSize)
  return (row as DeviceRates | undefined) ?? null
}

export function listDeviceRates(db: Db): DeviceRates[] {
  return db.prepare(`SELECT device, image_size AS imageSize, batch_size AS batchSize, train_images_per_s AS trainImagesPerS,
    eval_images_per_s AS evalImagesPerS, startup_s AS startupS, job_s AS jobS, measured_at AS measuredAt FROM device_rates ORDER BY device, image_size`).all() as DeviceRates[]
}

/** Records (or replaces, for a retried run) a finished run's wall and modelled seconds. */
export function putRunTiming(db: Db, t: { runId: string; device: string; workKind: string; imageSize: number; wallS: number; modelledS: number; finishedAt: string }): void {
  db.prepare(`INSERT OR REPLACE INTO run_timings (run_id, device, work_kind, image_size, wall_s, modelled_s, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .run(t.runId, t.device, t.workKind, t.imageSize, t.wallS, t.modelledS, t.finishedAt)
}

/** The finished runs' timings of one device and image size, by work kind. */
export function kindTimings(db: Db, device: string, imageSize: number): Map<string, KindTiming> {
  const rows = db.prepare(`SELECT work_kind AS kind, SUM(wall_s) AS wallS, SUM(modelled_s) AS modelledS, COUNT(*) AS runs FROM run_timings
    WHERE device = ? AND image_size = ? GROUP BY work_kind`).all(device, imageSize) as (KindTiming & { kind: string })[]
  return new Map(rows.map((r) => [r.kind, { wallS: r.wallS, modelledS: r.modelledS, runs: r.runs }]))
}

/** Replaces the measured fixed costs of a device and image size (a new calibration replaces the old one whole). */
export function putWorkCosts(db: Db, device: string, imageSize: number, costs: ReadonlyMap<string, WorkCost>, measuredAt: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM work_costs WHERE device = ? AND image_size = ?').run(device, imageSize)
    const put = db.prepare('INSERT INTO work_costs (device, image_size, cost_key, fixed_s, train_images_per_s, measured_at) VALUES (?, ?, ?, ?, ?, ?)')
    for (const [key, c] of costs) put.run(device, imageSize, key, c.fixedS, c.trainImagesPerS, measuredAt)
  })()
}

/** The measured fixed costs of one device and image size, by cost key. */
export function workCosts(db: Db, device: string, imageSize: number): Map<string, WorkCost> {
  const rows = db.prepare('SELECT cost_key AS key, fixed_s AS fixedS, train_images_per_s AS trainImagesPerS FROM work_costs WHERE device = ? AND image_size = ?')
    .all(device, imageSize) as (WorkCost & { key: string })[]
  return new Map(rows.map((r) => [r.key, { fixedS: r.fixedS, trainImagesPerS: r.trainImagesPerS }]))
}
