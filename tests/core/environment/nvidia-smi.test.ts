// nvidia-smi parsing over recorded outputs of several drivers, GPU counts and failures.
import { describe, expect, it } from 'vitest'
import { compareVersions, cudaForDriver, isNvidiaReport, parseCudaVersion, parseGpuQuery, queryNvidiaSmi, visibleGpus } from '../../../src-core/environment/nvidia-smi.ts'
import { recordedSmi } from './recorded-smi.ts'

describe('nvidia-smi', () => {
  it('reads one RTX 4090 on driver 535 (CUDA 12.2)', () => {
    const r = queryNvidiaSmi(recordedSmi('rtx4090-535'))
    expect(r).toEqual({
      driverVersion: '535.129.03',
      cudaVersion: '12.2',
      gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24564, memoryFreeMiB: 23811, uuid: 'GPU-7a3c1b2e-4f5d-6e7f-8a9b-0c1d2e3f4a5b' }],
    })
  })

  it('reads eight H100s on driver 550 (CUDA 12.4), one of them busy', () => {
    const r = queryNvidiaSmi(recordedSmi('h100x8-550'))
    if (!isNvidiaReport(r)) throw new Error(r.detail)
    expect(r.driverVersion).toBe('550.54.15')
    expect(r.cudaVersion).toBe('12.4')
    expect(r.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(new Set(r.gpus.map((g) => g.name))).toEqual(new Set(['NVIDIA H100 80GB HBM3']))
    expect(r.gpus[3]!.memoryFreeMiB).toBe(41555)
    expect(r.gpus[0]!.memoryTotalMiB).toBe(81559)
  })

  it('reads two RTX 5090s on driver 570 (CUDA 12.8)', () => {
    const r = queryNvidiaSmi(recordedSmi('rtx5090x2-570'))
    if (!isNvidiaReport(r)) throw new Error(r.detail)
    expect([r.driverVersion, r.cudaVersion, r.gpus.length]).toEqual(['570.86.15', '12.8', 2])
  })

  it('reads an old V100 on driver 470 (CUDA 11.4)', () => {
    const r = queryNvidiaSmi(recordedSmi('v100-470'))
    if (!isNvidiaReport(r)) throw new Error(r.detail)
    expect([r.driverVersion, r.cudaVersion, r.gpus[0]!.name]).toEqual(['470.223.02', '11.4', 'Tesla V100-SXM2-16GB'])
  })

  it('keeps [N/A] memory as unknown rather than zero', () => {
    const r = queryNvidiaSmi(recordedSmi('mig-na'))
    if (!isNvidiaReport(r)) throw new Error(r.detail)
    expect(r.gpus[0]).toMatchObject({ memoryTotalMiB: 40960, memoryFreeMiB: null })
  })

  it('tolerates a header and units, and derives CUDA from the driver when the plain view is missing', () => {
    const r = queryNvidiaSmi(recordedSmi('old-tool-418'))
    if (!isNvidiaReport(r)) throw new Error(r.detail)
    expect(r.gpus[0]).toMatchObject({ name: 'Tesla P100-PCIE-16GB', memoryTotalMiB: 16280, memoryFreeMiB: 16270 })
    // Driver 418 predates CUDA 11: no CUDA version the lab's wheels could use.
    expect(r.cudaVersion).toBeNull()
  })

  it('says why there is no report: tool missing, driver not loaded, no devices', () => {
    expect(queryNvidiaSmi(recordedSmi(null))).toMatchObject({ reason: 'not-installed' })
    const noDriver = queryNvidiaSmi(recordedSmi('no-driver'))
    expect(noDriver).toMatchObject({ reason: 'failed' })
    expect(isNvidiaReport(noDriver) ? '' : noDriver.detail).toContain("couldn't communicate with the NVIDIA driver")
    expect(queryNvidiaSmi(recordedSmi('no-devices'))).toMatchObject({ reason: 'failed', detail: expect.stringContaining('No devices were found') })
  })

  it('parses the CUDA header of plain and -q views', () => {
    expect(parseCudaVersion('| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |')).toBe('12.4')
    expect(parseCudaVersion('CUDA Version                              : 12.8')).toBe('12.8')
    expect(parseCudaVersion('nothing here')).toBeNull()
  })

  it('maps drivers to the highest CUDA they support', () => {
    expect(cudaForDriver('580.82.07')).toBe('13.0')
    expect(cudaForDriver('570.26')).toBe('12.8')
    expect(cudaForDriver('570.25.99')).toBe('12.6')
    expect(cudaForDriver('535.129.03')).toBe('12.2')
    expect(cudaForDriver('525.60.13')).toBe('12.0')
    expect(cudaForDriver('470.223.02')).toBe('11.4')
    expect(cudaForDriver('418.87.01')).toBeNull()
    expect(compareVersions('550.54.14', '550.9')).toBeGreaterThan(0)
  })

  it('honours CUDA_VISIBLE_DEVICES by index and UUID prefix, stopping at an unknown entry', () => {
    const { gpus } = parseGpuQuery('0, A, 1, 1, 550.1, GPU-aaa\n1, B, 1, 1, 550.1, GPU-bbb\n2, C, 1, 1, 550.1, GPU-ccc\n')
    expect(visibleGpus(gpus, undefined).map((g) => g.name)).toEqual(['A', 'B', 'C'])
    expect(visibleGpus(gpus, '2,0').map((g) => g.name)).toEqual(['C', 'A'])
    expect(visibleGpus(gpus, 'GPU-bb').map((g) => g.name)).toEqual(['B'])
    expect(visibleGpus(gpus, '1,7,2').map((g) => g.name)).toEqual(['B'])
    expect(visibleGpus(gpus, '')).toEqual([])
    expect(visibleGpus(gpus, '-1')).toEqual([])
  })
})
