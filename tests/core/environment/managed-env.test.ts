// The environment manager end to end on this machine: a fresh managed environment is created
// with the CPU choice, verified (torch, device, a bf16 convolution forward and backward), runs one
// real engine job, is left alone by a second set-up, survives an offline repair untouched, and is
// rebuilt by a repair without touching the data root. uv's package cache (~/.cache/uv) is shared
// between runs as it is for users; the first run on a machine unpacks about 2.7 GB of wheels.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { detectAccelerator } from '../../../src-core/environment/accelerator.ts'
import { environmentLayout } from '../../../src-core/environment/locations.ts'
import { EnvironmentError, readState, setupEnvironment, type SetupResult } from '../../../src-core/environment/manager.ts'
import type { SetupProgress } from '../../../src-core/environment/progress.ts'
import { labResources } from '../../../src-core/environment/resources.ts'
import { WorkerProcess } from '../../../src-core/runner/worker-process.ts'
import type { WorkerMessage } from '../../../src-core/runner/worker-messages.ts'

const envDir = mkdtempSync(join(tmpdir(), 'xlab-env-'))
const dataRoot = mkdtempSync(join(tmpdir(), 'xlab-data-'))
const engineDir = labResources().engineDir

/** A fingerprint of every file under the data root (names, sizes, contents). */
function fingerprint(dir: string): string {
  const h = createHash('sha256')
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else h.update(`${p}\0${statSync(p).size}\0`).update(readFileSync(p))
    }
  }
  walk(dir)
  return h.digest('hex')
}

/** Runs `fn` with some environment variables set (the installers inherit process.env). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** No index but a closed port, no wheel folder, no pip config, an empty uv cache: offline with nothing cached. */
const offline = () => ({
  PIP_CONFIG_FILE: '/dev/null',
  PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
  PIP_EXTRA_INDEX_URL: '',
  PIP_FIND_LINKS: '',
  PIP_RETRIES: '1',
  PIP_DEFAULT_TIMEOUT: '3',
  UV_INDEX_URL: 'http://127.0.0.1:9/simple',
  UV_NO_CONFIG: '1',
  UV_CACHE_DIR: mkdtempSync(join(tmpdir(), 'xlab-uv-cache-')),
  UV_HTTP_RETRIES: '0',
})

