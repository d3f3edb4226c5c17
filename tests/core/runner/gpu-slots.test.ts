// Local multi-GPU slots over a faked nvidia-smi listing four GPUs: one slot per GPU visible under
// CUDA_VISIBLE_DEVICES, each job on the free GPU with the most free memory, and the worker sees
// only its GPU.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { GpuSlots, visibleGpusOf } from '../../../src-core/runner/devices.ts'
import { runQueueOf } from '../../../src-core/runner/lab-runner.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, tinyConfig } from './helpers.ts'

// What `nvidia-smi --query-gpu=index,name,memory.total,memory.free,driver_version,uuid
// --format=csv,noheader,nounits` prints on a four-GPU machine where other programs hold memory on
// GPUs 0 and 2.
const row = (i: number, free: number) => `${i}, NVIDIA A100-SXM4-40GB, 40960, ${free}, 550.54.15, GPU-${i}${i}aa1e2b-${i}111`
const FOUR_GPUS = `${[row(0, 1024), row(1, 30112), row(2, 8040), row(3, 20480)].join('\n')}\n`
const uuid = (i: number) => `GPU-${i}${i}aa1e2b-${i}111`

const saved = { PATH: process.env.PATH, CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES, XLAB_GPUS: process.env.XLAB_GPUS }
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  for (const k of ['XLAB_ENGINE_PATH', 'XLAB_WORKER_MODULE', 'XLAB_FAKE_STEP_S', 'XLAB_FAKE_STEPS']) delete process.env[k]
})

/** Puts an nvidia-smi on the PATH that prints the file `gpus.csv` (rewritable during a test). */
function fakeNvidiaSmi(text: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'xlab-fake-smi-'))
  writeFileSync(join(bin, 'gpus.csv'), text)
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\ncase "$*" in *--query-gpu=index,name,memory.total,memory.free,driver_version,uuid*) cat '${bin}/gpus.csv' ;; *) exit 9 ;; esac\n`)
  chmodSync(join(bin, 'nvidia-smi'), 0o755)
  process.env.PATH = `${bin}:${process.env.PATH}`
  return bin
}

describe('GPU slots', () => {
  it('maps CUDA_VISIBLE_DEVICES (indices, UUID prefixes, an empty mask, an unknown entry) to slots', () => {
    expect(visibleGpusOf(FOUR_GPUS, undefined).map((g) => g.cudaDevice)).toEqual([0, 1, 2, 3].map(uuid))
    expect(visibleGpusOf(FOUR_GPUS, '3,1')).toEqual([
      { slot: 0, cudaDevice: uuid(3), freeMiB: 20480 },
      { slot: 1, cudaDevice: uuid(1), freeMiB: 30112 },
    ])
    expect(visibleGpusOf(FOUR_GPUS, 'GPU-22aa')).toEqual([{ slot: 0, cudaDevice: uuid(2), freeMiB: 8040 }])
    expect(visibleGpusOf(FOUR_GPUS, '')).toEqual([])
    // CUDA stops at the first entry that names no device.
    expect(visibleGpusOf(FOUR_GPUS, '1,7,2').map((g) => g.cudaDevice)).toEqual([uuid(1)])
    // Without UUIDs (old drivers), by index.
    expect(visibleGpusOf(FOUR_GPUS.replace(/, GPU-\S+/g, ', [N/A]'), '2').map((g) => g.cudaDevice)).toEqual(['2'])
  })

  it('picks the free GPU with the most free memory, as it is when the job starts', () => {
    const bin = fakeNvidiaSmi(FOUR_GPUS)
    process.env.CUDA_VISIBLE_DEVICES = '0,2,3'
    const slots = new GpuSlots()
    expect(slots.count).toBe(3)
    expect(slots.pick(new Set())).toMatchObject({ slot: 2, cudaDevice: uuid(3) })
    expect(slots.pick(new Set([2]))).toMatchObject({ slot: 1, cudaDevice: uuid(2) })
    expect(slots.pick(new Set([0, 1, 2]))).toBeNull()
    // Another program frees GPU 0: the next job goes there.
    writeFileSync(join(bin, 'gpus.csv'), FOUR_GPUS.replace(', 1024,', ', 40000,'))
    expect(slots.pick(new Set([2]))).toMatchObject({ slot: 0, cudaDevice: uuid(0) })
  })

  it('without nvidia-smi there are no GPU slots; XLAB_GPUS sets the count', () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'xlab-no-smi-'))
    expect(new GpuSlots().count).toBe(0)
    process.env.XLAB_GPUS = '2'
    const s = new GpuSlots()
    expect(s.count).toBe(2)
    expect(s.pick(new Set([0]))).toMatchObject({ slot: 1, cudaDevice: '1' })
  })

  it('runs two jobs at once on the two roomiest visible GPUs, each seeing only its own', async () => {
    fakeNvidiaSmi(FOUR_GPUS)
    process.env.CUDA_VISIBLE_DEVICES = '0,1,2,3'
    Object.assign(process.env, { XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker', XLAB_FAKE_STEP_S: '0.3', XLAB_FAKE_STEPS: '6' })
    const root = dataRootWith(['pre-a', 'pre-b', 'tiny-chest'])
    const s = await LabService.open({ dataRoot: root, allowAllPaths: true })
    try {
      const st = await s.dispatch('studies.create', { name: 'gpus', config: tinyConfig({ pretrainDatasets: ['pre-a', 'pre-b'], protocols: ['linear'], device: { policy: 'auto', cpuSlots: 1, threadsPerJob: 1, maxAttempts: 1 } }) }, { signal: new AbortController().signal, requestId: 't' }) as { id: string }
      expect(runQueueOf(s.ctx).slotCount()).toBe(4)
      await s.dispatch('studies.start', { id: 'gpus' }, { signal: new AbortController().signal, requestId: 't' })
      expect(await runQueueOf(s.ctx).whenSettled(st.id)).toBe('done')
      const pretext = store.listRuns(s.ctx.db, { studyId: st.id }).filter((r) => r.stage === 'pretext')
      const gpus = pretext.map((r) => /CUDA_VISIBLE_DEVICES=(\S+)/.exec(readFileSync(join(r.runDir, 'worker.log'), 'utf8'))![1]).sort()
      expect(gpus).toEqual([uuid(1), uuid(3)])
      expect(JSON.parse(readFileSync(join(pretext[0]!.runDir, 'job.json'), 'utf8')).device).toBe('cuda')
    } finally {
      await s.close()
    }
  })
})
