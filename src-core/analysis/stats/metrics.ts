// Classification metrics recomputed from per-image test predictions, so any subset of the test
// images (a bootstrap resample) can be scored. Definitions follow scikit-learn's, which the engine
// uses: weighted F1 weights each class's F1 by its support; balanced accuracy is the mean recall
// over the classes present; ROC-AUC is binary on the positive class or one-vs-rest macro.

/** The metrics recomputed from predictions (the engine's `loss` is taken from the metrics table). */
export const METRIC_NAMES = ['accuracy', 'f1_weighted', 'balanced_accuracy', 'roc_auc'] as const
export type MetricName = (typeof METRIC_NAMES)[number]

/** Per-image predictions of one run on one split. */
export interface Predictions {
  /** Dataset indices of the images, in the order of targets/probs. */
  indices: number[]
  /** True class per image (0..K-1). */
  targets: number[]
  /** Class probabilities per image (K each). */
  probs: number[][]
  /** Class names, K of them. */
  classNames: string[]
}

/** Index of the largest probability (first on ties, like numpy's argmax). */
export function argmax(p: readonly number[]): number {
  let best = 0
  for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k
  return best
}

/** Rows = true class, columns = predicted class, over the positions `rows` (default all). */
export function confusionMatrix(pred: Predictions, rows?: readonly number[]): number[][] {
  const k = pred.classNames.length
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  const use = rows ?? pred.targets.map((_, i) => i)
  for (const i of use) m[pred.targets[i]!]![argmax(pred.probs[i]!)]! += 1
  return m
}

function fromConfusion(m: number[][]): { accuracy: number; f1: number; balanced: number } {
  const k = m.length
  let total = 0
  let correct = 0
  let f1Sum = 0
  let recallSum = 0
  let present = 0
  for (let c = 0; c < k; c++) {
    let support = 0
    let predicted = 0
    for (let j = 0; j < k; j++) {
      support += m[c]![j]!
      predicted += m[j]![c]!
    }
    const tp = m[c]![c]!
    total += support
    correct += tp
    if (support > 0) {
      present++
      recallSum += tp / support
      const denom = support + predicted
      f1Sum += support * (denom > 0 ? (2 * tp) / denom : 0)
    }
  }
  return { accuracy: total ? correct / total : NaN, f1: total ? f1Sum / total : NaN, balanced: present ? recallSum / present : NaN }
}

/**
 * Area under the ROC curve of `scores` for the positives (Mann-Whitney U with midranks for ties).
 * NaN when only one class is present: the AUC is undefined there.
 */
export function binaryAuc(scores: readonly number[], positive: readonly boolean[]): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let nPos = 0
  let rankSumPos = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++
    const midrank = (i + j) / 2 + 1
    for (let t = i; t <= j; t++) {
      if (positive[order[t]!]) {
        nPos++
        rankSumPos += midrank
      }
    }
    i = j + 1
  }
  const nNeg = n - nPos
  if (nPos === 0 || nNeg === 0) return NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** ROC-AUC: the positive class's probability for 2 classes; one-vs-rest macro mean otherwise. */
export function rocAuc(pred: Predictions, rows: readonly number[]): number {
  const k = pred.classNames.length
  const targets = rows.map((i) => pred.targets[i]!)
  if (k === 2) return binaryAuc(rows.map((i) => pred.probs[i]![1]!), targets.map((t) => t === 1))
  let sum = 0
  let count = 0
  for (let c = 0; c < k; c++) {
    const auc = binaryAuc(rows.map((i) => pred.probs[i]![c]!), targets.map((t) => t === c))
    // A class absent from a resample has no AUC; the macro mean is over the classes that have one.
    if (Number.isFinite(auc)) {
      sum += auc
      count++
    }
  }
  return count ? sum / count : NaN
}

/** Every recomputed metric over the positions `rows` (default: all images). */
export function computeMetrics(pred: Predictions, rows?: readonly number[]): Record<MetricName, number> {
  const use = rows ?? pred.targets.map((_, i) => i)
  const c = fromConfusion(confusionMatrix(pred, use))
  return { accuracy: c.accuracy, f1_weighted: c.f1, balanced_accuracy: c.balanced, roc_auc: rocAuc(pred, use) }
}

/** One metric over the positions `rows`. */
export function computeMetric(pred: Predictions, name: MetricName, rows: readonly number[]): number {
  if (name === 'roc_auc') return rocAuc(pred, rows)
  const c = fromConfusion(confusionMatrix(pred, rows))
  return name === 'accuracy' ? c.accuracy : name === 'f1_weighted' ? c.f1 : c.balanced
}

/** One class's ROC curve (one-vs-rest): false and true positive rates from the highest threshold down. */
export function rocCurve(pred: Predictions, cls: number): { fpr: number[]; tpr: number[]; auc: number } {
  const n = pred.targets.length
  const scores = pred.probs.map((p) => p[cls]!)
  const positive = pred.targets.map((t) => t === cls)
  const nPos = positive.filter(Boolean).length
  const nNeg = n - nPos
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  const fpr = [0]
  const tpr = [0]
  let tp = 0
  let fp = 0
  for (let i = 0; i < n; i++) {
    if (positive[order[i]!]) tp++
    else fp++
    // One point per distinct threshold: tied scores move together.
    if (i + 1 < n && scores[order[i + 1]!] === scores[order[i]!]) continue
    fpr.push(nNeg ? fp / nNeg : 0)
    tpr.push(nPos ? tp / nPos : 0)
  }
  return { fpr, tpr, auc: binaryAuc(scores, positive) }
}
