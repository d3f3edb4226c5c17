// The Slurm executor against a real Slurm: a single-node cluster of this machine (Debian's
// slurmctld, slurmd and munge; scripts/slurm-local.mjs) started here and stopped afterwards.
//  - a tiny study with the real engine (rotation pretext on a demo dataset, its extraction, a
//    linear probe) runs to done through sbatch; its pretext job is scancel'led mid-epoch, the run
//    becomes interrupted and finishes from its checkpoint;
//  - a job that outlives a one-minute time limit checkpoints on USR2, is resubmitted and completes
//    (stand-in worker, so its length does not depend on this machine's speed);
//  - a cancel from the lab reaches the worker as SIGTERM (it checkpoints and exits 3);
//  - a job sbatch refuses, and one that could never start, fail their runs with a reason; a job of
//    a run left in Slurm by an earlier lab is cancelled before the run is submitted again;
//  - doctor's Slurm section lists the partition.
// Skips with the reason where Slurm cannot be installed or started (not root, no packages).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runQueueOf } from '../../../../src-core/runner/lab-runner.ts'
import { slurmDoctor, slurmDoctorSection } from '../../../../src-core/runner/slurm/doctor.ts'
import { readSlurmState } from '../../../../src-core/runner/slurm/executor.ts'
import { LabService } from '../../../../src-core/service/lab-service.ts'
import * as store from '../../../../src-core/store/runs.ts'
import type { StudyConfigInput } from '../../../../src-core/study/config.ts'
// @ts-expect-error -- a plain .mjs script without type declarations
import { slurmUnavailable, startLocalSlurm } from '../../../../scripts/slurm-local.mjs'
import { dataRootWith, FAKE_ENGINE, tinyConfig } from '../helpers.ts'

const why: string | null = slurmUnavailable()
if (why) console.warn(`[slurm] SKIPPED the Slurm integration test: ${why}`)

const call = (s: LabService, method: string, input: unknown) => s.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' }) as Promise<Record<string, unknown>>
const slurmDevice = (slurm: Record<string, unknown>): StudyConfigInput['device'] => ({ policy: 'cpu', cpuSlots: 1, threadsPerJob: 1, maxAttempts: 2, executor: 'slurm', slurm: { cpusPerTask: 1, memGb: 1, gpus: 0, ...slurm } })

