// Which accelerator this machine has: NVIDIA (through nvidia-smi), AMD ROCm (rocminfo), Apple
// MPS (Apple silicon), else the CPU. Every probe goes through an injectable runner and file
// reader, so recorded outputs stand in for real hardware in the tests.
import { existsSync, readFileSync } from 'node:fs'
import { isNvidiaReport, queryNvidiaSmi, spawnRunner, type CommandRunner, type NvidiaGpu } from './nvidia-smi.ts'

/** What was found; `cpu` carries why no accelerator was used. */
export type Accelerator =
  | { kind: 'cuda'; driverVersion: string; cudaVersion: string | null; gpus: NvidiaGpu[] }
  | { kind: 'rocm'; rocmVersion: string | null; gpus: { name: string; gfx: string | null }[] }
  | { kind: 'mps'; chip: string }
  | { kind: 'cpu'; note: string }

/** The machine facts detection reads; defaults are the running machine. */
export interface AcceleratorProbe {
  /** process.platform. */
  platform: NodeJS.Platform
  /** process.arch. */
  arch: string
  /** Runs a tool (nvidia-smi, rocminfo, sysctl). */
  run: CommandRunner
  /** Reads a text file, null when missing (ROCm's version file). */
  readFile: (path: string) => string | null
  /** XLAB_ACCELERATOR: `cpu` forces the CPU build; `cuda` / `rocm` / `mps` insist on that kind. */
  force?: string
}

/** The running machine as a probe. */
export function machineProbe(): AcceleratorProbe {
  return {
    platform: process.platform,
    arch: process.arch,
    run: spawnRunner,
    readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : null),
    force: process.env.XLAB_ACCELERATOR || undefined,
  }
}

/** GPU agents of `rocminfo` (Marketing Name and gfx target of each agent whose Device Type is GPU). */
export function parseRocminfo(text: string): { name: string; gfx: string | null }[] {
  const out: { name: string; gfx: string | null }[] = []
  for (const block of text.split(/\n\*{5,}\s*\nAgent \d+/)) {
    if (!/Device Type:\s+GPU/.test(block)) continue
    const name = /Marketing Name:\s+(.+)/.exec(block)?.[1]?.trim()
    const gfx = /^\s*Name:\s+(gfx\w+)/m.exec(block)?.[1] ?? null
    out.push({ name: name || gfx || 'AMD GPU', gfx })
  }
  return out
}

/** Detects the accelerator; never throws (a failing tool means that kind is absent). */
export function detectAccelerator(probe: AcceleratorProbe = machineProbe()): Accelerator {
  if (probe.force === 'cpu') return { kind: 'cpu', note: 'XLAB_ACCELERATOR=cpu asks for the CPU build' }
  const notes: string[] = []
  if (probe.platform !== 'darwin' && (!probe.force || probe.force === 'cuda')) {
    const smi = queryNvidiaSmi(probe.run)
    if (isNvidiaReport(smi)) return { kind: 'cuda', ...smi }
    notes.push(smi.detail)
  }
  if (probe.platform === 'linux' && (!probe.force || probe.force === 'rocm')) {
    const r = probe.run('rocminfo', [])
    if (r.status === 0) {
      const gpus = parseRocminfo(r.stdout)
      const version = probe.readFile('/opt/rocm/.info/version')?.trim().match(/^\d+\.\d+(\.\d+)?/)?.[0] ?? null
      if (gpus.length > 0) return { kind: 'rocm', rocmVersion: version, gpus }
      notes.push('rocminfo lists no GPU agent')
    }
  }
  if (probe.platform === 'darwin' && probe.arch === 'arm64' && (!probe.force || probe.force === 'mps')) {
    const r = probe.run('sysctl', ['-n', 'machdep.cpu.brand_string'])
    return { kind: 'mps', chip: (r.status === 0 && r.stdout.trim()) || 'Apple silicon' }
  }
  if (probe.platform === 'darwin' && probe.arch !== 'arm64') notes.push('Intel Macs have no Metal (MPS) support in PyTorch')
  if (probe.force && probe.force !== 'cpu') notes.unshift(`XLAB_ACCELERATOR=${probe.force} was asked for but not found`)
  return { kind: 'cpu', note: notes.join('; ') || 'no GPU found' }
}

/** One line for people: `NVIDIA driver 550.54.15 (CUDA 12.4), 2 x NVIDIA RTX 4090`. */
export function describeAccelerator(a: Accelerator): string {
  switch (a.kind) {
    case 'cuda': {
      const names = [...new Set(a.gpus.map((g) => g.name))].map((n) => `${a.gpus.filter((g) => g.name === n).length} x ${n}`)
      return `NVIDIA driver ${a.driverVersion} (CUDA ${a.cudaVersion ?? 'unknown'}), ${names.join(', ')}`
    }
    case 'rocm':
      return `AMD ROCm ${a.rocmVersion ?? '(version unknown)'}, ${a.gpus.map((g) => g.name).join(', ')}`
    case 'mps':
      return `Apple ${a.chip} (Metal / MPS)`
    case 'cpu':
      return `CPU only (${a.note})`
  }
}
