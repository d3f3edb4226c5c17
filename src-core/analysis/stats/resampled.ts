// The bootstrap at the users' scale. Every interval of the analysis is a statistic of one run (or of
// a member-average ensemble) on resampled test images, combined across runs (seed means, paired
// differences). Resampling patients only changes how often each image counts, so a resample is an
// image-weight vector (the multiplicity of its patient among the drawn clusters): the resamples of
// a test set are drawn once and shared by every run on it (which pairs every comparison on the same
// resamples), each run's scores are sorted once, and each resample's metrics are weighted counts in
// O(images) over typed arrays (AUC as the weighted Mann-Whitney count over the presorted scores).
// A run's statistics on all resamples are computed once, as vectors, and every interval that uses
// the run reads them. The random streams are exactly those of stats/bootstrap.ts `resamples` and
// stats/hierarchical.ts `hierarchicalResamples`, and weights are whole numbers (exact sums), so the
// numbers equal those of the row-list implementation for the same seed.
import { createHash } from 'node:crypto'
import { mulberry32 } from '../../util/rng.ts'
import { argsortAscending } from './argsort.ts'
import { quantileSorted, verdictOf, bootstrapPValue, type BootstrapOptions, type Interval, type PairedDifference } from './bootstrap.ts'
import { tTwoSided } from './distributions.ts'
import { tQuantileTwoSided, type SeedPairedDifference } from './hierarchical.ts'
import { argmax, METRIC_NAMES, type Predictions } from './metrics.ts'

/** Image weights of one resample (how often each image is drawn). */
export type Weights = Uint16Array | Uint32Array

/**
 * One random stream of resamples of a test set: the image weights of every replicate and, for the
 * hierarchical bootstrap over `nSeeds` >= 2 seeds, the seed positions each replicate drew.
 */
export interface Draws {
  /** Number of seeds the stream draws (1: the plain patient bootstrap). */
  nSeeds: number
  /** Number of replicates. */
  replicates: number
  /** Image weights per replicate. */
  weights: Weights[]
  /** Drawn seed positions per replicate (nSeeds values each); [0] for nSeeds 1. */
  seeds: Int32Array[]
}

let nextId = 0

/** Where computed statistic vectors are kept between analyses (the store, by run); optional. */
export interface VectorStore {
  /** Stored vectors of a prediction set on a stream of `ts`, or null. */
  get(pred: Predictions | MultiPredictions, ts: TestSet, nSeeds: number): StatVectors | null
  /** Keeps freshly computed vectors. */
  put(pred: Predictions | MultiPredictions, ts: TestSet, nSeeds: number, v: StatVectors): void
}

/** How many vector sets were computed (not read from a store) in this process: for tests and benches. */
export const vectorCounters = { computed: 0, stored: 0 }

/** The resamples of one test set (n images grouped in clusters) under one set of bootstrap options. */
export class TestSet {
  /** Identifies this set in vector caches. */
  readonly id = ++nextId
  /** Test images. */
  readonly n: number
  /** Image positions grouped by patient (the resampling unit). */
  readonly clusters: readonly number[][]
  /** Replicates, seed and level. */
  readonly opts: BootstrapOptions
  private readonly streams = new Map<number, Draws>()
  private ones: Weights | null = null
  private fp: string | null = null
  /** Keeps vectors between analyses (set by the analysis when it has a store). */
  store: VectorStore | null = null

  constructor(n: number, clusters: readonly number[][], opts: BootstrapOptions) {
    this.n = n
    this.clusters = clusters
    this.opts = opts
  }

  /** Weight 1 for every image (the statistic on the test set itself). */
  all(): Weights {
    // The same array type as the drawn weights, so the scoring loops see one element kind.
    return (this.ones ??= (this.clusters.length < 65_536 ? new Uint16Array(this.n) : new Uint32Array(this.n)).fill(1))
  }

