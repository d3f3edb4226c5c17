// `xlab study plan` and `xlab study create`/`list` as a user runs them.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const xlab = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'xlab.mjs')
const run = (...args: string[]) => spawnSync(process.execPath, [xlab, ...args], { encoding: 'utf8', timeout: 60_000 })

describe('xlab study', () => {
  it('plans the demo preset: matrix, counts per stage and an estimate', () => {
    const data = mkdtempSync(join(tmpdir(), 'xlab-cli-'))
    const r = run('study', 'plan', '--preset', 'demo', '--data', data)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/runs per stage: pretext 12, extract 13, downstream 124, probe 11; total 160, 0 already done/)
    // the snapshot probes (issue 24): one row per snapshot of each cell, linear on both targets, and a note
    expect(r.stdout).toMatch(/rotation\/demo-mammo@step12 +new /)
    expect(r.stdout).toContain('Snapshot probes: 36 linear probes of the encoder snapshots at steps 12, 24 of 48 of each pretext cell, on binary and 3class, seed 0 only')
    expect(r.stdout).toMatch(/rot\+inp\/demo-mammo +\. +\. +\. +new +\. +\. +\. +new/)
    expect(r.stdout).toMatch(/new {5}rotation@demo-mammo-s0/)
    // A fresh data root has measured nothing: the estimate says so instead of printing a figure.
    expect(r.stdout).toMatch(/estimated work left: not measured yet: no throughput of \S+ at 32 px/)
  })

  it('creates a study, then re-plans an edit reusing what exists, and explains a bad config', () => {
    const data = mkdtempSync(join(tmpdir(), 'xlab-cli-'))
    const first = run('study', 'create', 'mine', '--preset', 'demo', '--data', data)
    expect(first.status, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/study mine \(st-[0-9a-f]{8}\): 160 new run\(s\), 0 reused/)
    const list = run('study', 'list', '--json', '--data', data)
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ name: 'mine', state: 'draft', counts: { queued: 160 } })

    const planned = JSON.parse(run('study', 'plan', '--preset', 'demo', '--json', '--data', data).stdout)
    const cfg = planned.config
    // Each run shows its engine params: every pretext run has the study's one budget.
    const pretext = planned.runs.filter((r: { stage: string }) => r.stage === 'pretext')
    expect(pretext.map((r: { params: { steps: number; batch_size: number } }) => [r.params.steps, r.params.batch_size])).toEqual(pretext.map(() => [48, 64]))
    cfg.seeds = [0, 1]
    const file = join(data, 'two-seeds.json')
    writeFileSync(file, JSON.stringify(cfg))
    const edited = run('study', 'create', 'mine', '--config', file, '--data', data)
    expect(edited.stdout).toMatch(/123 new run\(s\), 160 reused/)

    writeFileSync(file, JSON.stringify({ ...cfg, targets: ['binary', 'five-class'] }))
    const bad = run('study', 'plan', '--config', file, '--data', data)
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/The study config is not valid \(targets\.1: .*\)/)
  })
})
