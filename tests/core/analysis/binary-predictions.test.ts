// Issue 21: the analysis reads the engine's binary test predictions (test_predictions.npy with the
// class names of summary.json) in one go, equal to the JSON; old runs with the JSON only, and a
// binary file that does not fit the class names, are read from the JSON.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readBinaryPredictions, readRunPredictions } from '../../../src-core/analysis/predictions.ts'
import { writeNpy } from '../../../src-core/datasets/npy.ts'
import { tmp } from '../datasets/helpers.ts'

function runDir(pred: { indices: number[]; targets: (number | number[])[]; probs: number[][]; class_names: string[]; multilabel?: boolean }, binary: boolean): string {
  const dir = join(tmp('xlab-binpred-'), 'run')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'test_predictions.json'), JSON.stringify({ split: 'test', ...pred }))
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ class_names: pred.class_names, multilabel: pred.multilabel ?? false }))
  if (binary) {
    const rows = pred.indices.map((idx, i) => [idx, ...[pred.targets[i]!].flat(), ...pred.probs[i]!])
    writeNpy(join(dir, 'test_predictions.npy'), 'f8', [rows.length, rows[0]!.length], Float64Array.from(rows.flat()))
  }
  return dir
}

const single = { indices: [4, 7, 9], targets: [0, 2, 1], probs: [[0.123457, 0.5, 0.376543], [0.2, 0.2, 0.6], [0.333333, 0.333333, 0.333333]], class_names: ['No Finding', 'Pneumonia', 'Other finding'] }
const multi = { indices: [1, 2], targets: [[0, 1], [1, 1]], probs: [[0.1, 0.9], [0.7, 0.8]], class_names: ['A', 'B'], multilabel: true }

describe('binary test predictions', () => {
  it('equal the JSON for a class target and for multilabel14', () => {
    for (const p of [single, multi]) {
      const withBinary = runDir(p, true)
      expect(readBinaryPredictions(withBinary)).not.toBeNull()
      const jsonOnly = runDir(p, false)
      expect(readBinaryPredictions(jsonOnly)).toBeNull()
      expect(readRunPredictions(withBinary)).toEqual(readRunPredictions(jsonOnly))
    }
  })

  it('a binary file that does not fit the class names is passed over for the JSON', () => {
    const dir = runDir(single, true)
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ class_names: ['a', 'b'] }))
    expect(readBinaryPredictions(dir)).toBeNull()
    expect(readRunPredictions(dir)!.classNames).toEqual(single.class_names)
  })
})