  /**
   * The stream of `hierarchicalResamples(nSeeds, clusters, opts)` (nSeeds 1: that of `resamples`):
   * per replicate, nSeeds seed draws (only when nSeeds >= 2) then one cluster draw per cluster.
   */
  draws(nSeeds: number): Draws {
    const hit = this.streams.get(nSeeds)
    if (hit) return hit
    const rand = mulberry32(this.opts.seed)
    const m = this.clusters.length
    const Ctor = m < 65_536 ? Uint16Array : Uint32Array
    const clusterOf = this.clusters
    const B = this.opts.replicates
    const weights: Weights[] = []
    const seeds: Int32Array[] = []
    const picks = new Uint32Array(m)
    for (let b = 0; b < B; b++) {
      const w = new Ctor(this.n)
      weights.push(w)
      const s = new Int32Array(nSeeds)
      if (nSeeds > 1) for (let j = 0; j < nSeeds; j++) s[j] = Math.floor(rand() * nSeeds)
      seeds.push(s)
      picks.fill(0)
      for (let j = 0; j < m; j++) picks[Math.floor(rand() * m)]!++
      for (let c = 0; c < m; c++) {
        const k = picks[c]!
        if (k) for (const i of clusterOf[c]!) w[i] = k
      }
    }
    const d = { nSeeds, replicates: B, weights, seeds }
    this.streams.set(nSeeds, d)
    return d
  }

  /** A fingerprint of the images' grouping (n and the clusters): stored vectors are valid only for the same one. */
  fingerprint(): string {
    return (this.fp ??= createHash('sha256').update(`${this.n}|`).update(JSON.stringify(this.clusters)).digest('hex').slice(0, 16))
  }
}

const testSets = new WeakMap<readonly number[][], Map<string, TestSet>>()

/** The TestSet of a cluster list and options, shared by every caller that passes the same array. */
export function testSetOf(n: number, clusters: readonly number[][], opts: BootstrapOptions): TestSet {
  let byOpts = testSets.get(clusters)
  if (!byOpts) testSets.set(clusters, (byOpts = new Map()))
  const key = `${n}|${opts.replicates}|${opts.seed}|${opts.level}`
  let ts = byOpts.get(key)
  if (!ts) byOpts.set(key, (ts = new TestSet(n, clusters, opts)))
  return ts
}

// ---------------------------------------------------------------------------------------------
// Scoring kernels

/** Sorted-once form of one class's scores (one-vs-rest). */
interface SortedClass {
  /** Image positions in ascending score order. */
  order: Int32Array
  /** In that order: 1 where the image is of the class, else 0. */
  positive: Float64Array
  /** [start, end) of each group of two or more tied scores in that order, flattened. */
  ties: Int32Array
  /** Index in `ties` of an empty group marking where the confusion is read (binary fast path), or -1. */
  cutGroup: number
}

/** Sorted-once form of a single-label prediction set. */
interface PreparedSingle {
  k: number
  /** Images grouped by confusion cell (target * k + predicted class), cell by cell. */
  byCell: Int32Array
  /** End in byCell of each of the k * k cells. */
  cellEnds: Int32Array
  /** Per class; an entry may repeat another's object (see prepareSingle). */
  classes: SortedClass[]
  /** Binary with p0 ranking exactly against p1: the confusion is read off class 1's AUC pass. */
  fused: boolean
}

function sortedScores(score: Float64Array, isPositive: (i: number) => boolean): SortedClass {
  const n = score.length
  const order = argsortAscending(score)
  const positive = new Float64Array(n)
  const ties: number[] = []
  for (let j = 0; j < n; j++) {
    positive[j] = isPositive(order[j]!) ? 1 : 0
    if (j > 0 && score[order[j]!] === score[order[j - 1]!]) {
      if (ties.length && ties[ties.length - 1] === j) ties[ties.length - 1] = j + 1
      else ties.push(j - 1, j + 1)
    }
  }
  return { order, positive, ties: Int32Array.from(ties), cutGroup: -1 }
}

/**
 * Whether ranking by `a` is exactly the reverse of ranking by `b` (a_i < a_j iff b_i > b_j, equal
 * iff equal), checked along `order`, the ascending order of b.
 */
function reverses(a: Float64Array, b: Float64Array, order: Int32Array): boolean {
  for (let j = 1; j < order.length; j++) {
    const i = order[j]!
    const h = order[j - 1]!
    if (b[i] === b[h] ? a[i] !== a[h] : !(a[i]! < a[h]!)) return false
  }
  return true
}

