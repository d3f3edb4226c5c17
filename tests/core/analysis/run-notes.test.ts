// Report lines about how runs ran: solved-early pretext runs, and the BatchNorm statistics per protocol.
import { describe, expect, it } from 'vitest'
import { batchNormLines, shortcutCells, shortcutLines, solvedEarlyLines } from '../../../src-core/analysis/run-notes.ts'
import { shortcutSection } from '../../../src-core/analysis/report/html.ts'
import type { StudyAnalysis } from '../../../src-core/api/results.ts'
import type { ResultRun } from '../../../src-core/store/results.ts'

const run = (over: Partial<ResultRun>): ResultRun => ({ id: 'r', name: 'n', stage: 'pretext', state: 'done', pretext: 'rotation', pretrainDataset: 'demo-mammo', protocol: null, fusionMode: null, summary: null, ...over }) as ResultRun

describe('run notes in the report', () => {
  it('names each pretext run solved early, with its step and accuracy', () => {
    const lines = solvedEarlyLines([
      run({ name: 'rotation@demo-mammo-s0', summary: { steps: 48, solved_early: { step: 24, accuracy: 1 } } }),
      run({ name: 'inpainting@demo-mammo-s0', pretext: 'inpainting', summary: { steps: 48, solved_early: null } }),
      run({ name: 'structure@demo-mammo-s0', state: 'failed', summary: { solved_early: { step: 12, accuracy: 1 } } }),
    ])
    expect(lines).toEqual(['Pretext run rotation@demo-mammo-s0 (rotation on demo-mammo) was solved early: validation accuracy 1.000 at step 24 of 48; the task may teach the encoder little.'])
  })

  it('says which BatchNorm statistics each protocol used, and what that means for finetune vs linear', () => {
    const lines = batchNormLines([
      run({ stage: 'downstream', protocol: 'linear', summary: { batchnorm: 'pretext' } }),
      run({ stage: 'downstream', protocol: 'finetune', summary: { batchnorm: 'adabn, then trained' } }),
      run({ stage: 'downstream', protocol: 'linear', fusionMode: 'linear', summary: { batchnorm: 'pretext' } }),
    ])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/linear: pretext; finetune: adabn, then trained; fusion linear: pretext\. Part of the difference .* BatchNorm adaptation/)
    expect(batchNormLines([run({ stage: 'downstream', protocol: 'linear', summary: { batchnorm: 'adabn' } })])[0]).not.toMatch(/Part of/)
  })

  it('lists the pretext cells whose task a trivial statistic solves, from the shortcut score in the summary', () => {
    const shortcut = (value: number, normalised: number, trivial: boolean) => ({ stats: { metric: 'accuracy', value, chance: 0.25, normalised }, random_init: { value: 0.5 }, trivial })
    const cells = shortcutCells([
      run({ name: 'rotation@demo-mammo-s0', seed: 0, summary: { shortcut: shortcut(0.99, 0.987, true), chance: { achieved: 1, metric: 'accuracy' } } }),
      run({ name: 'rotation@demo-natural-s0', pretrainDataset: 'demo-natural', seed: 0, summary: { shortcut: shortcut(0.4, 0.2, false) } }),
      run({ name: 'rotation@demo-brainct-s0', state: 'failed', summary: { shortcut: shortcut(1, 1, true) } }),
      run({ name: 'old-run', summary: { steps: 48 } }),
    ])
    expect(cells.map((c) => [c.run, c.trivial, c.stats, c.randomInit, c.achieved])).toEqual([
      ['rotation@demo-mammo-s0', true, 0.99, 0.5, 1],
      ['rotation@demo-natural-s0', false, 0.4, 0.5, null],
    ])
    expect(shortcutLines(cells)).toEqual(['Pretext run rotation@demo-mammo-s0 (rotation on demo-mammo): a regression on 24 cheap image statistics solves the task before any training (accuracy 0.990, chance 0.250); its pretext accuracy says little about what the encoder learned.'])
  })

  it('lists the trivially solved cells in the report\'s H1 section, or says there are none', () => {
    const shortcut = (trivial: boolean) => ({ stats: { metric: 'accuracy', value: trivial ? 0.99 : 0.4, chance: 0.25, normalised: trivial ? 0.99 : 0.2 }, trivial })
    const cells = shortcutCells([
      run({ name: 'a', seed: 0, summary: { shortcut: shortcut(true) } }),
      run({ name: 'b', seed: 1, summary: { shortcut: shortcut(true) } }),
      run({ name: 'c', pretext: 'structure', seed: 0, summary: { shortcut: shortcut(false) } }),
    ])
    const html = shortcutSection({ h1: { shortcuts: cells } } as unknown as StudyAnalysis)
    expect(html).toContain('<strong>Solved by a trivial statistic:</strong> rotation on demo-mammo.')
    expect(html.match(/<tr>/g)).toHaveLength(4)
    expect(shortcutSection({ h1: { shortcuts: cells.slice(2) } } as unknown as StudyAnalysis)).toContain('No pretext cell is solved by a trivial statistic')
    expect(shortcutSection({ h1: {} } as unknown as StudyAnalysis)).toBe('')
  })
})
