// The sbatch script a run becomes: options from the study's device.slurm, the exec'd worker, the
// message file; and that bash accepts it.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sbatchOptions, sbatchScript, shellQuote } from '../../../../src-core/runner/slurm/script.ts'
import { deviceSchema } from '../../../../src-core/study/config.ts'

const slurmOf = (v: unknown) => deviceSchema.shape.slurm.unwrap().parse(v)
const input = (slurm: unknown) => ({ runId: 'r-0a1b2c3d4e5f', runName: 'rotation@demo-mammo-s0', runDir: "/shared/lab's data/runs/r-0a1b2c3d4e5f", jobFile: "/shared/lab's data/runs/r-0a1b2c3d4e5f/job.json", python: '/shared/xlab/.venv/bin/python', enginePath: '/shared/xlab/engine', module: 'xlab.worker', threads: 0, slurm: slurmOf(slurm) })

describe('sbatch script', () => {
  it('asks for the study\'s partition, account, QoS, time, CPUs, memory and GPUs, and the checkpoint signal', () => {
    const opts = sbatchOptions(input({ partition: 'gpu', account: 'radiology', qos: 'normal', timeMinutes: 720, cpusPerTask: 8, memGb: 32, gpus: 2, gpuType: 'a100', signalBeforeLimitS: 180, extraArgs: ['--constraint=ib'] }))
    expect(opts).toEqual([
      '--job-name=xlab-r-0a1b2c3d4e5f',
      "--output=/shared/lab's data/runs/r-0a1b2c3d4e5f/slurm-%j.out",
      '--open-mode=append',
      '--time=720',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=8',
      '--mem=32768M',
      '--signal=B:USR2@180',
      '--no-requeue',
      '--gres=gpu:a100:2',
      '--partition=gpu',
      '--account=radiology',
      '--qos=normal',
      '--constraint=ib',
    ])
  })

  it('leaves out what the study does not set; no gres for CPU jobs', () => {
    const opts = sbatchOptions(input({ gpus: 0 }))
    expect(opts.some((o) => /^--(gres|partition|account|qos)/.test(o))).toBe(false)
    expect(opts).toContain('--time=240')
    expect(opts).toContain('--signal=B:USR2@120')
  })

  it('execs the worker (so the signal reaches it) with its messages appended to the run folder, and bash accepts the script', () => {
    const text = sbatchScript({ ...input({ gpus: 1, setup: ['module load cuda/12.1'] }), threads: 4 })
    expect(text.startsWith('#!/bin/bash\n')).toBe(true)
    expect(text).toContain('#SBATCH --gres=gpu:1\n')
    expect(text).toContain("cd '/shared/lab'\\''s data/runs/r-0a1b2c3d4e5f'")
    expect(text).toContain('module load cuda/12.1\n')
    expect(text).toContain('export OMP_NUM_THREADS=4 MKL_NUM_THREADS=4')
    expect(text).toMatch(/\nexec '\/shared\/xlab\/\.venv\/bin\/python' -m 'xlab\.worker' --job '.*job\.json' >> 'messages\.jsonl' 2>> 'worker\.log'\n/)
    // The #SBATCH lines come before the first command, or sbatch ignores them.
    const lines = text.split('\n')
    const firstCommand = lines.findIndex((l) => l && !l.startsWith('#'))
    expect(lines.findLastIndex((l) => l.startsWith('#SBATCH'))).toBeLessThan(firstCommand)
    const f = join(mkdtempSync(join(tmpdir(), 'xlab-sbatch-')), 'slurm.sbatch')
    writeFileSync(f, text)
    expect(spawnSync('bash', ['-n', f]).status).toBe(0)
    // Threads default to the job's CPU allocation.
    expect(sbatchScript(input({}))).toContain('OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}')
  })

  it('quotes for bash', () => {
    expect(spawnSync('bash', ['-c', `printf %s ${shellQuote("it's $HOME `x`")}`], { encoding: 'utf8' }).stdout).toBe("it's $HOME `x`")
  })

  it('refuses settings that would inject options or lines', () => {
    expect(() => slurmOf({ partition: 'gpu --wrap=rm' })).toThrow(/partition name/)
    expect(() => slurmOf({ extraArgs: ['constraint=a100'] })).toThrow(/starts with/)
    expect(() => slurmOf({ extraArgs: ['--constraint=a\nrm -rf /'] })).toThrow(/one line/)
    expect(() => slurmOf({ gpus: -1 })).toThrow()
  })
})