function prepareSingle(pred: Predictions): PreparedSingle {
  const n = pred.targets.length
  const k = pred.classNames.length
  const cell = new Int32Array(n)
  for (let i = 0; i < n; i++) cell[i] = pred.targets[i]! * k + argmax(pred.probs[i]!)
  const byCell = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => cell[a]! - cell[b]! || a - b)
  const cellEnds = new Int32Array(k * k)
  for (let i = 0; i < n; i++) cellEnds[cell[i]!]!++
  for (let c = 1; c < k * k; c++) cellEnds[c]! += cellEnds[c - 1]!
  const scores = Array.from({ length: k }, (_, c) => {
    const score = new Float64Array(n)
    for (let i = 0; i < n; i++) score[i] = pred.probs[i]![c]!
    return score
  })
  const classes: SortedClass[] = []
  for (let c = 0; c < k; c++) classes.push(sortedScores(scores[c]!, (i) => pred.targets[i] === c))
  // Two classes whose scores rank the images exactly the other way round (p0 = 1 - p1) have the
  // same AUC: every pair counts the same way from either side. It is then counted once (as class 1).
  let fused = false
  if (k === 2 && reverses(scores[0]!, scores[1]!, classes[1]!.order)) {
    // Along ascending p1 (p0 descending) the predicted class (argmax, first on ties) is 0 then 1:
    // the confusion is the weight of each class before and after that cut, which the AUC pass of
    // class 1 can note on its way (an empty tie group marks the place).
    const order = classes[1]!.order
    let cut = n
    let monotone = true
    for (let j = 0; j < n; j++) {
      const one = argmax(pred.probs[order[j]!]!) === 1
      if (one && cut === n) cut = j
      else if (!one && cut < n) monotone = false
    }
    if (monotone) {
      const t = classes[1]!.ties
      let at = 0
      while (at < t.length && t[at]! < cut) at += 2
      const ties = new Int32Array(t.length + 2)
      ties.set(t.subarray(0, at), 0)
      ties[at] = cut
      ties[at + 1] = cut
      ties.set(t.subarray(at), at + 2)
      classes[1] = { ...classes[1]!, ties, cutGroup: at }
      fused = true
    }
    classes[0] = classes[1]!
  }
  return { k, byCell, cellEnds, classes, fused }
}

/** Negative and positive weight before the cut group and in all, noted by the last weightedAuc pass. */
const noted = { cutNeg: 0, cutPos: 0, neg: 0, pos: 0 }

/**
 * AUC of one class under image weights `w`: each positive-negative pair counts w_pos * w_neg, tied
 * scores half (the Mann-Whitney count with midranks). Runs of distinct scores are summed without
 * branches (a positive adds its weight times the negative weight below it; a branch on the class
 * would be mispredicted half the time); groups of tied scores count their negatives half. With
 * whole-number weights every sum is exact, so the value does not depend on the summation order.
 * NaN when one class has no weight.
 */
function weightedAuc(s: SortedClass, w: Weights): number {
  const { order, positive, ties } = s
  const n = order.length
  let negBelow = 0
  let num = 0
  let totalPos = 0
  let j = 0
  for (let t = 0; ; t += 2) {
    const stop = t < ties.length ? ties[t]! : n
    for (; j < stop; j++) {
      const wi = w[order[j]!]!
      const pw = positive[j]! * wi
      num += pw * negBelow
      totalPos += pw
      negBelow += wi - pw
    }
    if (t >= ties.length) break
    if (t === s.cutGroup) {
      noted.cutNeg = negBelow
      noted.cutPos = totalPos
    }
    const end = ties[t + 1]!
    let posW = 0
    let negW = 0
    for (; j < end; j++) {
      const wi = w[order[j]!]!
      const pw = positive[j]! * wi
      posW += pw
      negW += wi - pw
    }
    num += posW * (negBelow + negW / 2)
    negBelow += negW
    totalPos += posW
  }
  noted.neg = negBelow
  noted.pos = totalPos
  if (totalPos === 0 || negBelow === 0) return NaN
  return num / (totalPos * negBelow)
}

