// The demo chest set carries signal: a plain logistic regression on downsampled pixels, trained
// briefly on the train split, beats chance clearly on the held-back test split, for both targets.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binaryTarget, threeClassTarget } from '../../../src-core/datasets/chest-labels.ts'
import { generateDemoSource } from '../../../src-core/datasets/demo/index.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import { freshEnv } from './helpers.ts'

/** Softmax regression with L2, full-batch gradient descent on standardised features. */
function train(x: Float64Array[], y: number[], classes: number, epochs = 300, lr = 0.5, l2 = 1e-3): (v: Float64Array) => number[] {
  const d = x[0]!.length
  const w = Array.from({ length: classes }, () => new Float64Array(d + 1))
  // Class weights so the rare classes count (as the engine's weighted loss does).
  const freq = new Array(classes).fill(0)
  for (const c of y) freq[c]++
  const cw = freq.map((f) => (f ? y.length / (classes * f) : 0))
  const probs = (v: Float64Array) => {
    const z = w.map((wc) => wc[d]! + wc.subarray(0, d).reduce((a, b, k) => a + b * v[k]!, 0))
    const m = Math.max(...z)
    const e = z.map((t) => Math.exp(t - m))
    const s = e.reduce((a, b) => a + b, 0)
    return e.map((t) => t / s)
  }
  for (let ep = 0; ep < epochs; ep++) {
    const grad = w.map(() => new Float64Array(d + 1))
    let wsum = 0
    x.forEach((v, i) => {
      const p = probs(v)
      const k = cw[y[i]!]!
      wsum += k
      for (let c = 0; c < classes; c++) {
        const g = k * (p[c]! - (c === y[i] ? 1 : 0))
        for (let j = 0; j < d; j++) grad[c]![j]! += g * v[j]!
        grad[c]![d]! += g
      }
    })
    for (let c = 0; c < classes; c++) for (let j = 0; j <= d; j++) w[c]![j]! -= lr * (grad[c]![j]! / wsum + (j < d ? l2 * w[c]![j]! : 0))
  }
  return probs
}

function auc(scores: number[], positive: boolean[]): number {
  const pos = scores.filter((_, i) => positive[i])
  const neg = scores.filter((_, i) => !positive[i])
  let wins = 0
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0
  return wins / (pos.length * neg.length)
}

describe('demo chest signal', () => {
  it('a logistic regression on 12x12 pixels beats chance on the test split (binary and 3-class)', async () => {
    const env = freshEnv()
    const req = await generateDemoSource(join(env.root, 'sources'), { name: 'demo-chest', count: 900, sourceSize: 64 }, { size: 24, seed: 3 })
    const rec = await (await prepareImport(env, req)).run({})
    const images = readNpy(join(rec.dir, 'images.npy')).data as Uint8Array
    const labels = readNpy(join(rec.dir, 'labels.npy')).data as Uint8Array
    const L = rec.labelNames.length
    const names = (i: number) => rec.labelNames.filter((_, k) => labels[i * L + k] === 1)
    // 24 -> 12 by 2x2 mean pooling; standardised with train statistics.
    const feats = (i: number) => {
      const v = new Float64Array(144)
      for (let y = 0; y < 24; y++) for (let x = 0; x < 24; x++) v[(y >> 1) * 12 + (x >> 1)]! += images[i * 576 + y * 24 + x]! / (4 * 255)
      return v
    }
    const idx = (s: string) => [...(readNpy(join(rec.dir, `split-${s}.npy`)).data as Uint32Array)]
    const tr = idx('train')
    const te = idx('test')
    const xtr = tr.map(feats)
    const mean = new Float64Array(144)
    const sd = new Float64Array(144)
    for (const v of xtr) v.forEach((a, k) => (mean[k]! += a / xtr.length))
    for (const v of xtr) v.forEach((a, k) => (sd[k]! += (a - mean[k]!) ** 2 / xtr.length))
    const norm = (v: Float64Array) => v.map((a, k) => (a - mean[k]!) / Math.sqrt(sd[k]! + 1e-6))
    const xs = xtr.map(norm)
    const xte = te.map((i) => norm(feats(i)))

    const yb = tr.map((i) => binaryTarget(names(i)))
    const pb = train(xs, yb, 2)
    const tb = te.map((i) => binaryTarget(names(i)) === 1)
    const binaryAuc = auc(xte.map((v) => pb(v)[1]!), tb)
    expect(binaryAuc).toBeGreaterThan(0.7)

    const y3 = tr.map((i) => threeClassTarget(names(i)))
    const p3 = train(xs, y3, 3)
    const t3 = te.map((i) => threeClassTarget(names(i)))
    const pred = xte.map((v) => {
      const p = p3(v)
      return p.indexOf(Math.max(...p))
    })
    const recall = [0, 1, 2].map((c) => {
      const of = t3.map((t, i) => [t, pred[i]] as const).filter(([t]) => t === c)
      return of.length ? of.filter(([, p]) => p === c).length / of.length : NaN
    })
    const balanced = recall.filter((r) => !Number.isNaN(r)).reduce((a, b) => a + b, 0) / recall.filter((r) => !Number.isNaN(r)).length
    // Chance is 1/3 balanced accuracy.
    expect(balanced).toBeGreaterThan(0.45)
    console.log(`demo chest: binary AUC ${binaryAuc.toFixed(3)}, 3-class balanced accuracy ${balanced.toFixed(3)} (recalls ${recall.map((r) => r.toFixed(2)).join('/')}), test n=${te.length}`)
  })
})
