// A data root is a folder that can be copied and moved (DESIGN.md "Data on disk"): a copy reads its
// own files, a removal in a copy never touches another copy, and the lab deletes only inside its
// own root. Run as a user does: the CLI on the small demo datasets and a finished tiny study (the
// stand-in engine keeps it fast).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-core/store/db.ts'
import { FAKE_ENGINE, REPO, tinyConfig } from '../runner/helpers.ts'

const xlab = join(REPO, 'bin', 'xlab.mjs')
const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker' }
const cli = (root: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [xlab, ...args, '--data', root], { env, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
const ok = (root: string, ...args: string[]) => {
  const r = cli(root, ...args)
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r.stdout
}

/** Every file under a folder with its size and mtime: any deletion or rewrite shows. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      // The database and its WAL change when any command opens it; its content is checked through the CLI.
      else if (!e.name.startsWith('lab.sqlite')) out[relative(root, p)] = `${statSync(p).size}:${statSync(p).mtimeMs}`
    }
  }
  walk(root)
  return out
}

const parent = mkdtempSync(join(tmpdir(), 'xlab-copy-'))
afterAll(() => rmSync(parent, { recursive: true, force: true }))

describe('a copied and moved data root', () => {
  it('the moved original keeps its files, datasets and results while a copy removes a dataset and a run', () => {
    const original = join(parent, 'original')
    ok(original, 'datasets', 'demo', '--scale', 'small', '--size', '16')
    const cfg = tinyConfig({ pretrainDatasets: ['demo-mammo'], downstreamDataset: 'demo-chest', imageSize: 16 })
    writeFileSync(join(parent, 'tiny.json'), JSON.stringify(cfg))
    ok(original, 'study', 'run', 'tiny', '--config', join(parent, 'tiny.json'), '--plain')
    const results = ok(original, 'study', 'results', 'tiny', '--json')
    const datasets = ok(original, 'datasets', 'list', '--json')
    expect(JSON.parse(results)).toHaveLength(2)
    const files = snapshot(original)

    // A copy (a backup, a bigger disk), then the original moved away.
    const copy = join(parent, 'copy')
    cpSync(original, copy, { recursive: true })
    const moved = join(parent, 'moved')
    renameSync(original, moved)

    // The copy reads its own folders: nothing damaged, the same results.
    const inCopy = JSON.parse(ok(copy, 'datasets', 'list', '--json')) as { name: string; status: string; dir: string }[]
    expect(inCopy.map((d) => [d.name, d.status])).toEqual((JSON.parse(datasets) as { name: string; status: string }[]).map((d) => [d.name, 'ready']))
    expect(inCopy.every((d) => d.dir.startsWith(join(copy, 'datasets')))).toBe(true)
    expect(ok(copy, 'study', 'results', 'tiny', '--json')).toBe(results)

    // A second copy made while the original is in place: removals in it must not reach the original.
    const second = join(parent, 'second')
    cpSync(moved, second, { recursive: true })
    for (const root of [copy, second]) {
      ok(root, 'datasets', 'remove', 'demo-natural')
      // A run leaves the study (an edited plan), then is pruned as unreferenced: its folder is deleted.
      writeFileSync(join(parent, 'linear.json'), JSON.stringify({ ...cfg, protocols: ['linear'] }))
      ok(root, 'study', 'create', 'tiny', '--config', join(parent, 'linear.json'))
      expect(ok(root, 'runs', 'prune', '--category', 'unreferenced', '--yes')).toMatch(/removed unreferenced: 1 run\(s\)/)
      expect(JSON.parse(ok(root, 'datasets', 'list', '--json')).map((d: { name: string }) => d.name)).not.toContain('demo-natural')
    }

    expect(snapshot(moved)).toEqual(files)
    expect(ok(moved, 'datasets', 'list', '--json').replaceAll(moved, original)).toBe(datasets)
    expect(ok(moved, 'study', 'results', 'tiny', '--json')).toBe(results)
  })

  it('refuses to delete a folder outside its data root, naming it, and doctor lists such paths', () => {
    const root = join(parent, 'small')
    ok(root, 'datasets', 'demo', '--scale', 'small', '--size', '16')
    const outside = mkdtempSync(join(tmpdir(), 'xlab-outside-'))
    writeFileSync(join(outside, 'keep.txt'), 'not the lab\'s')
    const db = openDatabase(join(root, 'lab.sqlite'))
    db.prepare("UPDATE datasets SET dir = ? WHERE name = 'demo-brainct'").run(outside)
    db.close()
    const r = cli(root, 'datasets', 'remove', 'demo-brainct')
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain(`Refusing to delete ${outside}: it is outside this lab's data root ${root}`)
    expect(existsSync(join(outside, 'keep.txt'))).toBe(true)

    const doctor = cli(root, 'doctor', '--no-setup', '--json')
    const section = (JSON.parse(doctor.stdout) as { sections: { id: string; status: string; rows: [string, string][] }[] }).sections.find((s) => s.id === 'data-root')
    expect(section?.status).toBe('warn')
    expect(section?.rows).toContainEqual(['dataset dir demo-brainct', outside])
    rmSync(outside, { recursive: true, force: true })
  })
})