/** accuracy, weighted F1, balanced accuracy from a k x k confusion at m[at..] (rows true, columns predicted), as metrics.ts. */
function fromConfusion(m: Float64Array, at: number, k: number): { accuracy: number; f1: number; balanced: number } {
  let total = 0
  let correct = 0
  let f1Sum = 0
  let recallSum = 0
  let present = 0
  for (let c = 0; c < k; c++) {
    let support = 0
    let predicted = 0
    for (let j = 0; j < k; j++) {
      support += m[at + c * k + j]!
      predicted += m[at + j * k + c]!
    }
    const tp = m[at + c * k + c]!
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

/** The statistics scored per single-label run: METRIC_NAMES then `auc:<class>` per class. */
export function singleStatNames(pred: Pick<Predictions, 'classNames'>): string[] {
  return [...METRIC_NAMES, ...pred.classNames.map((c) => `auc:${c}`)]
}

/** Every statistic under weights `w` into out (statistic-major, `B` values per statistic) at replicate `at`. */
function scoreSingle(p: PreparedSingle, w: Weights, out: Float64Array, at: number, B: number): void {
  const k = p.k
  const m = new Float64Array(k * k)
  let fusedAuc = NaN
  if (p.fused) {
    // One pass for binary: class 1's AUC, noting the weights on either side of the predicted-class cut.
    fusedAuc = weightedAuc(p.classes[1]!, w)
    m[0] = noted.cutNeg
    m[1] = noted.neg - noted.cutNeg
    m[2] = noted.cutPos
    m[3] = noted.pos - noted.cutPos
  } else {
    // Cell by cell into a local sum: no store-to-load chain through the matrix. Whole numbers: exact in any order.
    const { byCell, cellEnds } = p
    let j = 0
    for (let c = 0; c < m.length; c++) {
      let sum = 0
      for (const end = cellEnds[c]!; j < end; j++) sum += w[byCell[j]!]!
      m[c] = sum
    }
  }
  const c = fromConfusion(m, 0, k)
  out[at] = c.accuracy
  out[B + at] = c.f1
  out[2 * B + at] = c.balanced
  let sum = 0
  let count = 0
  for (let cls = 0; cls < k; cls++) {
    const s = p.classes[cls]!
    const same = p.classes.indexOf(s)
    const auc = same < cls ? out[(4 + same) * B + at]! : p.fused ? fusedAuc : weightedAuc(s, w)
    out[(4 + cls) * B + at] = auc
    // Macro mean over the classes with an AUC (a class absent from a resample has none), in class order.
    if (Number.isFinite(auc)) {
      sum += auc
      count++
    }
  }
  out[3 * B + at] = k === 2 ? out[5 * B + at]! : count ? sum / count : NaN
}

/** Per-image multi-label predictions (see multilabel.ts). */
export interface MultiPredictions {
  /** 0/1 per finding, per image. */
  targets: number[][]
  /** Probability per finding, per image. */
  probs: number[][]
  /** Finding names. */
  classNames: string[]
}

interface PreparedMulti {
  findings: SortedClass[]
}

function prepareMulti(pred: MultiPredictions): PreparedMulti {
  const n = pred.targets.length
  return {
    findings: pred.classNames.map((_, k) => {
      const score = new Float64Array(n)
      for (let i = 0; i < n; i++) score[i] = pred.probs[i]![k]!
      return sortedScores(score, (i) => pred.targets[i]![k]! > 0.5)
    }),
  }
}

/** Mean of the defined per-finding AUCs (as multilabel.ts meanFindingAuc) under weights `w`. */
function scoreMulti(p: PreparedMulti, w: Weights, out: Float64Array, at: number): void {
  let sum = 0
  let count = 0
  for (const f of p.findings) {
    const auc = weightedAuc(f, w)
    if (Number.isFinite(auc)) {
      sum += auc
      count++
    }
  }
  out[at] = count ? sum / count : NaN
}

// ---------------------------------------------------------------------------------------------
// Per-run statistic vectors

/** A run's statistics: their names, the value on the test set, and one value per replicate of a stream. */
export interface StatVectors {
  /** Statistic names, in storage order. */
  names: string[]
  /** The value on all test images, per statistic. */
  estimate: Float64Array
  /** names.length x replicates values, statistic-major. */
  values: Float64Array
  /** Replicates. */
  replicates: number
}

/** One statistic's replicate values (a view, no copy). */
export function statValues(v: StatVectors, name: string): Float64Array {
  const i = v.names.indexOf(name)
  if (i < 0) throw new Error(`No statistic "${name}" among ${v.names.join(', ')}.`)
  return v.values.subarray(i * v.replicates, (i + 1) * v.replicates)
}

/** One statistic's value on all test images. */
export function statEstimate(v: StatVectors, name: string): number {
  const i = v.names.indexOf(name)
  if (i < 0) throw new Error(`No statistic "${name}" among ${v.names.join(', ')}.`)
  return v.estimate[i]!
}

type Scored = Predictions | MultiPredictions
const preparedSingle = new WeakMap<Predictions, PreparedSingle>()
const preparedMulti = new WeakMap<MultiPredictions, PreparedMulti>()
const vectorCache = new WeakMap<Scored, Map<string, StatVectors>>()

const isMulti = (p: Scored): p is MultiPredictions => Array.isArray(p.targets[0])

/**
 * The statistics of a prediction set on every replicate of a stream, computed once (single-label:
 * METRIC_NAMES and `auc:<class>`; multi-label: `mean_auc`, the mean over the findings).
 */
export function vectorsOf(pred: Scored, ts: TestSet, nSeeds: number): StatVectors {
  let byStream = vectorCache.get(pred)
  if (!byStream) vectorCache.set(pred, (byStream = new Map()))
  const key = `${ts.id}|${nSeeds}`
  const hit = byStream.get(key)
  if (hit) return hit
  if (pred.targets.length !== ts.n) throw new Error(`${pred.targets.length} predictions for a test set of ${ts.n} images.`)
  const stored = ts.store?.get(pred, ts, nSeeds)
  if (stored) {
    vectorCounters.stored++
    byStream.set(key, stored)
    return stored
  }
  const draws = ts.draws(nSeeds)
  const B = draws.replicates
  let v: StatVectors
  if (isMulti(pred)) {
    let p = preparedMulti.get(pred)
    if (!p) preparedMulti.set(pred, (p = prepareMulti(pred)))
    const estimate = new Float64Array(1)
    scoreMulti(p, ts.all(), estimate, 0)
    const values = new Float64Array(B)
    for (let b = 0; b < B; b++) scoreMulti(p, draws.weights[b]!, values, b)
    v = { names: ['mean_auc'], estimate, values, replicates: B }
  } else {
    let p = preparedSingle.get(pred)
    if (!p) preparedSingle.set(pred, (p = prepareSingle(pred)))
    const names = singleStatNames(pred)
    const estimate = new Float64Array(names.length)
    scoreSingle(p, ts.all(), estimate, 0, 1)
    const values = new Float64Array(names.length * B)
    for (let b = 0; b < B; b++) scoreSingle(p, draws.weights[b]!, values, b, B)
    v = { names, estimate, values, replicates: B }
  }
  vectorCounters.computed++
  ts.store?.put(pred, ts, nSeeds, v)
  byStream.set(key, v)
  return v
}

// ---------------------------------------------------------------------------------------------
// Intervals from vectors (the same arithmetic as bootstrap.ts and hierarchical.ts)

function percentile(values: ArrayLike<number>, level: number): { lo: number; hi: number; valid: number } {
  const finite: number[] = []
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!)
  finite.sort((a, b) => a - b)
  const tail = (1 - level) / 2
  return { lo: quantileSorted(finite, tail), hi: quantileSorted(finite, 1 - tail), valid: finite.length }
}

/** A run statistic: its value on the test set and its replicate values on the plain stream. */
export interface Vector {
  /** The statistic on all test images. */
  estimate: number
  /** The statistic on each replicate. */
  values: Float64Array
}

/** A statistic of a run (or ensemble) on the plain patient bootstrap. */
export function plainStat(pred: Scored, ts: TestSet, name: string): Vector {
  const v = vectorsOf(pred, ts, 1)
  return { estimate: statEstimate(v, name), values: statValues(v, name) }
}

/** Percentile interval of a statistic's replicate values (bootstrap.ts bootstrapInterval). */
export function intervalOf(s: Vector, level: number): Interval {
  return { estimate: s.estimate, ...percentile(s.values, level) }
}

/** Interval, verdict and bootstrap p of a - b on the same resamples (bootstrap.ts differenceInterval). */
export function differenceOf(a: Vector, b: Vector, level: number): PairedDifference {
  const values = new Array<number>(a.values.length)
  for (let i = 0; i < values.length; i++) values[i] = a.values[i]! - b.values[i]!
  const r = { estimate: a.estimate - b.estimate, ...percentile(values, level) }
  return { ...r, verdict: verdictOf(r.lo, r.hi), p: bootstrapPValue(values) }
}

/**
 * The seed-mean interval of the hierarchical bootstrap (hierarchical.ts hierarchicalIntervals) of
 * one statistic of each seed's prediction set.
 */
export function hierarchicalOf(preds: readonly Scored[], ts: TestSet, name: string): Interval {
  const k = preds.length
  const vs = preds.map((p) => vectorsOf(p, ts, k))
  const vals = vs.map((v) => statValues(v, name))
  const est = vs.map((v) => statEstimate(v, name))
  const draws = ts.draws(k)
  const B = draws.replicates
  const values = new Float64Array(B)
  for (let b = 0; b < B; b++) {
    const s = draws.seeds[b]!
    let acc = 0
    for (let j = 0; j < k; j++) acc += vals[s[j]!]![b]!
    values[b] = acc / k
  }
  const estimate = est.reduce((acc, x) => acc + x, 0) / k
  return { estimate, ...percentile(values, ts.opts.level) }
}

/**
 * The paired test across k >= 2 seeds of a_s - b_s (hierarchical.ts seedPairedDifference), from the
 * plain-stream vectors of each seed's pair.
 */
export function seedPairedOf(pairs: readonly { a: Vector; b: Vector }[], level: number): SeedPairedDifference {
  const k = pairs.length
  if (k < 2) throw new Error('seedPairedOf needs two or more seeds')
  const d = pairs.map((p) => p.a.estimate - p.b.estimate)
  const mean = d.reduce((a, b) => a + b, 0) / k
  const seedVar = d.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1)
  const B = pairs[0]!.a.values.length
  const finite: number[] = []
  for (let b = 0; b < B; b++) {
    let s = 0
    for (let t = 0; t < k; t++) s += pairs[t]!.a.values[b]! - pairs[t]!.b.values[b]!
    const x = s / k
    if (Number.isFinite(x)) finite.push(x)
  }
  const bm = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length)
  const patientVar = finite.length > 1 ? finite.reduce((a, x) => a + (x - bm) ** 2, 0) / (finite.length - 1) : 0
  const se = Math.sqrt(seedVar / k + patientVar)
  const df = k - 1
  if (!(se > 0) || !Number.isFinite(mean)) return { estimate: mean, lo: mean, hi: mean, valid: finite.length, p: Number.isFinite(mean) && mean !== 0 ? 0 : 1, se: 0, df, k, seedVar, patientVar }
  const q = tQuantileTwoSided(1 - level, df)
  return { estimate: mean, lo: mean - q * se, hi: mean + q * se, valid: finite.length, p: tTwoSided(mean / se, df), se, df, k, seedVar, patientVar }
}

/** The difference of seed means: the paired test across seeds with two or more, the patient bootstrap with one (h2.ts acrossSeeds). */
export function acrossSeedsOf(pairs: readonly { a: Vector; b: Vector }[], level: number): PairedDifference & Partial<SeedPairedDifference> {
  if (pairs.length === 1) return differenceOf(pairs[0]!.a, pairs[0]!.b, level)
  const d = seedPairedOf(pairs, level)
  return { ...d, verdict: verdictOf(d.lo, d.hi) }
}

