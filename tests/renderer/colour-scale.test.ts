// The shared heatmap scale: direction-aware (a loss's best end is its lowest value) and every cell's
// text readable at WCAG AA (4.5:1) over the whole scale.
import { describe, expect, it } from 'vitest'
import { cellColours, contrast, goodness, rgbAt, sharedScale } from '../../src-renderer/composables/colour-scale.ts'

describe('colour scale', () => {
  it('puts the best value at the same end whichever direction is better', () => {
    const auc = sharedScale([0.6, 0.7, 0.8], true)!
    const loss = sharedScale([0.3, 0.5, 0.9], false)!
    expect(goodness(0.8, auc)).toBe(1)
    expect(goodness(0.3, loss)).toBe(1)
    expect(goodness(0.9, loss)).toBe(0)
    expect(cellColours(0.3, loss).background).toBe(cellColours(0.8, auc).background)
  })

  it('spans the values of every panel given, not of one table', () => {
    expect(sharedScale([0.71, null, 0.79, undefined, 0.52], true)).toEqual({ min: 0.52, max: 0.79, higherIsBetter: true })
    expect(sharedScale([null], true)).toBeNull()
  })

  it('chooses a text colour with at least 4.5:1 contrast on every colour of the scale', () => {
    const s = { min: 0, max: 1, higherIsBetter: true }
    for (let i = 0; i <= 100; i++) {
      const c = cellColours(i / 100, s)
      expect(contrast(c.rgb, c.text)).toBeGreaterThanOrEqual(4.5)
    }
    expect(rgbAt(0)).toEqual([68, 1, 84])
  })
})
