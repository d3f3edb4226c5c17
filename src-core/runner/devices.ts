// Device slots: one job per visible GPU; on CPU as many as the study asks for (default one).
import { spawnSync } from 'node:child_process'

/** Visible NVIDIA GPUs (`nvidia-smi -L`), honouring CUDA_VISIBLE_DEVICES; XLAB_GPUS overrides. */
export function detectGpuCount(): number {
  if (process.env.XLAB_GPUS !== undefined) return Math.max(0, Number(process.env.XLAB_GPUS) || 0)
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 })
  if (r.status !== 0 || !r.stdout) return 0
  const n = r.stdout.split('\n').filter((l) => l.startsWith('GPU ')).length
  const visible = process.env.CUDA_VISIBLE_DEVICES
  if (visible === undefined) return n
  return visible.trim() === '' ? 0 : Math.min(n, visible.split(',').length)
}
