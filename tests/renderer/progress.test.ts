// Run progress from engine events (epochs counted from 1, steps within the epoch).
import { describe, expect, it } from 'vitest'
import { progressFraction } from '../../src-renderer/composables/progress.ts'

describe('run progress', () => {
  it('counts epochs from 1 and steps within the epoch', () => {
    expect(progressFraction({ epoch: 1, epochs: 2, step: 0, steps: 10 })).toBe(0)
    expect(progressFraction({ epoch: 2, epochs: 2, step: 15, steps: 20 })).toBe(0.75)
    expect(progressFraction({ epoch: 2, epochs: 2, step: 20, steps: 20 })).toBe(1)
    expect(progressFraction({ epoch: 0, epochs: 0, step: 0, steps: 0 })).toBe(0)
  })
})
