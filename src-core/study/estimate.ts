// A rough work estimate for `xlab study plan`: images pushed through the network per run, times a
// per-image cost that scales with the pixel count, plus the fixed start-up of a worker process.
// The constants were fitted to the demo study measured on a quiet 2-core CPU at 32 px, one thread per
// worker (README, demo section: mean run times pretext 24 s, extract 4 s, finetune 24 s, fusion
// finetune 46 s, linear 7 s, fusion linear 9 s, probe 4 s); on a GPU divide by a lot.
import type { StudyConfig } from './config.ts'
import type { PlannedRun } from './planner.ts'

/** Seconds a worker spends importing torch and loading data before the first step. */
const STARTUP_S = 4
/** Seconds per training image (forward + backward) of a ResNet-18 at 32 px on one CPU thread. */
const TRAIN_S_PER_IMAGE_32 = 0.005
/** A forward pass in eval mode costs about this fraction of a training step. */
const EVAL_FRACTION = 0.3
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
      // The budget fixes the network images; validation adds about a fifth.
      return STARTUP_S + cfg.pretext.steps * cfg.pretext.batchSize * perImage * 1.2
    case 'extract':
      return STARTUP_S
    case 'downstream': {
      const n = Math.max(1, run.encoders?.length ?? 1)
      const evalImages = trainImages * 0.3 * perImage * EVAL_FRACTION
      const trainPass = imagesPerEpoch(cfg.downstream.batchSize, cfg.downstream.maxStepsPerEpoch) * perImage
      // Linear probing embeds the images once in eval mode and trains the head on the features.
      if (run.protocol === 'linear') return STARTUP_S + (trainPass * EVAL_FRACTION + evalImages) * n
      // LP-FT adds two no-grad passes over the train images (BatchNorm re-estimation, probe features);
      // measured on the demo they cost together about one EVAL_FRACTION pass (finetune 24.4 -> 24.6 s,
      // fused finetune 46.0 -> 48.6 s per run).
      const probe = run.protocol === 'finetune' && cfg.downstream.finetuneHeadInit === 'linear_probe' ? trainPass * EVAL_FRACTION : 0
      return STARTUP_S + (cfg.downstream.epochs * trainPass + evalImages + probe) * n
    }
    case 'probe':
      // Each of the ten transforms is one eval pass over the probe images.
      return STARTUP_S + cfg.probes.nImages * perImage * EVAL_FRACTION * 10
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
