// Installer output -> progress reports with sizes, over lines recorded from pip and uv.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { looksOffline, requirementsFor } from '../../../src-core/environment/manager.ts'
import { InstallOutputParser, parseSize, type SetupProgress } from '../../../src-core/environment/progress.ts'
import { chooseBuild } from '../../../src-core/environment/build-choice.ts'
import { parsePipConfigList, uvEnvFromPip } from '../../../src-core/environment/tools.ts'

function parse(lines: string[]): SetupProgress[] {
  const out: SetupProgress[] = []
  const p = new InstallOutputParser((e) => out.push(e))
  for (const l of lines) p.line(l)
  return out
}

describe('install progress', () => {
  it('reads pip downloads with sizes and sums them', () => {
    const out = parse([
      'Collecting torch==2.14.1 (from -r requirements.txt (line 3))',
      '  Downloading torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl (554.6 MB)',
      'Collecting numpy==2.4.6',
      '  Downloading numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.whl (16.8 MB)',
      'Installing collected packages: numpy, torch',
      'Successfully installed numpy-2.4.6 torch-2.14.1',
    ])
    expect(out.map((p) => p.phase)).toEqual(['download', 'download', 'install', 'install'])
    expect(out[0]).toMatchObject({ package: 'torch', bytes: 554_600_000, doneBytes: 554_600_000, packages: 1 })
    expect(out[1]).toMatchObject({ package: 'numpy', doneBytes: 571_400_000, packages: 2 })
  })

  it('sizes pip installs from local wheel files by the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlab-wheels-'))
    const wheel = join(dir, 'torchvision-0.29.1-cp311-cp311-manylinux_2_28_x86_64.whl')
    writeFileSync(wheel, Buffer.alloc(12345))
    expect(parse([`Processing ${wheel}`])[0]).toMatchObject({ phase: 'download', package: 'torchvision', bytes: 12345 })
  })

  it('reads uv downloads (MiB) and its summary lines', () => {
    const out = parse(['Resolved 39 packages in 473ms', 'Downloading nvidia-nvjitlink (44.5MiB)', ' Downloaded nvidia-nvjitlink', 'Prepared 39 packages in 41.2s', 'Installed 39 packages in 2.1s', 'Bytecode compiled 21457 files in 95.12s'])
    expect(out.map((p) => p.phase)).toEqual(['download', 'download', 'download', 'install', 'install'])
    expect(out[1]).toMatchObject({ package: 'nvidia-nvjitlink', bytes: Math.round(44.5 * 1024 ** 2) })
    expect(out[2]).toMatchObject({ packages: 39 })
    expect(parseSize('6.8MiB')).toBe(Math.round(6.8 * 1024 ** 2))
  })

  it('recognises offline failures of pip and uv', () => {
    expect(looksOffline("WARNING: Retrying (Retry(total=0...)) after connection broken by 'NewConnectionError(...: Failed to establish a new connection: [Errno 111] Connection refused')")).toBe(true)
    expect(looksOffline('error: Request failed after 3 retries\n  Caused by: error sending request for url (https://pypi.org/simple/torch/)\n  Caused by: dns error: failed to lookup address information')).toBe(true)
    expect(looksOffline('ERROR: No matching distribution found for torch==9.9')).toBe(false)
  })

  it('adds the variant\'s PyTorch index to the lock unless XLAB_TORCH_INDEX_URL says otherwise', () => {
    const locks = join(import.meta.dirname, '..', '..', '..', 'engine', 'locks')
    const cu128 = chooseBuild({ kind: 'cuda', driverVersion: '570.86.15', cudaVersion: '12.8', gpus: [] }, 'linux', 'x64')
    expect(requirementsFor(cu128, locks, {})).toMatch(/^# linux-x64-cu128.txt: .*\n--extra-index-url https:\/\/download.pytorch.org\/whl\/cu128\n/)
    expect(requirementsFor(cu128, locks, { XLAB_TORCH_INDEX_URL: 'https://mirror.example/whl' })).toContain('--extra-index-url https://mirror.example/whl\n')
    expect(requirementsFor(cu128, locks, { XLAB_TORCH_INDEX_URL: '' })).not.toContain('--extra-index-url')
    expect(() => requirementsFor(cu128, '/nowhere', {})).toThrow(/installation is incomplete/)
  })

  it('carries pip\'s mirror settings over to uv', () => {
    const cfg = parsePipConfigList("global.cert='/etc/ssl/certs/ca-certificates.crt'\nglobal.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'\nglobal.find-links='/opt/wheels'\n:env:.find-links='/opt/wheels'")
    expect(uvEnvFromPip({}, cfg)).toEqual({ UV_EXTRA_INDEX_URL: 'file:///opt/pypi/simple file:///opt/pypi-more/simple', UV_FIND_LINKS: '/opt/wheels', UV_INDEX_STRATEGY: 'unsafe-best-match' })
    expect(uvEnvFromPip({ UV_FIND_LINKS: '/mine', UV_INDEX_STRATEGY: 'first-index' }, cfg)).toEqual({ UV_EXTRA_INDEX_URL: 'file:///opt/pypi/simple file:///opt/pypi-more/simple' })
    expect(uvEnvFromPip({}, {})).toEqual({})
  })
})
