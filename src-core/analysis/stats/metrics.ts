// Classification metrics recomputed from per-image test predictions, so any subset of the test
// images (a bootstrap resample) can be scored. Definitions follow scikit-learn's, which the engine
// uses: weighted F1 weights each class's F1 by its support; balanced accuracy is the mean recall
// over the classes present; ROC-AUC is binary on the positive class or one-vs-rest macro.

import { argsortAscending } from './argsort.ts'

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

/**
 * Per-prediction-set precomputation: the predicted class of each image and, per class, the images
 * sorted by score with tie groups. A bootstrap resample is then scored in O(n) from how often each
 * image was drawn, instead of sorting the resample again for every AUC.
 */
interface Prepared {
  predicted: Int32Array
  /** Per class: image positions in ascending score order. */
  orders: Int32Array[]
  /** Per class: 1 where a new tie group starts in `orders`. */
  groupStart: Uint8Array[]
}

const prepared = new WeakMap<Predictions, Prepared>()

function prepare(pred: Predictions): Prepared {
  const hit = prepared.get(pred)
  if (hit) return hit
  const n = pred.targets.length
  const k = pred.classNames.length
  const predicted = new Int32Array(n)
  for (let i = 0; i < n; i++) predicted[i] = argmax(pred.probs[i]!)
  const orders: Int32Array[] = []
  const groupStart: Uint8Array[] = []
  for (let c = 0; c < k; c++) {
    const score = new Float64Array(n)
    for (let i = 0; i < n; i++) score[i] = pred.probs[i]![c]!
    const order = argsortAscending(score)
    const starts = new Uint8Array(n)
    for (let j = 0; j < n; j++) starts[j] = j === 0 || score[order[j]!] !== score[order[j - 1]!] ? 1 : 0
    orders.push(order)
    groupStart.push(starts)
  }
  const p = { predicted, orders, groupStart }
  prepared.set(pred, p)
  return p
}

/** How many times each image is in `rows` (all ones when rows is absent). */
function countsOf(n: number, rows?: readonly number[]): Float64Array {
  const w = new Float64Array(n)
  if (!rows) w.fill(1)
  else for (const i of rows) w[i]! += 1
  return w
}

function weightedConfusion(pred: Predictions, p: Prepared, w: Float64Array): number[][] {
  const k = pred.classNames.length
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (let i = 0; i < w.length; i++) if (w[i]) m[pred.targets[i]!]![p.predicted[i]!]! += w[i]!
  return m
}

/** Rows = true class, columns = predicted class, over the positions `rows` (default all). */
export function confusionMatrix(pred: Predictions, rows?: readonly number[]): number[][] {
  return weightedConfusion(pred, prepare(pred), countsOf(pred.targets.length, rows))
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
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  const starts = new Uint8Array(scores.length)
  for (let j = 0; j < order.length; j++) starts[j] = j === 0 || scores[order[j]!] !== scores[order[j - 1]!] ? 1 : 0
  return weightedAuc(order, starts, (i) => positive[i]!, countsOf(scores.length))
}

/** AUC with image weights: each positive-negative pair counts w_pos * w_neg, ties count half. */
function weightedAuc(order: Int32Array, starts: Uint8Array, isPositive: (i: number) => boolean, w: Float64Array): number {
  let negBelow = 0
  let num = 0
  let totalPos = 0
  let j = 0
  const n = order.length
  while (j < n) {
    let posW = 0
    let negW = 0
    do {
      const i = order[j]!
      const wi = w[i]!
      if (wi) {
        if (isPositive(i)) posW += wi
        else negW += wi
      }
      j++
    } while (j < n && !starts[j])
    num += posW * (negBelow + negW / 2)
    negBelow += negW
    totalPos += posW
  }
  if (totalPos === 0 || negBelow === 0) return NaN
  return num / (totalPos * negBelow)
}

function aucOf(pred: Predictions, p: Prepared, w: Float64Array): number {
  const k = pred.classNames.length
  const t = pred.targets
  if (k === 2) return weightedAuc(p.orders[1]!, p.groupStart[1]!, (i) => t[i] === 1, w)
  let sum = 0
  let count = 0
  for (let c = 0; c < k; c++) {
    const auc = weightedAuc(p.orders[c]!, p.groupStart[c]!, (i) => t[i] === c, w)
    // A class absent from a resample has no AUC; the macro mean is over the classes that have one.
    if (Number.isFinite(auc)) {
      sum += auc
      count++
    }
  }
  return count ? sum / count : NaN
}

/** ROC-AUC: the positive class's probability for 2 classes; one-vs-rest macro mean otherwise. */
export function rocAuc(pred: Predictions, rows?: readonly number[]): number {
  return aucOf(pred, prepare(pred), countsOf(pred.targets.length, rows))
}

/** Every recomputed metric over the positions `rows` (default: all images; repeats count repeatedly). */
export function computeMetrics(pred: Predictions, rows?: readonly number[]): Record<MetricName, number> {
  const p = prepare(pred)
  const w = countsOf(pred.targets.length, rows)
  const c = fromConfusion(weightedConfusion(pred, p, w))
  return { accuracy: c.accuracy, f1_weighted: c.f1, balanced_accuracy: c.balanced, roc_auc: aucOf(pred, p, w) }
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

/** One-vs-rest ROC-AUC of every class over the positions `rows` (NaN for a class absent from them). */
export function classAucs(pred: Predictions, rows?: readonly number[]): number[] {
  const p = prepare(pred)
  const w = countsOf(pred.targets.length, rows)
  const t = pred.targets
  return pred.classNames.map((_, c) => weightedAuc(p.orders[c]!, p.groupStart[c]!, (i) => t[i] === c, w))
}
