// Metrics recomputed from predictions, against values computed with scikit-learn 1.x
// (accuracy_score, f1_score(average='weighted'), balanced_accuracy_score, roc_auc_score).
import { describe, expect, it } from 'vitest'
import { rocCurves } from '../../../src-core/analysis/run-detail.ts'
import { binaryAuc, computeMetrics, confusionMatrix, type Predictions } from '../../../src-core/analysis/stats/metrics.ts'

const threeClass: Predictions = {
  indices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  targets: [0, 0, 0, 1, 1, 2, 2, 2, 2, 1],
  probs: [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.4, 0.4, 0.2], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]],
  classNames: ['No Finding', 'Pneumonia', 'Other'],
}

// Includes a 0.5/0.5 tie (argmax takes the first class, like numpy) and tied scores for the AUC.
const binary: Predictions = {
  indices: [0, 1, 2, 3, 4, 5, 6, 7],
  targets: [0, 0, 1, 1, 0, 1, 0, 1],
  probs: [[0.9, 0.1], [0.6, 0.4], [0.35, 0.65], [0.6, 0.4], [0.2, 0.8], [0.1, 0.9], [0.5, 0.5], [0.7, 0.3]],
  classNames: ['No Finding', 'Finding'],
}

describe('metrics recomputed from predictions', () => {
  it('match scikit-learn on a 3-class example (one-vs-rest macro AUC)', () => {
    const m = computeMetrics(threeClass)
    expect(m.accuracy).toBeCloseTo(0.6, 12)
    expect(m.f1_weighted).toBeCloseTo(0.5914285714285714, 12)
    expect(m.balanced_accuracy).toBeCloseTo(0.5833333333333334, 12)
    expect(m.roc_auc).toBeCloseTo(0.7757936507936508, 12)
  })

  it('match scikit-learn on a binary example with ties', () => {
    const m = computeMetrics(binary)
    expect(m.accuracy).toBeCloseTo(0.625, 12)
    expect(m.f1_weighted).toBeCloseTo(0.6190476190476191, 12)
    expect(m.balanced_accuracy).toBeCloseTo(0.625, 12)
    expect(m.roc_auc).toBeCloseTo(0.59375, 12)
  })

  it('builds the confusion matrix with rows = true class', () => {
    expect(confusionMatrix(threeClass)).toEqual([
      [2, 1, 0],
      [1, 1, 1],
      [1, 0, 3],
    ])
  })

  it('gives AUC 1 for a perfect ranking, 0.5 for all-tied scores, NaN with one class', () => {
    expect(binaryAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1)
    expect(binaryAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5)
    expect(binaryAuc([0.1, 0.9], [true, true])).toBeNaN()
  })

  it('draws ROC curves from (0,0) to (1,1) whose area equals the AUC', () => {
    for (const pred of [binary, threeClass]) {
      for (const c of rocCurves(pred)) {
        expect([c.fpr[0], c.tpr[0]]).toEqual([0, 0])
        expect([c.fpr.at(-1), c.tpr.at(-1)]).toEqual([1, 1])
        let area = 0
        for (let i = 1; i < c.fpr.length; i++) area += ((c.fpr[i]! - c.fpr[i - 1]!) * (c.tpr[i]! + c.tpr[i - 1]!)) / 2
        expect(area).toBeCloseTo(c.auc!, 12)
      }
    }
    expect(rocCurves(binary)).toHaveLength(1)
    expect(rocCurves(threeClass)).toHaveLength(3)
  })
})
