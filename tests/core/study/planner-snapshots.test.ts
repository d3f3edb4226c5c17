// Transfer against pretext progress (issue 24, item 5): pretext.snapshots puts the snapshot fractions
// into every pretext cell's job (not the supervised reference's), downstream.snapshotProbes plans one
// linear probe per snapshot, cell and target for the first seed, each waiting for its pretext run and
// reading the snapshot file the job builder finds by step; a study without them keeps its run ids.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildJob, JobBuildError } from '../../../src-core/runner/job-builder.ts'
import type { RunRecord } from '../../../src-core/store/runs.ts'
import { parseStudyConfig, type StudyConfigInput } from '../../../src-core/study/config.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'
import { snapshotOf, snapshotStep } from '../../../src-core/study/snapshots.ts'
import { tmp } from '../datasets/helpers.ts'

const base = presetConfig('demo')
const config = (pretext: Partial<StudyConfigInput['pretext']>, snapshotProbes: boolean, over: Partial<StudyConfigInput> = {}) =>
  parseStudyConfig({
    ...base,
    pretextTasks: ['rotation', 'inpainting'],
    pretrainDatasets: ['demo-mammo'],
    seeds: [3, 7],
    fusion: { sets: [], modes: ['linear'] },
    pretext: { ...base.pretext, ...pretext },
    downstream: { ...base.downstream, snapshotProbes },
    ...over,
  })

describe('planning encoder snapshots and their probes', () => {
  it('plans a linear probe per snapshot, cell and target for the first seed, after its pretext run', () => {
    const plan = planStudy(config({ steps: 48, snapshots: [1, 0.25, 0.5] }, true))
    const pretext = plan.runs.filter((r) => r.stage === 'pretext')
    for (const r of pretext) expect(r.spec.params.snapshots, r.name).toEqual(r.spec.params.task === 'supervised' ? undefined : [0.25, 0.5, 1])
    const probes = plan.runs.filter((r) => snapshotOf(r.spec))
    // 2 cells x 3 snapshots x 2 targets, seed 3 only, written out by hand
    expect(probes.map((r) => r.name)).toEqual(
      ['binary', '3class'].flatMap((t) => ['rotation', 'inpainting'].flatMap((task) => [12, 24, 48].map((step) => `${t}-linear-${task}@demo-mammo-step${step}-s3`))),
    )
    const index = new Map(plan.runs.map((r, i) => [r.id, i]))
    for (const r of probes) {
      const pre = pretext.find((p) => p.pretext === r.pretext && p.seed === 3)!
      expect(r.deps).toEqual([pre.id])
      expect(index.get(pre.id)!).toBeLessThan(index.get(r.id)!)
      const snap = snapshotOf(r.spec)!
      expect(snap.pretextRunId).toBe(pre.id)
      expect(r.encoders).toEqual([`${r.pretext}/demo-mammo@step${snap.step}`])
      expect([r.stage, r.protocol, r.seed, r.pretrainDataset]).toEqual(['downstream', 'linear', 3, 'demo-mammo'])
      // the same L-BFGS probe as the study's own linear runs: only the encoder differs
      const main = plan.runs.find((m) => m.name === `${r.target}-linear-${r.pretext}@demo-mammo-s3`)!
      expect({ ...r.spec.params, encoders: null }).toEqual({ ...main.spec.params, encoders: null })
      expect(r.spec.params.linear_solver).toBe('lbfgs')
    }
    expect(plan.notes).toContain('Snapshot probes: 12 linear probes of the encoder snapshots at steps 12, 24, 48 of 48 of each pretext cell, on binary and 3class, seed 3 only; the analysis shows their ROC-AUC against pretext steps (H1).')
    expect(plan.counts.downstream).toBe(planStudy(config({ steps: 48, snapshots: [0.25, 0.5, 1] }, false)).counts.downstream + 12)
  })

  it('a study without snapshots plans the runs it planned before they existed (same ids)', () => {
    // the config as written before the fields existed: neither key present
    const { snapshots: _s, ...pretextBefore } = base.pretext
    const { snapshotProbes: _p, ...downstreamBefore } = base.downstream
    const before = planStudy(parseStudyConfig({ ...config({}, false), pretext: pretextBefore, downstream: downstreamBefore }))
    const now = planStudy(config({ snapshots: [] }, false))
    expect(now.runs.map((r) => r.id)).toEqual(before.runs.map((r) => r.id))
    // snapshots without probes: only the pretext runs (and what depends on them) change
    const saved = planStudy(config({ snapshots: [0.5] }, false))
    expect(saved.runs.length).toBe(before.runs.length)
  })

  it('refuses probes without snapshots, and two snapshots on one step, with a sentence', () => {
    expect(() => config({ snapshots: [] }, true)).toThrow(/snapshotProbes probes the encoder snapshots of pretext.snapshots, which is empty/)
    expect(() => config({ steps: 4, snapshots: [0.5, 0.51] }, false)).toThrow(/snapshots 0.5 and 0.51 both fall on step 2 of 4/)
    expect(() => config({ snapshots: [0] }, false)).toThrow(/pretext.snapshots/)
    expect(() => config({ snapshots: [1.5] }, false)).toThrow(/pretext.snapshots/)
  })

  it('rounds a fraction to the step the engine names its file by', () => {
    // engine/xlab/snapshots.py snapshot_step: nearest step, halves up, at least 1 (tests/engine/test_pretext_snapshots.py)
    expect([snapshotStep(0.25, 48), snapshotStep(0.5, 3), snapshotStep(0.01, 10), snapshotStep(1, 7)]).toEqual([12, 2, 1, 7])
  })

  it('the job builder resolves a snapshot to the file of its step, and says when it is missing', () => {
    const plan = planStudy(config({ steps: 48, snapshots: [0.25, 0.5] }, true))
    const probe = plan.runs.find((r) => r.name === 'binary-linear-rotation@demo-mammo-step24-s3')!
    const root = tmp('xlab-snap-')
    const preDir = join(root, 'runs', 'pre')
    mkdirSync(join(preDir, 'snapshots'), { recursive: true })
    for (const step of [12, 24]) writeFileSync(join(preDir, 'snapshots', `encoder__rotation__demo-mammo__s3__step${step}.pth`), '')
    const record = (over: Partial<RunRecord>) => ({ ...over, summary: null, progress: null }) as RunRecord
    const pre = record({ id: probe.deps[0]!, name: 'rotation@demo-mammo-s3', state: 'done', runDir: preDir, stage: 'pretext' })
    const run = record({ id: probe.id, name: probe.name, runDir: join(root, 'runs', 'probe'), spec: { ...probe.spec, provenance: undefined }, stage: 'downstream' })
    const opts = { datasets: (name: string) => ({ id: 'd', name, dir: join(root, name), status: 'ready' }), runs: { run: (id: string) => (id === pre.id ? pre : null) }, device: 'cpu', threads: 1 }
    expect(buildJob(run, opts).params.encoders).toEqual([join(preDir, 'snapshots', 'encoder__rotation__demo-mammo__s3__step24.pth')])
    const other = record({ ...run, spec: { ...run.spec, params: { ...run.spec.params, encoders: [{ $snapshot: pre.id, step: 36 }] } } })
    expect(() => buildJob(other, opts)).toThrow(JobBuildError)
    expect(() => buildJob(other, opts)).toThrow(/has 0 encoder snapshots of step 36 .* retry that pretext run/)
    rmSync(root, { recursive: true, force: true })
  })
})
