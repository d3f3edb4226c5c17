// Accelerator detection and the PyTorch build choice over recorded nvidia-smi / rocminfo outputs.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectAccelerator, describeAccelerator, parseRocminfo, type AcceleratorProbe } from '../../../src-core/environment/accelerator.ts'
import { chooseBuild, LOCK_VARIANTS, lockFileName } from '../../../src-core/environment/build-choice.ts'
import type { CommandRunner } from '../../../src-core/environment/nvidia-smi.ts'
import { recordedSmi } from './recorded-smi.ts'

const REPO = join(import.meta.dirname, '..', '..', '..')
const ROCMINFO = readFileSync(join(REPO, 'tests', 'fixtures', 'rocminfo', 'mi250x.txt'), 'utf8')
const missing: CommandRunner = () => ({ status: null, stdout: '', stderr: '', error: Object.assign(new Error('ENOENT'), { code: 'ENOENT' }) })

function probe(over: Partial<AcceleratorProbe> & { smi?: string | null; rocm?: boolean }): AcceleratorProbe {
  const smi = recordedSmi(over.smi ?? null)
  return {
    platform: 'linux',
    arch: 'x64',
    readFile: (p) => (p === '/opt/rocm/.info/version' && over.rocm ? '6.4.1-118\n' : null),
    run: (cmd, args) => {
      if (cmd === 'nvidia-smi') return smi(cmd, args)
      if (cmd === 'rocminfo' && over.rocm) return { status: 0, stdout: ROCMINFO, stderr: '' }
      if (cmd === 'sysctl') return { status: 0, stdout: 'Apple M2 Max\n', stderr: '' }
      return missing(cmd, args)
    },
    ...over,
  }
}

/** Detection then choice, as the manager does it. */
const lockFor = (p: AcceleratorProbe) => chooseBuild(detectAccelerator(p), p.platform, p.arch)

