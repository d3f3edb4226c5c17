// A full disk is a clear failure (issue 26): a study on a data root on a small tmpfs, with the real
// engine, whose first checkpoint does not fit. The run stops with "The disk holding DATA is full
// (N MB free)", no temp file is left, the lab exits cleanly (no crash), and once the disk has room
// (the tmpfs grown) `xlab study resume` finishes the study. Needs root to mount the tmpfs.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO, tinyConfig } from './helpers.ts'

const xlab = join(REPO, 'bin', 'xlab.mjs')
const mountPoint = mkdtempSync(join(tmpdir(), 'xlab-fulldisk-'))
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=60m', 'tmpfs', mountPoint]).status === 0
afterAll(() => {
  // Lazy: a process still holding a file there (a test that failed midway) must not keep the mount.
  if (mounted) spawnSync('umount', ['-l', mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

const cli = (...args: string[]) => spawnSync(process.execPath, [xlab, ...args, '--data', mountPoint], { encoding: 'utf8', timeout: 300_000 })

/** Every file under a folder whose name is an engine temp file. */
function tempFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && /^\..+\.tmp-\d+$/.test(e.name)) out.push(join(e.parentPath, e.name))
  return out
}

describe.skipIf(!mounted)('a full disk (a 60 MB tmpfs)', () => {
  it('stops the run with the disk and its free space, leaves no temp file, and resumes once there is room', () => {
    expect(cli('datasets', 'demo', '--scale', 'small', '--size', '32').status).toBe(0)
    const cfg = tinyConfig({ pretrainDatasets: ['demo-mammo'], downstreamDataset: 'demo-chest', protocols: ['linear'], imageSize: 32 })
    cfg.pretext = { ...cfg.pretext!, steps: 4, checkpointEverySteps: 1, checkpointEverySeconds: 0 }
    writeFileSync(join(tmpdir(), 'xlab-fulldisk.json'), JSON.stringify(cfg))
    const full = cli('study', 'run', 'full', '--config', join(tmpdir(), 'xlab-fulldisk.json'), '--plain')
    const said = `${full.stdout}\n${full.stderr}`
    expect(full.status, said).toBe(1)
    expect(said).not.toMatch(/Unhandled 'error' event|SqliteError|INTERNAL/)
    expect(said).toMatch(new RegExp(`The disk holding ${mountPoint} is full \\(\\d+ MB free\\)`))
    expect(tempFiles(join(mountPoint, 'runs'))).toEqual([])
    const status = cli('study', 'status', 'full')
    expect(status.stdout).toMatch(/failed +rotation@demo-mammo-s0: The disk holding .* is full/)

    // Room again: the tmpfs grows (as a person would free space), and the study resumes to the end.
    expect(spawnSync('mount', ['-o', 'remount,size=600m', mountPoint]).status).toBe(0)
    const resumed = cli('study', 'resume', 'full', '--plain')
    expect(resumed.status, `${resumed.stdout}\n${resumed.stderr}`).toBe(0)
    expect(cli('study', 'status', 'full').stdout).toMatch(/study full \(st-[0-9a-f]+\): done/)
  }, 600_000)
})
