// Measured fixed costs per kind of work (issue 23): what a run costs on a device beyond its network
// images at the device's measured rates: set-up, dataset loading, the shortcut score's fits,
// validation bookkeeping, the L-BFGS probe fit over its C grid, checkpoint and encoder writes, test
// outputs. Timed by `python -m xlab.throughput --calibrate` (a real job of each kind of work a study
// plans, cut to a few steps, run through the worker's own job function) when the device's throughput
// is measured. `cost_key`: the work kind with what its fixed cost depends on (downstream:
// protocol/target/label fraction). `train_images_per_s`: the kind's own training rate where it trains
// (a pretext task's step, e.g. inpainting's decoder), else null (the ResNet-18 rate of device_rates).
import type { Migration } from '../migration.ts'

export const migration0011: Migration = {
  version: 11,
  name: 'work_costs (measured fixed seconds per kind of work)',
  up(db) {
    db.exec(`
      CREATE TABLE work_costs (
        device TEXT NOT NULL,
        image_size INTEGER NOT NULL CHECK (image_size > 0),
        cost_key TEXT NOT NULL,
        fixed_s REAL NOT NULL CHECK (fixed_s >= 0),
        train_images_per_s REAL CHECK (train_images_per_s IS NULL OR train_images_per_s > 0),
        measured_at TEXT NOT NULL,
        PRIMARY KEY (device, image_size, cost_key)
      ) STRICT;
    `)
  },
}
