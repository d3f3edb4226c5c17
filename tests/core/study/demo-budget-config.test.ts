// scripts/demo-budget-2026-12-01.json is the demo study as main ran it on 2026-12-01 (the 14:25 of
// issue 14): the same matrix and budgets, on whatever code runs it. `xlab study run demo-before
// --config scripts/demo-budget-2026-12-01.json` times the old budget on new code beside the demo.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseStudyConfig } from '../../../src-core/study/config.ts'
import { planStudy } from '../../../src-core/study/planner.ts'

const FILE = join(import.meta.dirname, '../../../scripts/demo-budget-2026-12-01.json')

describe('the 2026-12-01 demo budget as a study config', () => {
  it('parses and plans the 83 runs of that day with its budgets', () => {
    const cfg = parseStudyConfig(JSON.parse(readFileSync(FILE, 'utf8')))
    expect(planStudy(cfg).counts).toEqual({ pretext: 9, extract: 9, downstream: 54, probe: 11 })
    expect(cfg.pretrainDatasets).toEqual(['demo-natural', 'demo-brainct', 'demo-mammo'])
    expect([cfg.imageSize, cfg.pretext.steps, cfg.pretext.batchSize, cfg.pretext.lr, cfg.pretext.warmupSteps]).toEqual([32, 48, 64, 1e-3, 0])
    expect([cfg.downstream.epochs, cfg.downstream.maxStepsPerEpoch, cfg.downstream.batchSize, cfg.downstream.maxTrainImages]).toEqual([4, 16, 64, 1024])
    expect(cfg.fusion.modes).toEqual(['linear', 'finetune'])
    expect([cfg.device.cpuSlots, cfg.device.threadsPerJob]).toEqual([2, 1])
  })
})