describe('accelerator detection', () => {
  it('finds NVIDIA GPUs with driver, CUDA and memory', () => {
    const a = detectAccelerator(probe({ smi: 'h100x8-550' }))
    expect(a).toMatchObject({ kind: 'cuda', driverVersion: '550.54.15', cudaVersion: '12.4' })
    expect(describeAccelerator(a)).toBe('NVIDIA driver 550.54.15 (CUDA 12.4), 8 x NVIDIA H100 80GB HBM3')
  })

  it('falls back to CPU with the reason when the driver is not loaded or nvidia-smi is missing', () => {
    const a = detectAccelerator(probe({ smi: 'no-driver' }))
    expect(a.kind).toBe('cpu')
    expect(describeAccelerator(a)).toMatch(/CPU only \(nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate/)
    expect(detectAccelerator(probe({ smi: null }))).toMatchObject({ kind: 'cpu', note: expect.stringContaining('nvidia-smi is not on the PATH') })
  })

  it('finds ROCm GPUs from rocminfo and the ROCm version file', () => {
    expect(parseRocminfo(ROCMINFO)).toEqual([{ name: 'AMD Instinct MI250X', gfx: 'gfx90a' }, { name: 'AMD Instinct MI250X', gfx: 'gfx90a' }])
    expect(detectAccelerator(probe({ rocm: true }))).toMatchObject({ kind: 'rocm', rocmVersion: '6.4.1' })
  })

  it('finds MPS on Apple silicon but not on Intel Macs', () => {
    expect(detectAccelerator(probe({ platform: 'darwin', arch: 'arm64' }))).toEqual({ kind: 'mps', chip: 'Apple M2 Max' })
    expect(detectAccelerator(probe({ platform: 'darwin', arch: 'x64' }))).toMatchObject({ kind: 'cpu', note: expect.stringContaining('Intel Macs') })
  })

  it('XLAB_ACCELERATOR=cpu forces the CPU build even with a GPU', () => {
    expect(detectAccelerator(probe({ smi: 'rtx4090-535', force: 'cpu' }))).toMatchObject({ kind: 'cpu' })
  })
})

describe('PyTorch build choice', () => {
  it('gives each driver the newest CUDA build it supports', () => {
    expect(lockFor(probe({ smi: 'rtx5090x2-570' })).file).toBe('linux-x64-cu128.txt') // CUDA 12.8
    expect(lockFor(probe({ smi: 'h100x8-550' })).file).toBe('linux-x64-cu118.txt') // CUDA 12.4: 12.6 is too new
    expect(lockFor(probe({ smi: 'rtx4090-535' })).file).toBe('linux-x64-cu118.txt') // CUDA 12.2
    expect(lockFor(probe({ smi: 'mig-na' })).file).toBe('linux-x64-cu118.txt') // CUDA 12.0
  })

  it('takes the CUDA 13 build for a CUDA 13 driver and says nothing is newer', () => {
    const c = chooseBuild({ kind: 'cuda', driverVersion: '580.65.06', cudaVersion: '13.0', gpus: [] }, 'linux', 'x64')
    expect(c).toMatchObject({ file: 'linux-x64-cu130.txt', warnings: [] })
    expect(c.lock.torchIndex).toBeNull()
  })

  it('warns that a newer driver would get a newer build', () => {
    expect(lockFor(probe({ smi: 'h100x8-550' })).warnings[0]).toMatch(/driver 550.54.15 supports CUDA 12.4; a driver for CUDA 13.0 would get the newest build \(cu130\)/)
  })

  it('gives a driver too old for every CUDA build the CPU build, and says to update it', () => {
    const v100 = lockFor(probe({ smi: 'v100-470' }))
    expect(v100.file).toBe('linux-x64-cpu.txt')
    expect(v100.warnings[0]).toMatch(/NVIDIA driver 470.223.02 supports CUDA up to 11.4, older than every CUDA build .* \(oldest: CUDA 11.8\); update the driver/)
    expect(lockFor(probe({ smi: 'old-tool-418' })).warnings[0]).toMatch(/driver 418.87.01 is older than every CUDA build/)
  })

  it('no GPU, several GPUs, ROCm, MPS and Windows each get their own lock', () => {
    expect(lockFor(probe({ smi: 'no-devices' })).file).toBe('linux-x64-cpu.txt')
    expect(lockFor(probe({ smi: 'rtx5090x2-570', platform: 'win32' })).file).toBe('win32-x64-cu128.txt')
    expect(lockFor(probe({ smi: 'h100x8-550', platform: 'win32' })).file).toBe('win32-x64-cpu.txt')
    expect(lockFor(probe({ rocm: true })).file).toBe('linux-x64-rocm6.4.txt')
    expect(lockFor(probe({ platform: 'darwin', arch: 'arm64' })).file).toBe('darwin-arm64-mps.txt')
    expect(lockFor(probe({ platform: 'darwin', arch: 'arm64', force: 'cpu' })).file).toBe('darwin-arm64-mps.txt')
    expect(lockFor(probe({ smi: 'rtx4090-535', arch: 'arm64' }))).toMatchObject({ file: 'linux-arm64-cpu.txt', warnings: [expect.stringContaining('no CUDA build for linux-arm64')] })
  })

  it('refuses a platform without any lock, naming the way out', () => {
    expect(() => chooseBuild({ kind: 'cpu', note: 'x' }, 'freebsd', 'x64')).toThrow(/no locked PyTorch build for freebsd-x64.*XLAB_PYTHON/)
  })

  it('lists exactly the lock files in engine/locks, each with exact pins of torch and torchvision', () => {
    const dir = join(REPO, 'engine', 'locks')
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()
    expect(LOCK_VARIANTS.map(lockFileName).sort()).toEqual(files)
    for (const f of files) {
      const pins = readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
      expect(pins.every((l) => /^[A-Za-z0-9_.-]+==\S+$/.test(l)), f).toBe(true)
      expect(pins.some((l) => l.startsWith('torch==')) && pins.some((l) => l.startsWith('torchvision==')), f).toBe(true)
      const torch = pins.find((l) => l.startsWith('torch=='))!.slice(7).split('+')[0]!.split('.').map(Number)
      expect(torch[0]! > 2 || (torch[0] === 2 && torch[1]! >= 4), `${f}: torch>=2.4`).toBe(true)
    }
    expect(existsSync(join(dir, 'README.md'))).toBe(true)
  })
})
