// Small samples said to be small: images and patients per class in every split of the downstream
// set for each target, warnings for thin test classes, and flags on runs whose numbers do not mean
// what they seem (a one-class predictor, an AUC reliably below chance).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunFlag, SplitCount } from '../api/results.ts'
import { readNpy } from '../datasets/npy.ts'
import type { LoadedRun } from './collect.ts'
import type { Interval } from './stats/bootstrap.ts'
import { argmax } from './stats/metrics.ts'

/** Below this many test images of a class, the report warns that its numbers are uncertain. */
export const SMALL_CLASS = 30

/** Class names of the downstream targets, as the engine defines them (engine/xlab/downstream/targets.py). */
export const TARGET_CLASSES: Record<string, string[]> = { binary: ['No Finding', 'Finding'], '3class': ['No Finding', 'Pneumonia', 'Other finding'] }

/** The target class of each image from the multi-hot label matrix (the engine's rule). */
export function targetOf(labels: Uint8Array, labelNames: readonly string[], target: string): number[] | null {
  const nf = labelNames.indexOf('No Finding')
  const pn = labelNames.indexOf('Pneumonia')
  if (nf < 0 || (target === '3class' && pn < 0) || !TARGET_CLASSES[target]) return null
  const L = labelNames.length
  const n = labels.length / L
  return Array.from({ length: n }, (_, i) => {
    let finding = false
    for (let j = 0; j < L; j++) if (j !== nf && labels[i * L + j]) finding = true
    if (target === 'binary') return finding ? 1 : 0
    return labels[i * L + pn] ? 1 : finding ? 2 : 0
  })
}

/** Images and patients per class and split for each target; empty when the cache cannot be read. */
export function sampleSizes(datasetDir: string | null, targets: readonly string[], warnings: string[]): SplitCount[] {
  if (!datasetDir || !existsSync(join(datasetDir, 'meta.json'))) return []
  try {
    const meta = JSON.parse(readFileSync(join(datasetDir, 'meta.json'), 'utf8')) as { label_names?: string[] }
    const names = meta.label_names ?? []
    const labels = readNpy(join(datasetDir, 'labels.npy')).data as Uint8Array
    const patientsFile = join(datasetDir, 'patients.npy')
    const patients = existsSync(patientsFile) ? Array.from(readNpy(patientsFile).data as ArrayLike<number | bigint>, Number) : null
    const out: SplitCount[] = []
    for (const target of targets) {
      const y = targetOf(labels, names, target)
      if (!y) continue
      for (const split of ['train', 'val', 'test']) {
        const file = join(datasetDir, `split-${split}.npy`)
        if (!existsSync(file)) continue
        const idx = Array.from(readNpy(file).data as Uint32Array)
        const classes = TARGET_CLASSES[target]!.map((name, c) => {
          const members = idx.filter((i) => y[i] === c)
          return { name, images: members.length, patients: patients ? new Set(members.map((i) => patients[i])).size : null }
        })
        out.push({ split, target, classes })
      }
    }
    return out
  } catch (e) {
    warnings.push(`The per-class counts of the downstream set could not be read (${(e as Error).message}).`)
    return []
  }
}

/** Sentences for classes with fewer than SMALL_CLASS test images and for the size of the validation split that picked every "best". */
export function smallSampleCaveats(sizes: readonly SplitCount[]): string[] {
  const out: string[] = []
  for (const s of sizes.filter((x) => x.split === 'test')) {
    const thin = s.classes.filter((c) => c.images < SMALL_CLASS)
    if (thin.length) out.push(`The ${s.target} test set has fewer than ${SMALL_CLASS} images of ${thin.map((c) => `${c.name} (${c.images} images${c.patients !== null ? `, ${c.patients} patients` : ''})`).join(', ')}: numbers for ${thin.length === 1 ? 'that class' : 'those classes'} rest on very few cases.`)
  }
  const val = sizes.find((x) => x.split === 'val')
  if (val) {
    const images = val.classes.reduce((a, c) => a + c.images, 0)
    const thin = val.classes.filter((c) => c.images < SMALL_CLASS)
    out.push(`Best epochs, best members and best configurations were picked on ${images} validation images${thin.length ? ` (only ${thin.map((c) => `${c.images} ${c.name}`).join(', ')} in the ${val.target} target)` : ''}; a small validation split makes those picks noisy.`)
  }
  return out
}

/** One-class predictors and runs whose ROC-AUC interval lies wholly below 0.5. */
export function runFlags(runs: readonly LoadedRun[], perRun: Map<string, Record<string, Interval>>): RunFlag[] {
  const out: RunFlag[] = []
  for (const l of runs) {
    const predicted = new Set(l.pred.probs.map((p) => argmax(p)))
    if (predicted.size === 1 && l.pred.targets.length) {
      const cls = l.pred.classNames[[...predicted][0]!] ?? '?'
      out.push({ runId: l.run.id, name: l.run.name, kind: 'one-class', message: `${l.run.name} predicts "${cls}" for every test image: its accuracy and balanced accuracy say nothing about the images, only about the class mix.` })
    }
    const auc = perRun.get(l.run.id)?.roc_auc
    if (auc && Number.isFinite(auc.hi) && auc.hi < 0.5) {
      out.push({ runId: l.run.id, name: l.run.name, kind: 'below-chance', message: `${l.run.name} has ROC-AUC ${auc.estimate.toFixed(3)} [${auc.lo.toFixed(3)}, ${auc.hi.toFixed(3)}], reliably below chance: its scores rank the classes the wrong way round, which points to a failed run rather than a weak encoder.` })
    }
  }
  return out
}
