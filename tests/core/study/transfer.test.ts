// A study exported to one file and imported into another data root gives the same results there
// (`xlab study export NAME FILE`, `xlab study import FILE`), through the CLI as a user runs it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FAKE_ENGINE, REPO, tinyConfig } from '../runner/helpers.ts'

const xlab = join(REPO, 'bin', 'xlab.mjs')
const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' }
const cli = (root: string, ...args: string[]) => spawnSync(process.execPath, [xlab, ...args, '--data', root], { env, encoding: 'utf8', timeout: 120_000 })
const ok = (root: string, ...args: string[]) => {
  const r = cli(root, ...args)
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r.stdout
}

const parent = mkdtempSync(join(tmpdir(), 'xlab-transfer-'))
afterAll(() => rmSync(parent, { recursive: true, force: true }))

describe('study export and import', () => {
  it('round-trips a finished study into another data root with identical results', () => {
    const here = join(parent, 'here')
    ok(here, 'datasets', 'demo', '--scale', 'small', '--size', '16')
    writeFileSync(join(parent, 'tiny.json'), JSON.stringify(tinyConfig({ pretrainDatasets: ['demo-mammo'], downstreamDataset: 'demo-chest', imageSize: 16 })))
    ok(here, 'study', 'run', 'tiny', '--config', join(parent, 'tiny.json'), '--plain')
    const results = ok(here, 'study', 'results', 'tiny', '--json')
    const file = join(parent, 'tiny.xlabstudy.gz')
    expect(ok(here, 'study', 'export', 'tiny', file)).toMatch(/exported study tiny to .*: 4 run\(s\), \d+ file\(s\)/)

    const there = join(parent, 'there')
    const imported = ok(there, 'study', 'import', file)
    expect(imported).toMatch(/imported study tiny \(st-[0-9a-f]{8}\): 4 run\(s\) added, 0 already here/)
    // No datasets there: the import says the runs read data this root does not have.
    expect(imported).toMatch(/note: dataset "demo-chest" is not imported here/)
    expect(ok(there, 'study', 'results', 'tiny', '--json')).toBe(results)
    const runs = JSON.parse(ok(there, 'runs', 'list', '--json')) as { id: string; state: string }[]
    expect(runs.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done'])
    // The run folders came along (summaries, logs), without resumable state or weights.
    for (const r of runs) {
      expect(existsSync(join(there, 'runs', r.id, 'summary.json'))).toBe(true)
      expect(readdirSync(join(there, 'runs', r.id)).filter((f) => f.endsWith('.pth'))).toEqual([])
    }

    // The same name again is refused with a sentence; under another name the runs are reused.
    const again = cli(there, 'study', 'import', file)
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/A study named "tiny" already exists here\. Import under another name/)
    expect(ok(there, 'study', 'import', file, '--name', 'tiny-2')).toMatch(/0 run\(s\) added, 4 already here/)
    expect(ok(there, 'study', 'results', 'tiny-2', '--json')).toBe(results)
    // Not an export: a sentence.
    writeFileSync(join(parent, 'junk.gz'), 'not gzip')
    expect(cli(there, 'study', 'import', join(parent, 'junk.gz')).stderr).toMatch(/is not a study export/)
  }, 240_000)
})
