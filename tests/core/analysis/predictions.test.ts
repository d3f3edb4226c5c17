// The one reader of test_predictions.json (analysis, run detail and gallery all use it): both
// shapes the engine writes (downstream/common.py write_test_outputs), and damaged files refused with
// the file's path and what is wrong in it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRunPredictions } from '../../../src-core/analysis/predictions.ts'
import { tmp } from '../datasets/helpers.ts'

/** A run folder holding `content` as its test_predictions.json (written as is when a string). */
function runWith(content: unknown): string {
  const dir = join(tmp('xlab-pred-'), 'run')
  mkdirSync(dir)
  writeFileSync(join(dir, 'test_predictions.json'), typeof content === 'string' ? content : JSON.stringify(content))
  return dir
}

describe('readRunPredictions', () => {
  it('reads a single-label file as one class per image', () => {
    const dir = runWith({ split: 'test', indices: [4, 7], targets: [1, 0], probs: [[0.2, 0.8], [0.6, 0.4]], class_names: ['No Finding', 'Finding'] })
    expect(readRunPredictions(dir)).toEqual({ multilabel: false, indices: [4, 7], targets: [1, 0], probs: [[0.2, 0.8], [0.6, 0.4]], classNames: ['No Finding', 'Finding'] })
  })

  it('reads a multilabel14 file as a 0/1 row per image', () => {
    const dir = runWith({ split: 'test', multilabel: true, indices: [2, 3], targets: [[1, 0, 0], [0, 0, 1]], probs: [[0.9, 0.1, 0.2], [0.3, 0.2, 0.7]], class_names: ['Atelectasis', 'Cardiomegaly', 'Effusion'] })
    expect(readRunPredictions(dir)).toEqual({ multilabel: true, indices: [2, 3], targets: [[1, 0, 0], [0, 0, 1]], probs: [[0.9, 0.1, 0.2], [0.3, 0.2, 0.7]], classNames: ['Atelectasis', 'Cardiomegaly', 'Effusion'] })
  })

  it('returns null for a run that wrote no file', () => {
    expect(readRunPredictions(tmp('xlab-pred-'))).toBeNull()
  })

  it('refuses a damaged file naming the file, the shape it claims and what is wrong', () => {
    // A multi-label file whose second row lost a finding (and whose first target is text).
    const ml = runWith({ multilabel: true, indices: [0, 1], targets: [['1', 0], [0]], probs: [[0.9, 0.1], [0.3]], class_names: ['A', 'B'] })
    expect(() => readRunPredictions(ml)).toThrow(`${join(ml, 'test_predictions.json')} is not a multi-label predictions file (targets.0.0:`)
    // A single-label file with a target outside its two classes and a row of three probabilities.
    const single = runWith({ indices: [0, 1], targets: [0, 2], probs: [[0.5, 0.5], [0.2, 0.3, 0.5]], class_names: ['No Finding', 'Finding'] })
    expect(() => readRunPredictions(single)).toThrow(/test_predictions\.json is not a predictions file \(every probs row needs one value per class name; a target is outside the class list\)\. Retry the run/)
    const cut = runWith('{"indices": [0, 1], "targ')
    expect(() => readRunPredictions(cut)).toThrow(/test_predictions\.json is not valid JSON \(.*\)\. Retry the run to write it again\./)
  })
})
