// A study checked against the datasets it names, when it is planned: a damaged or unfinished
// dataset or an empty validation split would otherwise fail its runs
// one by one, minutes later, and cancel everything that waits for them; so would a training split
// too small for one step.
import { cacheDamage } from '../datasets/cache-health.ts'
import { getDatasetByIdOrName, type DatasetRecord } from '../store/datasets.ts'
import type { Db } from '../store/db.ts'
import type { StudyConfig } from './config.ts'

/** Sentences, one per problem; empty when the study can run on these datasets. */
export function datasetProblems(db: Db, cfg: StudyConfig): string[] {
  const out: string[] = []
  const usable = (name: string, field: string): DatasetRecord | null => {
    // Not in the store: the runner may still find a cache by its meta.json, and says so if not.
    const d = getDatasetByIdOrName(db, name)
    if (!d) return null
    if (d.status !== 'ready') {
      out.push(`${field}: dataset "${name}" is ${d.status}${d.error ? ` (${d.error})` : ''}; wait for its import or import it again`)
      return null
    }
    const damage = cacheDamage(d.dir, d.n)
    if (damage) {
      out.push(`${field}: dataset "${name}" is damaged (${damage}); import it again`)
      return null
    }
    return d
  }
  const trainSize = (d: DatasetRecord, cap: number | undefined) => Math.min(d.splits.train ?? 0, cap ?? Infinity)
  // A batch larger than the split is not impossible: the engine then trains one step per epoch on
  // the whole split (the small demo datasets with the demo preset do). A step of one image is:
  // BatchNorm cannot normalise a single sample in training mode.
  const tooSmall = (field: string, batch: number, n: number, name: string) =>
    `${field}: "${name}" has ${n} training image(s) for the study's ${batch}-image batches; a training step needs at least 2 (BatchNorm). Import more images or give train a larger share`
  for (const name of new Set(cfg.pretrainDatasets)) {
    const d = usable(name, 'pretrainDatasets')
    if (!d) continue
    if (!((d.splits.val ?? 0) > 0)) out.push(`pretrainDatasets: "${name}" has no validation images; pretext runs pick best.pth on them. Import it again with a val share (--split 0.7,0.1,0.2)`)
    const n = trainSize(d, cfg.pretext.maxTrainImages)
    if (n < 2) out.push(tooSmall('pretrainDatasets', cfg.pretext.batchSize, n, name))
  }
  const down = usable(cfg.downstreamDataset, 'downstreamDataset')
  // The downstream targets are ChestX-ray14 findings: another kind of set would fail only in the
  // downstream runs, after every pretext and extract run of the study had trained.
  if (down && down.kind !== 'chestxray14') {
    out.push(
      `downstreamDataset: "${cfg.downstreamDataset}" is a ${down.kind} import, but the downstream tasks (${cfg.targets.join(', ')}) read ChestX-ray14 findings ("No Finding", "Pneumonia", ...); ` +
        'name a chest set imported with xlab datasets import chestxray14 FOLDER (the demo\'s is demo-chest)',
    )
  } else if (down) {
    const n = trainSize(down, cfg.downstream.maxTrainImages)
    if (n < 2) out.push(tooSmall('downstreamDataset', cfg.downstream.batchSize, n, cfg.downstreamDataset))
    for (const s of ['val', 'test'] as const) if (!((down.splits[s] ?? 0) > 0)) out.push(`downstreamDataset: "${cfg.downstreamDataset}" has no ${s} images; import it again with a ${s} share`)
  }
  return out
}