describe.skipIf(why !== null)('Slurm executor on a real single-node cluster', () => {
  let cluster: { env: { SLURM_CONF: string }; stop(): void; node: string }
  const services: LabService[] = []
  const saved = { ...process.env }

  beforeAll(async () => {
    const t0 = Date.now()
    cluster = await startLocalSlurm(mkdtempSync(join(tmpdir(), 'xlab-slurm-')), { log: (m: string) => console.log(`[slurm-local] ${m}`) })
    expect(Date.now() - t0).toBeLessThan(30_000)
    process.env.SLURM_CONF = cluster.env.SLURM_CONF
    process.env.XLAB_SLURM_POLL_S = '1'
    process.env.XLAB_GRACE_S = '20'
  })
  afterAll(async () => {
    for (const s of services) await s.close()
    cluster?.stop()
    for (const k of ['SLURM_CONF', 'XLAB_SLURM_POLL_S', 'XLAB_GRACE_S', 'XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS', 'XLAB_FAKE_SLOW_KIND']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
    // The daemons it started are gone.
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(cluster.env.SLURM_CONF)).toBe(false)
  })

  /** Opens a lab service whose queue is built now (its engine path and poll interval are read then). */
  async function open(root: string, env: Record<string, string> = {}): Promise<LabService> {
    Object.assign(process.env, env)
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    runQueueOf(s.ctx)
    for (const k of Object.keys(env)) delete process.env[k]
    services.push(s)
    return s
  }

  async function realStudy(): Promise<void> {
    const root = mkdtempSync(join(tmpdir(), 'xlab-slurm-real-'))
    const s = await open(root)
    await call(s, 'datasets.generateDemo', { scale: 'small' })
    const config: StudyConfigInput = {
      pretextTasks: ['rotation'],
      pretrainDatasets: ['demo-natural'],
      downstreamDataset: 'demo-chest',
      targets: ['binary'],
      protocols: ['linear'],
      seeds: [0],
      imageSize: 32,
      pretext: { steps: 24, batchSize: 16, optimizer: 'adam', lr: 1e-3, weightDecay: 0, schedule: 'constant', checkpointEverySteps: 2, checkpointEverySeconds: 0 },
      downstream: { epochs: 1, batchSize: 16, optimizer: 'adam', lrHead: 1e-3, lrEncoder: 1e-4, lrScratch: 1e-3, weightDecay: 0, schedule: 'constant', imbalance: 'none', maxStepsPerEpoch: 4 },
      probes: { invariance: false, similarity: false, nImages: 8 },
      // Three runs (pretext, extract, linear) keep this real-cluster test short; the baseline is planned elsewhere.
      baselines: { randomInit: false, supervised: false },
      device: slurmDevice({ timeMinutes: 10 }),
    }
    const st = await call(s, 'studies.create', { name: 'on-slurm', config })
    expect(st).toMatchObject({ created: 3 })
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string }).find((r) => r.stage === 'pretext')!
    const states: string[] = []
    let cancelledJob: string | null = null
    s.ctx.events.onAny((event, payload) => {
      const p = payload as { runId?: string; state?: string; epoch?: number; step?: number; stage?: string }
      if (p.runId !== pre.id) return
      if (event === 'onRunState') states.push(p.state!)
      // Mid-round: a few steps into the first of the budget's validation rounds (progress counts them from 1, steps globally), after a checkpoint, scancel it like a person on the cluster would.
      if (event === 'onRunProgress' && !cancelledJob && p.stage === 'train' && p.epoch === 1 && (p.step ?? 0) >= 4 && existsSync(join(pre.runDir, 'last.pth'))) {
        cancelledJob = readSlurmState(pre.runDir)!.jobs.at(-1)!.jobId
        execFileSync('scancel', [cancelledJob], { env: process.env })
      }
    })
    await call(s, 'studies.start', { id: 'on-slurm' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('done')
    const runs = store.listRuns(s.ctx.db, { studyId: st.id as string })
    expect(runs.map((r) => `${r.stage}:${r.state}`)).toEqual(['pretext:done', 'extract:done', 'downstream:done'])
    // The scancel'led job left the run interrupted; the next job resumed it from last.pth.
    expect(cancelledJob).not.toBeNull()
    expect(states).toEqual(['running', 'interrupted', 'running', 'done'])
    const slurm = readSlurmState(pre.runDir)!
    expect(slurm.jobs.map((j) => j.state)).toEqual(['CANCELLED', 'COMPLETED'])
    expect(slurm.jobs[0]!.jobId).toBe(cancelledJob)
    expect(slurm.jobs.every((j) => j.node === cluster.node)).toBe(true)
    const messages = readFileSync(join(pre.runDir, 'messages.jsonl'), 'utf8')
    expect(messages).toMatch(/"code": ?"CANCELLED"/)
    expect(messages).toMatch(/Resuming from .*last\.pth: step \d+ of 24/)
    expect(readFileSync(join(pre.runDir, 'slurm.sbatch'), 'utf8')).toContain('#SBATCH --signal=B:USR2@120')
    const lin = runs.find((r) => r.stage === 'downstream')!
    expect(lin.summary).toMatchObject({ test: { roc_auc: expect.any(Number) } })
    const overhead = runs.flatMap((r) => readSlurmState(r.runDir)!.jobs.map((j) => j.firstMessageS!))
    console.log(`[slurm] submit -> first message per job (s): ${overhead.join(', ')}`)
    expect(overhead.every((x) => typeof x === 'number')).toBe(true)
  }

  async function timeLimitedJob(): Promise<void> {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    // 40 steps of 2 s of the stand-in pretext: 80 s of work against a 60 s limit.
    process.env.XLAB_FAKE_STEP_S = '2'
    process.env.XLAB_FAKE_STEPS = '40'
    process.env.XLAB_FAKE_SLOW_KIND = 'pretext'
    const s = await open(root, { XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' })
    const st = await call(s, 'studies.create', { name: 'limited', config: tinyConfig({ protocols: ['linear'], device: slurmDevice({ timeMinutes: 1, signalBeforeLimitS: 10 }) }) })
    await call(s, 'studies.start', { id: 'limited' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('done')
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string }).find((r) => r.stage === 'pretext')!
    expect(pre.attempts).toBe(1) // resubmissions after a time limit are not failed attempts
    const jobs = readSlurmState(pre.runDir)!.jobs
    expect(jobs.length).toBeGreaterThanOrEqual(2)
    // Stopped at (or just before) the limit: the worker checkpointed on USR2 and exited 3, or Slurm timed it out.
    for (const j of jobs.slice(0, -1)) expect(['FAILED', 'TIMEOUT']).toContain(j.state)
    expect(jobs.at(-1)!.state).toBe('COMPLETED')
    expect(readFileSync(join(pre.runDir, 'starts.txt'), 'utf8').trim().split('\n')).toHaveLength(jobs.length)
    expect(readFileSync(join(pre.runDir, 'worker.log'), 'utf8')).toMatch(/resuming from step \d+/)
    console.log(`[slurm] stand-in worker (no torch): submit -> first message per job (s): ${jobs.map((j) => j.firstMessageS).join(', ')}`)
  }

  it('doctor finds sbatch and the debug partition', async () => {
    const r = await slurmDoctor()
    expect(r).toMatchObject({ installed: true, reachable: true, partitions: [{ name: 'debug', isDefault: true, availability: 'up', nodes: 1 }] })
    expect(r.message).toMatch(/^slurm(-wlm)? 22\.\d+.*debug \(default\) up, 1 node\(s\), max 30:00/)
    expect(slurmDoctorSection(r)).toMatchObject({ status: 'ok', rows: [['sbatch', r.version], ['controller', 'answers'], ['partition debug', 'default, up, 1 node(s), max 30:00']], notes: [] })
  })

  /** Cancel in the lab: the worker gets SIGTERM through `scancel --batch`, checkpoints and exits 3. */
  async function cancelledByTheLab(): Promise<void> {
    const s = await open(dataRootWith(['tiny-pre', 'tiny-chest']), { XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' })
    const st = await call(s, 'studies.create', { name: 'cancel-me', config: tinyConfig({ protocols: ['linear'], device: slurmDevice({ timeMinutes: 10 }) }) })
    const pre = store.listRuns(s.ctx.db, { studyId: st.id as string }).find((r) => r.stage === 'pretext')!
    let asked = false
    s.ctx.events.onAny((event, payload) => {
      const p = payload as { runId?: string; step?: number }
      if (event === 'onRunProgress' && p.runId === pre.id && (p.step ?? 0) >= 2 && !asked) {
        asked = true
        void call(s, 'runs.cancel', { id: pre.id })
      }
    })
    await call(s, 'studies.start', { id: 'cancel-me' })
    expect(await runQueueOf(s.ctx).whenSettled(st.id as string)).toBe('cancelled')
    expect(store.getRun(s.ctx.db, pre.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled by the user' })
    // It stopped itself after a step (exit 3), not killed by Slurm: the checkpoint holds its progress.
    expect(readSlurmState(pre.runDir)!.jobs).toMatchObject([{ state: 'FAILED' }])
    expect(readFileSync(join(pre.runDir, 'messages.jsonl'), 'utf8')).toMatch(/"code": ?"CANCELLED"/)
    expect(Number(readFileSync(join(pre.runDir, 'last.pth'), 'utf8'))).toBeGreaterThanOrEqual(2)
  }

  async function misconfigured(): Promise<void> {
    const s = await open(dataRootWith(['tiny-pre', 'tiny-chest']), { XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' })
    // A partition the cluster does not have: sbatch refuses, the run fails with sbatch's words.
    const a = await call(s, 'studies.create', { name: 'no-such-partition', config: tinyConfig({ protocols: ['linear'], device: slurmDevice({ partition: 'gpu-a100' }) }) })
    // Its run folder names a job that is still in Slurm, as after a lab that crashed: it is cancelled before anything is submitted.
    const first = store.listRuns(s.ctx.db, { studyId: a.id as string }).find((r) => r.stage === 'pretext')!
    mkdirSync(first.runDir, { recursive: true })
    const leftover = execFileSync('sbatch', ['--parsable', '--cpus-per-task=1', `--output=${first.runDir}/leftover-%j.out`, '--wrap', 'sleep 300'], { encoding: 'utf8', env: process.env }).trim()
    writeFileSync(join(first.runDir, 'slurm.json'), JSON.stringify({ script: join(first.runDir, 'slurm.sbatch'), jobs: [{ jobId: leftover, submittedAt: new Date().toISOString(), state: 'RUNNING', reason: null, node: null, firstMessageS: null }] }))
    await call(s, 'studies.start', { id: 'no-such-partition' })
    expect(await runQueueOf(s.ctx).whenSettled(a.id as string)).toBe('failed')
    const pa = store.listRuns(s.ctx.db, { studyId: a.id as string }).find((r) => r.stage === 'pretext')!
    expect(pa.reason).toMatch(/sbatch refused the job: .*invalid partition specified: gpu-a100.*device\.slurm/)
    expect(pa.attempts).toBe(1)
    expect(execFileSync('scontrol', ['show', 'job', leftover], { encoding: 'utf8', env: process.env })).toMatch(/JobState=CANCELLED/)
    // Longer than the partition's 30-minute limit: the job would pend forever (22.05 says PartitionConfig,
    // later releases PartitionTimeLimit); the run fails and says what to change.
    const b = await call(s, 'studies.create', { name: 'too-long', config: tinyConfig({ protocols: ['linear'], seeds: [1], device: slurmDevice({ timeMinutes: 90 }) }) })
    await call(s, 'studies.start', { id: 'too-long' })
    expect(await runQueueOf(s.ctx).whenSettled(b.id as string)).toBe('failed')
    const pb = store.listRuns(s.ctx.db, { studyId: b.id as string }).find((r) => r.stage === 'pretext')!
    expect(pb.reason).toMatch(/can never start: (its time limit is above the partition's maximum|it asks for more than the partition allows \(time limit).*device\.slurm\.timeMinutes/)
    const shown = await call(s, 'runs.get', { id: pb.id })
    expect(shown.cluster).toMatchObject({ executor: 'slurm', reason: expect.stringMatching(/^Partition(Config|TimeLimit)$/), submissions: 1 })
  }

  it('runs a tiny real study to done, survives a scancel mid-epoch, resubmits a job past its time limit, cancels with a checkpoint, and fails misconfigured jobs with a reason', async () => {
    // Both at once: the cluster has the CPUs, and the stand-in job mostly sleeps.
    // The lab's cancel waits for a free CPU after the time-limited job.
    await Promise.all([realStudy(), timeLimitedJob().then(cancelledByTheLab), misconfigured()])
  }, 420_000)
})
