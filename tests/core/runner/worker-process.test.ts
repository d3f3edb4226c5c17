// The supervisor around one worker process: the real engine worker on a tiny pretext job (done,
// SIGKILL then resume, cancel), and a stand-in for output the real one never writes.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { WorkerMessage } from '../../../src-core/runner/worker-messages.ts'
import { WorkerProcess, type WorkerProcessOptions } from '../../../src-core/runner/worker-process.ts'
import { FAKE_ENGINE, PYTHON, REPO } from './helpers.ts'

const logs: string[] = []

function runDirWithJob(job: Record<string, unknown>): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xlab-worker-'))
  const file = join(dir, 'job.json')
  writeFileSync(file, JSON.stringify({ v: 1, run_id: 'r-test', run_dir: dir, seed: 0, device: 'cpu', threads: 1, ...job }))
  return { dir, file }
}

function worker(file: string, dir: string, extra: Partial<WorkerProcessOptions> = {}): { w: WorkerProcess; messages: WorkerMessage[] } {
  const messages: WorkerMessage[] = []
  const w = new WorkerProcess({
    runId: 'r-test',
    python: PYTHON,
    args: ['-m', 'xlab.worker', '--job', file],
    env: { PYTHONPATH: join(REPO, 'engine'), OMP_NUM_THREADS: '1' },
    cwd: dir,
    logFile: join(dir, 'worker.log'),
    heartbeatMs: 120_000,
    graceMs: 20_000,
    log: (m) => logs.push(m),
    ...extra,
  })
  w.onMessage((m) => messages.push(m))
  return { w, messages }
}

describe('WorkerProcess with a stand-in worker', () => {
  const fake = (mode: string) => {
    const { dir, file } = runDirWithJob({ kind: 'pretext', params: { fake: mode } })
    return worker(file, dir, { args: ['-m', 'xlab_fake.worker', '--job', file], env: { PYTHONPATH: FAKE_ENGINE }, heartbeatMs: 1500 })
  }

  it('fails a worker that writes a malformed line, saying what the line was', async () => {
    const { w } = fake('malformed')
    const crashes: string[] = []
    w.onCrash((e) => crashes.push(e.reason))
    w.start()
    const exit = await w.exit
    expect(exit.reason).toBe('protocol-error')
    expect(exit.message).toMatch(/not a valid protocol message \(not JSON: "this is not a protocol line"\)/)
    expect(crashes).toEqual(['protocol-error'])
    expect(logs.some((l) => /\[run r-test\] \[pid \d+\]/.test(l))).toBe(true)
  })

  it('kills a worker that stays silent past the heartbeat timeout', async () => {
    const { w, messages } = fake('silent')
    w.start()
    const exit = await w.exit
    expect(messages.map((m) => m.type)).toEqual(['hello'])
    expect(exit).toMatchObject({ reason: 'heartbeat-timeout', signal: 'SIGKILL' })
    expect(exit.message).toMatch(/no message for 2 s/)
  })

  it('counts a worker stopped after its done message as done: the work is finished', async () => {
    const { w, messages } = fake('linger')
    w.onMessage((m) => {
      if (m.type === 'done') w.stop()
    })
    w.start()
    const exit = await w.exit
    expect(messages.at(-1)?.type).toBe('done')
    expect(exit).toMatchObject({ reason: 'done', signal: 'SIGTERM', summary: { steps: 3 } })
  })

  it('reports a worker that cannot be started', async () => {
    const { dir, file } = runDirWithJob({ kind: 'pretext', params: {} })
    const { w } = worker(file, dir, { python: join(dir, 'no-such-python') })
    w.start()
    const exit = await w.exit
    expect(exit.reason).toBe('spawn-failed')
    expect(exit.message).toMatch(/Run `npm run setup` or set XLAB_PYTHON/)
  })
})

const hasEngine = existsSync(join(REPO, 'engine', 'xlab', 'worker.py')) && existsSync(PYTHON)

describe.skipIf(!hasEngine)('WorkerProcess with the real engine worker', () => {
  let dataset = ''
  beforeAll(() => {
    dataset = join(mkdtempSync(join(tmpdir(), 'xlab-ds-')), 'pre')
    mkdirSync(dataset)
    const r = spawnSync(PYTHON, ['-m', 'xlab.fixtures', dataset, '--n', '96', '--size', '32'], { env: { ...process.env, PYTHONPATH: join(REPO, 'engine') }, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
  })
  const pretext = (epochs: number) =>
    runDirWithJob({
      kind: 'pretext',
      params: { task: 'rotation', dataset_dir: dataset, image_size: 32, epochs, batch_size: 16, max_steps_per_epoch: 3, checkpoint_every_steps: 1, checkpoint_every_s: 0, max_val_images: 16 },
    })

  it('runs a tiny pretext job to done with progress, metrics and checkpoints', async () => {
    const { dir, file } = pretext(1)
    const { w, messages } = worker(file, dir)
    w.start()
    const exit = await w.exit
    expect(exit.reason, readFileSync(join(dir, 'worker.log'), 'utf8')).toBe('done')
    const types = new Set(messages.map((m) => m.type))
    for (const t of ['hello', 'progress', 'metric', 'checkpoint', 'done']) expect(types).toContain(t)
    expect(existsSync(join(dir, 'last.pth'))).toBe(true)
    expect(existsSync(join(dir, 'worker.log'))).toBe(true)
  })

  it('resumes from last.pth after the worker was SIGKILLed', async () => {
    const { dir, file } = pretext(3)
    const first = worker(file, dir)
    first.w.onMessage((m) => {
      if (m.type === 'checkpoint' && m.which !== 'best' && m.epoch >= 1) process.kill(first.w.pid!, 'SIGKILL')
    })
    first.w.start()
    const killed = await first.w.exit
    expect(killed).toMatchObject({ reason: 'killed', signal: 'SIGKILL' })
    expect(killed.message).toMatch(/killed by SIGKILL \(not by the lab/)

    const second = worker(file, dir)
    second.w.start()
    const exit = await second.w.exit
    expect(exit.reason).toBe('done')
    const resumed = second.messages.find((m) => m.type === 'log' && /Resuming from/.test(m.message))
    expect(resumed).toBeDefined()
    const firstProgress = second.messages.find((m) => m.type === 'progress')
    // Progress epochs count from 1: the kill came after epoch 1 was checkpointed in last.pth (best.pth,
    // weights only, is written first at an epoch end and does not resume a run).
    expect(firstProgress && firstProgress.type === 'progress' ? firstProgress.epoch : -1).toBeGreaterThanOrEqual(2)
  })

  it('cancels with SIGTERM: the worker checkpoints and exits as cancelled', async () => {
    const { dir, file } = pretext(50)
    const { w } = worker(file, dir)
    w.onMessage((m) => {
      if (m.type === 'checkpoint') w.stop('cancelled by the test')
    })
    w.start()
    const exit = await w.exit
    expect(exit).toMatchObject({ reason: 'cancelled', message: 'cancelled by the test' })
    expect(exit.code === 3 || exit.signal === 'SIGKILL').toBe(true)
    expect(existsSync(join(dir, 'last.pth'))).toBe(true)
  })
})
