// squeue / sacct / scontrol / sinfo parsing over outputs recorded from a real Slurm 22.05 (and a
// hand-written sacct in its documented format: the test cluster has no accounting database).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseSinfo } from '../../../../src-core/runner/slurm/commands.ts'
import { describeReason, HOPELESS_REASONS, isActive, parseSacct, parseScontrolJob, parseSqueue, phaseOf } from '../../../../src-core/runner/slurm/parse.ts'
import { REPO } from '../helpers.ts'

const fixture = (name: string) => readFileSync(join(REPO, 'tests', 'fixtures', 'slurm', name), 'utf8')

describe('squeue', () => {
  it('reads states, pending reasons and nodes of running, pending and ended jobs', () => {
    const jobs = new Map(parseSqueue(fixture('squeue-cpu.txt')).map((j) => [j.jobId, j]))
    expect(jobs.get('6')).toMatchObject({ name: 'i16-to.sh', state: 'TIMEOUT', reason: 'TimeLimit', node: 'vm', gres: null })
    expect(jobs.get('5')).toMatchObject({ state: 'FAILED', reason: 'NonZeroExitCode' })
    expect(jobs.get('3')).toMatchObject({ state: 'CANCELLED', reason: 'Resources', node: null })
    expect(jobs.get('7')).toMatchObject({ state: 'PENDING', reason: 'DependencyNeverSatisfied' })
    expect(phaseOf(jobs.get('6')!.state)).toBe('timeout')
    expect(isActive(jobs.get('7')!.state)).toBe(true)
    expect(isActive(jobs.get('5')!.state)).toBe(false)
  })

  it('reads GPU gres requests and the long pending reasons of jobs that cannot start', () => {
    const jobs = new Map(parseSqueue(fixture('squeue-gres.txt')).map((j) => [j.jobId, j]))
    expect(jobs.get('8')).toMatchObject({ state: 'PENDING', gres: 'gpu:tesla:1', reason: 'Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions' })
    expect(jobs.get('9')).toMatchObject({ gres: 'gpu:2', reason: 'ReqNodeNotAvail, UnavailableNodes:vm' })
    expect(jobs.get('10')).toMatchObject({ state: 'FAILED', reason: 'BadConstraints', gres: 'gpu:8' })
    expect(jobs.get('11')!.gres).toBeNull()
    expect(describeReason('ReqNodeNotAvail')).toMatch(/down, drained or reserved/)
    expect(HOPELESS_REASONS.BadConstraints).toMatch(/device\.slurm\.gpus/)
    expect(describeReason('Priority')).toMatch(/higher priority/)
  })
})

describe('sacct', () => {
  it('keeps the job lines, drops the steps, and tells the end states apart', () => {
    const jobs = parseSacct(fixture('sacct-mixed.txt'))
    expect(jobs.map((j) => j.jobId)).toEqual(['101', '102', '103', '104', '105', '106', '107', '108'])
    const by = new Map(jobs.map((j) => [j.jobId, j]))
    expect(by.get('101')).toMatchObject({ state: 'COMPLETED', exitCode: 0, node: 'gpu-node07' })
    expect(by.get('102')).toMatchObject({ state: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode' })
    expect(by.get('104')).toMatchObject({ state: 'CANCELLED', node: 'gpu-node[01-02]' })
    expect(by.get('106')).toMatchObject({ state: 'OUT_OF_MEMORY', exitCode: 0, signal: 125 })
    expect(by.get('108')).toMatchObject({ state: 'PENDING', node: null, reason: 'QOSMaxJobsPerUserLimit' })
    expect(jobs.map((j) => phaseOf(j.state))).toEqual(['completed', 'failed', 'timeout', 'cancelled', 'preempted', 'out-of-memory', 'node-fail', 'pending'])
  })
})

describe('scontrol show job', () => {
  it('reads state, reason, node and exit code where accounting is off', () => {
    expect(parseScontrolJob(fixture('scontrol-failed-exit3.txt'))).toMatchObject({ jobId: '5', name: 'i16-fail.sh', state: 'FAILED', reason: 'NonZeroExitCode', node: 'vm', exitCode: 3, signal: null })
    expect(parseScontrolJob(fixture('scontrol-timeout.txt'))).toMatchObject({ state: 'TIMEOUT', reason: 'TimeLimit', exitCode: 0, signal: 15 })
    expect(parseScontrolJob(fixture('scontrol-cancelled.txt'))).toMatchObject({ state: 'CANCELLED', signal: 15 })
    expect(parseScontrolJob(fixture('scontrol-dependency-never.txt'))).toMatchObject({ state: 'PENDING', reason: 'DependencyNeverSatisfied', node: null })
    expect(parseScontrolJob(fixture('scontrol-gres-pending.txt'))).toMatchObject({ state: 'PENDING', gres: 'gpu:tesla:1' })
    expect(parseScontrolJob('slurm_load_jobs error: Invalid job id specified')).toBeNull()
  })
})

describe('sinfo', () => {
  it('lists partitions with the default marked and their GPUs', () => {
    expect(parseSinfo(fixture('sinfo-cpu.txt'))).toEqual([{ name: 'debug', isDefault: true, availability: 'up', timeLimit: 'infinite', nodes: 1, gres: null }])
    expect(parseSinfo(fixture('sinfo-gres.txt'))[0]!.gres).toBe('gpu:tesla:2')
    expect(parseSinfo('gpu|up|2-00:00:00|4|gpu:a100:4\ngpu|up|2-00:00:00|2|gpu:a100:4\ncpu*|up|1-00:00:00|10|(null)\n')).toEqual([
      { name: 'gpu', isDefault: false, availability: 'up', timeLimit: '2-00:00:00', nodes: 6, gres: 'gpu:a100:4' },
      { name: 'cpu', isDefault: true, availability: 'up', timeLimit: '1-00:00:00', nodes: 10, gres: null },
    ])
  })
})
