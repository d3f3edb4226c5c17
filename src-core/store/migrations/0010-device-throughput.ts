// Device throughput (issue 23): what the estimates are made of, measured on the machine that runs
// the work. `device_rates`: a ResNet-18's training and evaluation images/s at one image size on one
// device (python -m xlab.throughput), with the start-up of the process that measured it and the set-up of a job.
// `run_timings`: per device, work kind (pretext-rotation, downstream-finetune, ...) and image size,
// the wall seconds of finished runs against the seconds the rates predicted for them: their ratio
// refines the estimate of the runs still to come.
import type { Migration } from '../migration.ts'

export const migration0010: Migration = {
  version: 10,
  name: 'device_rates, run_timings (measured throughput for estimates)',
  up(db) {
    db.exec(`
      CREATE TABLE device_rates (
        -- cpu/<threads per job>t or cuda/<GPU name> (study/throughput.ts deviceKey)
        device TEXT NOT NULL,
        image_size INTEGER NOT NULL CHECK (image_size > 0),
        batch_size INTEGER NOT NULL CHECK (batch_size > 0),
        train_images_per_s REAL NOT NULL CHECK (train_images_per_s > 0),
        eval_images_per_s REAL NOT NULL CHECK (eval_images_per_s > 0),
        -- seconds a fresh worker process needs before it can take a job (torch import): once per slot
        startup_s REAL NOT NULL CHECK (startup_s >= 0),
        -- seconds each job pays before its steady pace (network built, first steps): once per run
        job_s REAL NOT NULL CHECK (job_s >= 0),
        measured_at TEXT NOT NULL,
        PRIMARY KEY (device, image_size)
      ) STRICT;

      CREATE TABLE run_timings (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        device TEXT NOT NULL,
        work_kind TEXT NOT NULL,
        image_size INTEGER NOT NULL,
        wall_s REAL NOT NULL CHECK (wall_s >= 0),
        modelled_s REAL NOT NULL CHECK (modelled_s > 0),
        finished_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX run_timings_kind ON run_timings(device, work_kind, image_size);
    `)
  },
}
