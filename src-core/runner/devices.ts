// Device slots: one job per visible GPU; on CPU as many as the study asks for (default one).
// A job gets the free GPU with the most free memory at the moment it starts (another program's
// job may hold part of a GPU), and sees only that GPU (CUDA_VISIBLE_DEVICES).
import { spawnSync } from 'node:child_process'
import { GPU_QUERY_ARGS, parseGpuQuery, visibleGpus } from '../environment/nvidia-smi.ts'

/** One GPU this lab may use. */
export interface VisibleGpu {
  /** Slot number: position among the visible GPUs (0..n-1). */
  slot: number
  /** What a worker's CUDA_VISIBLE_DEVICES names it by: its UUID, else its index. */
  cudaDevice: string
  /** Free memory in MiB when asked (null where nvidia-smi does not say). */
  freeMiB: number | null
}

/**
 * The GPUs of an `nvidia-smi` query (environment/nvidia-smi.ts) that a process with this
 * CUDA_VISIBLE_DEVICES sees, in its order. A worker is given its GPU by UUID where nvidia-smi
 * reports one: an index would mean another GPU under CUDA's default FASTEST_FIRST order.
 */
export function visibleGpusOf(queryText: string, cudaVisibleDevices: string | undefined): VisibleGpu[] {
  return visibleGpus(parseGpuQuery(queryText).gpus, cudaVisibleDevices).map((g, slot) => ({ slot, cudaDevice: g.uuid ?? String(g.index), freeMiB: g.memoryFreeMiB }))
}

/** Runs nvidia-smi; the visible GPUs, or [] where there is no NVIDIA driver or GPU. */
export function queryVisibleGpus(): VisibleGpu[] {
  const r = spawnSync('nvidia-smi', GPU_QUERY_ARGS, { encoding: 'utf8', timeout: 5000 })
  if (r.status !== 0 || !r.stdout) return []
  return visibleGpusOf(r.stdout, process.env.CUDA_VISIBLE_DEVICES)
}

/** The GPU slots of this machine; XLAB_GPUS=N overrides the count (slots 0..N-1, memory unknown). */
export class GpuSlots {
  /** How many GPU slots there are (0: CPU slots). */
  readonly count: number

  constructor(private readonly query: () => VisibleGpu[] = queryVisibleGpus) {
    this.count = process.env.XLAB_GPUS !== undefined ? Math.max(0, Number(process.env.XLAB_GPUS) || 0) : query().length
  }

  /** The free slot with the most free memory now (lowest slot on a tie or unknown memory); null if all are busy. */
  pick(busy: ReadonlySet<number>): VisibleGpu | null {
    const fresh = process.env.XLAB_GPUS === undefined ? this.query() : []
    const slots = Array.from({ length: this.count }, (_, slot) => fresh.find((g) => g.slot === slot) ?? { slot, cudaDevice: String(slot), freeMiB: null })
    const free = slots.filter((g) => !busy.has(g.slot))
    if (!free.length) return null
    return free.reduce((best, g) => ((g.freeMiB ?? -1) > (best.freeMiB ?? -1) ? g : best))
  }
}