describe('the engine environment manager on this CPU machine', () => {
  let first: SetupResult
  const progress: SetupProgress[] = []

  beforeAll(async () => {
    mkdirSync(join(dataRoot, 'datasets', 'ds-1'), { recursive: true })
    writeFileSync(join(dataRoot, 'datasets', 'ds-1', 'meta.json'), '{"name":"kept"}')
    mkdirSync(join(dataRoot, 'runs', 'r-1'), { recursive: true })
    writeFileSync(join(dataRoot, 'runs', 'r-1', 'summary.json'), '{"kept":true}')
    first = await setupEnvironment({ envDir, dataRoot, onProgress: (p) => progress.push(p) })
  }, 900_000)

  it('creates a fresh environment with the CPU build, outside the data root', () => {
    expect(detectAccelerator().kind).toBe('cpu')
    expect(first.action).toBe('created')
    expect(first.choice.file).toBe(`${process.platform}-${process.arch}-cpu.txt`)
    expect(first.python).toBe(environmentLayout(envDir).python)
    expect(existsSync(first.python)).toBe(true)
    expect(first.python.startsWith(dataRoot)).toBe(false)
    expect(readState(envDir)).toMatchObject({ lock: first.choice.file, tool: first.state.tool })
    expect(readFileSync(environmentLayout(envDir).requirements, 'utf8')).toContain('torch==2.14.1')
  })

  it('reported progress through every phase, in order', () => {
    const phases = [...new Set(progress.map((p) => p.phase))]
    expect(phases).toEqual(['detect', ...(phases.includes('python') ? ['python'] : []), 'venv', 'download', 'install', 'verify', 'done'])
    expect(progress.some((p) => p.phase === 'install' && /Installed \d+ packages|Successfully installed/.test(p.message))).toBe(true)
  })

  it('verified it: torch and torchvision import, the CPU works, a bf16 conv runs forward and backward, disk space is known', () => {
    const v = first.verification
    expect(v.errors).toEqual([])
    expect(v.ok).toBe(true)
    expect(v.versions.torch).toMatch(/^2\.14\.1/)
    expect(v.versions.torchvision).toMatch(/^0\.29\.1/)
    expect(v.device).toMatchObject({ type: 'cpu' })
    expect(v.conv).toMatchObject({ dtype: 'bfloat16', ok: true })
    expect(v.disk?.freeBytes).toBeGreaterThan(0)
    expect(existsSync(environmentLayout(envDir).verification)).toBe(true)
  })

  it('runs one real engine job in it', async () => {
    const dataset = join(dataRoot, 'datasets', 'tiny')
    mkdirSync(dataset)
    const gen = spawnSync(first.python, ['-m', 'xlab.fixtures', dataset, '--n', '64', '--size', '32'], { env: { ...process.env, PYTHONPATH: engineDir }, encoding: 'utf8' })
    expect(gen.status, gen.stderr).toBe(0)
    const runDir = join(dataRoot, 'runs', 'r-env')
    mkdirSync(runDir)
    const jobFile = join(runDir, 'job.json')
    writeFileSync(jobFile, JSON.stringify({ v: 1, kind: 'pretext', run_id: 'r-env', run_dir: runDir, seed: 0, device: 'auto', threads: 1, params: { task: 'rotation', dataset_dir: dataset, image_size: 32, epochs: 1, batch_size: 16, max_steps_per_epoch: 2, checkpoint_every_steps: 1, max_val_images: 16 } }))
    const messages: WorkerMessage[] = []
    const w = new WorkerProcess({ runId: 'r-env', python: first.python, args: ['-m', 'xlab.worker', '--job', jobFile], env: { PYTHONPATH: engineDir, OMP_NUM_THREADS: '1' }, cwd: runDir, logFile: join(runDir, 'worker.log'), heartbeatMs: 120_000, graceMs: 20_000, log: () => {} })
    w.onMessage((m) => messages.push(m))
    w.start()
    const exit = await w.exit
    expect(exit.reason, readFileSync(join(runDir, 'worker.log'), 'utf8')).toBe('done')
    const hello = messages.find((m) => m.type === 'hello')
    expect(hello && hello.type === 'hello' ? hello.versions.torch : '').toMatch(/^2\.14\.1/)
    expect(existsSync(join(runDir, 'last.pth'))).toBe(true)
  }, 300_000)

  it('is idempotent: a second set-up only verifies', async () => {
    const again: SetupProgress[] = []
    const r = await setupEnvironment({ envDir, dataRoot, onProgress: (p) => again.push(p) })
    expect(r.action).toBe('up-to-date')
    expect(r.state.installedAt).toBe(first.state.installedAt)
    expect(again.map((p) => p.phase)).not.toContain('venv')
    expect(again.map((p) => p.phase)).not.toContain('download')
  })

  it('refuses a repair offline with nothing cached, and keeps the working environment', async () => {
    const before = readState(envDir)
    const err = await withEnv(offline(), () => setupEnvironment({ envDir, dataRoot, repair: true, fetchUv: false })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EnvironmentError)
    expect((err as EnvironmentError).code).toBe('OFFLINE')
    expect((err as Error).message).toMatch(/cannot be set up offline: the package index could not be reached .* Nothing was changed\./)
    expect(readState(envDir)).toEqual(before)
    const still = spawnSync(first.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })
    expect(still.stdout).toMatch(/^2\.14\.1/)
  })

  it('repairs (rebuilds) the environment without touching datasets or runs', async () => {
    const data = fingerprint(dataRoot)
    const r = await setupEnvironment({ envDir, dataRoot, repair: true })
    expect(r.action).toBe('repaired')
    expect(r.verification.ok).toBe(true)
    expect(r.state.installedAt).not.toBe(first.state.installedAt)
    expect(fingerprint(dataRoot)).toBe(data)
    expect(existsSync(`${environmentLayout(envDir).venv}.previous`)).toBe(false)
  }, 900_000)
})

describe('a first set-up offline', () => {
  it('refuses with a clear message, with venv + pip as with uv', async () => {
    for (const tool of ['pip', 'uv'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `xlab-env-offline-${tool}-`))
      const err = await withEnv(offline(), () => setupEnvironment({ envDir: dir, dataRoot, tool, fetchUv: false })).catch((e: unknown) => e)
      expect((err as EnvironmentError).code, String(err)).toBe('OFFLINE')
      expect((err as Error).message).toMatch(/Connect this machine to the network .* run `xlab doctor` again/)
      expect(readState(dir)).toBeNull()
    }
  }, 300_000)
})
