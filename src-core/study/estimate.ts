// A rough work estimate for `xlab study plan`: images pushed through the network per run, times a
// per-image cost that scales with the pixel count, plus the fixed start-up of a worker process.
// The constants were measured on a 2-core CPU at 32 px (README, demo section); on a GPU divide by a lot.
import type { StudyConfig } from './config.ts'
import type { PlannedRun } from './planner.ts'

/** Seconds a worker spends importing torch and loading data before the first step. */
const STARTUP_S = 6
/** Seconds per training image (forward + backward) of a ResNet-18 at 32 px on one CPU thread
 *  (fine-tuning ran at 40-120 images/s in the measured demo, README). */
const TRAIN_S_PER_IMAGE_32 = 0.008
/** Train splits are assumed this large when a stage has no step cap and no size is known. */
const DEFAULT_TRAIN_IMAGES = 2000

/** The estimate for a list of runs. */
export interface WorkEstimate {
  /** Seconds of work per stage, on one slot. */
  secondsByStage: Record<string, number>
  /** Total seconds on one slot. */
  totalSeconds: number
  /** Wall seconds with the given number of parallel slots (ignoring dependency stalls). */
  wallSeconds: number
}

export function estimateRunSeconds(run: PlannedRun, cfg: StudyConfig, trainImages = DEFAULT_TRAIN_IMAGES): number {
  const scale = (cfg.imageSize / 32) ** 2
  const perImage = TRAIN_S_PER_IMAGE_32 * scale
  const imagesPerEpoch = (batch: number, cap?: number) => Math.min(trainImages, cap ? cap * batch : Infinity)
  switch (run.stage) {
    case 'pretext':
      return STARTUP_S + cfg.pretext.epochs * imagesPerEpoch(cfg.pretext.batchSize, cfg.pretext.maxStepsPerEpoch) * perImage * 1.2
    case 'extract':
      return STARTUP_S
    case 'downstream': {
      const n = Math.max(1, run.encoders?.length ?? 1)
      // Linear probing skips the backward pass through the encoder (about a third of the cost).
      const factor = run.protocol === 'linear' ? 0.4 : 1
      const evalImages = trainImages * 0.3 * perImage * 0.3
      return STARTUP_S + (cfg.downstream.epochs * imagesPerEpoch(cfg.downstream.batchSize, cfg.downstream.maxStepsPerEpoch) * perImage * factor + evalImages) * n
    }
    case 'probe':
      return STARTUP_S + cfg.probes.nImages * perImage * 12
  }
}

export function estimateWork(runs: PlannedRun[], cfg: StudyConfig, slots: number): WorkEstimate {
  const secondsByStage: Record<string, number> = {}
  let total = 0
  for (const r of runs) {
    const s = estimateRunSeconds(r, cfg)
    secondsByStage[r.stage] = (secondsByStage[r.stage] ?? 0) + s
    total += s
  }
  return { secondsByStage, totalSeconds: Math.round(total), wallSeconds: Math.round(total / Math.max(1, slots)) }
}
