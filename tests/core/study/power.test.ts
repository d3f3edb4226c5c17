// Issue 24: the planner says, before a study runs, which ROC-AUC difference its seeds and test set
// can detect, and that one seed tests no comparison of two trained models.
import { describe, expect, it } from 'vitest'
import { planStudy } from '../../../src-core/study/planner.ts'
import { detectableDifference, detectableSentence, tQuantile } from '../../../src-core/study/power.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'

describe('the detectable difference', () => {
  it('inverts the t distribution and shrinks with seeds and test images, but not below the test-set floor', () => {
    expect(tQuantile(0.025, 2)).toBeCloseTo(4.303, 2)
    expect(tQuantile(0.2, 4)).toBeCloseTo(0.941, 2)
    expect(detectableDifference(1, 400)).toBeNull()
    const d3 = detectableDifference(3, 400)!
    const d5 = detectableDifference(5, 400)!
    expect(d3).toBeGreaterThan(d5)
    expect(detectableDifference(5, 4000)!).toBeLessThan(d5)
    // many seeds: the test-set part (0.45 / sqrt(n)) x (1.96 + 0.84) is what remains
    expect(detectableDifference(200, 400)!).toBeGreaterThan(2.8 * 0.45 / 20)
    expect([d3.toFixed(2), d5.toFixed(2)]).toEqual(['0.14', '0.09'])
  })

  it('is a note of every plan: one seed says no verdict; several give the difference', () => {
    const demo = planStudy(presetConfig('demo'), { engineVersion: 'x', datasetChecksum: () => null, datasetClasses: (n) => (n === 'demo-chest' ? { classes: 15, multiLabel: true, testImages: 400 } : { classes: 3, multiLabel: false }) })
    expect(demo.notes.at(-1)).toBe(detectableSentence(1, 400))
    expect(demo.notes.at(-1)).toMatch(/^With 1 seed the training noise .* is unmeasured, so the comparisons of two trained models .* give no verdict; .* \(with 3 seeds and 400 test images, about 0\.14 ROC-AUC is detectable; with 5, about 0\.09\)\.$/)
    const paper = planStudy(presetConfig('paper'))
    expect(paper.notes.at(-1)).toMatch(/^With 3 seeds the detectable ROC-AUC difference depends on a test split of unknown size/)
    expect(detectableSentence(3, 400)).toMatch(/^With 3 seeds and 400 test images, a paired comparison of two trained models detects a ROC-AUC difference of about 0\.14 \(80% power/)
  })
})
