// `xlab study create` chooses the executor and the Slurm job request; bad values are refused with
// the field named, and `xlab runs show` carries the run's Slurm job.
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../../src-core/cli/args.ts'
import { applyExecutorFlags } from '../../../src-core/cli/commands/executor-flags.ts'
import { openDatabase } from '../../../src-core/store/db.ts'
import { getStudy, listRuns } from '../../../src-core/store/runs.ts'
import { dataRootWith, REPO, tinyConfig } from '../runner/helpers.ts'

const run = promisify(execFile)

describe('executor flags', () => {
  it('lay the Slurm request over the config and imply --executor slurm', () => {
    const cfg = applyExecutorFlags({ preset: 'x', device: { cpuSlots: 2 } }, parseArgs(['--partition', 'gpu', '--gpus', '2', '--gpu-type', 'a100', '--time', '720', '--mem', '64', '--cpus', '8', '--account', 'rad', '--qos', 'high', '--slurm-setup', 'module load cuda', '--sbatch-arg=--constraint=ib']))
    expect(cfg).toEqual({ preset: 'x', device: { cpuSlots: 2, executor: 'slurm', slurm: { partition: 'gpu', gpus: 2, gpuType: 'a100', timeMinutes: 720, memGb: 64, cpusPerTask: 8, account: 'rad', qos: 'high', setup: ['module load cuda'], extraArgs: ['--constraint=ib'] } } })
    expect(applyExecutorFlags({ device: { executor: 'slurm', slurm: { gpus: 1 } } }, parseArgs(['--executor', 'local']))).toEqual({ device: { executor: 'local', slurm: { gpus: 1 } } })
    const untouched = { a: 1 }
    expect(applyExecutorFlags(untouched, parseArgs([]))).toBe(untouched)
    expect(() => applyExecutorFlags({}, parseArgs(['--executor', 'local', '--gpus', '1']))).toThrow(/--executor local/)
    expect(() => applyExecutorFlags({}, parseArgs(['--executor', 'cloud']))).toThrow(/choose local or slurm/)
  })

  it('xlab study create stores them; a bad value names the field; runs show has the cluster job', async () => {
    const data = dataRootWith(['tiny-pre', 'tiny-chest'])
    const cfgFile = join(data, 'cfg.json')
    writeFileSync(cfgFile, JSON.stringify(tinyConfig()))
    const xlab = (...args: string[]) => run(process.execPath, ['bin/xlab.mjs', ...args, '--data', data], { cwd: REPO })
    const out = await xlab('study', 'create', 'on-cluster', '--config', cfgFile, '--partition', 'gpu', '--gpus', '2', '--time', '90')
    expect(out.stdout).toMatch(/study on-cluster \(st-[0-9a-f]+\): 4 new run\(s\)/)
    await expect(xlab('study', 'create', 'bad', '--config', cfgFile, '--gpus', '-1')).rejects.toMatchObject({ stderr: expect.stringMatching(/device\.slurm\.gpus/) })
    const db = openDatabase(join(data, 'lab.sqlite'))
    const study = getStudy(db, 'on-cluster')!
    expect((study.config as { device: unknown }).device).toMatchObject({ executor: 'slurm', slurm: { partition: 'gpu', gpus: 2, timeMinutes: 90 } })
    expect(getStudy(db, 'bad')).toBeNull()
    const pre = listRuns(db, { studyId: study.id }).find((r) => r.stage === 'pretext')!
    db.close()
    // What the executor writes when it submits (the real thing is in slurm-cluster.test.ts).
    mkdirSync(pre.runDir, { recursive: true })
    writeFileSync(join(pre.runDir, 'slurm.json'), JSON.stringify({ script: join(pre.runDir, 'slurm.sbatch'), jobs: [{ jobId: '4242', submittedAt: '2026-12-01T10:00:00Z', state: 'PENDING', reason: 'Priority', node: null, firstMessageS: null }] }))
    const shown = JSON.parse((await xlab('runs', 'show', pre.id)).stdout)
    expect(shown.cluster).toEqual({ executor: 'slurm', jobId: '4242', state: 'PENDING', reason: 'Priority', reasonText: 'waiting behind jobs of higher priority', node: null, submissions: 1, firstMessageS: null, script: join(pre.runDir, 'slurm.sbatch') })
  })
})
