// The smaller cases of real folders: an unreadable class folder, symlinked class folders, a file
// changed between an interrupted import and its resumption.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeDicom } from '../../../src-core/datasets/dicom.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { SkipError } from '../../../src-core/datasets/skip-error.ts'
import { planImageFolder } from '../../../src-core/datasets/imagefolder.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { getReport } from '../../../src-core/store/datasets.ts'
import { dicomFile, freshEnv, REPO, tmp, writePng } from './helpers.ts'

async function classes(names: string[], per = 2, size = 24, root = tmp('xlab-small-')): Promise<string> {
  for (const [c, name] of names.entries()) for (let i = 0; i < per; i++) await writePng(join(root, name, `${name}${i}.png`), c * per + i, size)
  return root
}

describe('smaller cases', () => {
  it('follows symlinked class folders and reports one that leads nowhere', async () => {
    const root = await classes(['a', 'b'])
    const elsewhere = await classes(['c'])
    symlinkSync(join(elsewhere, 'c'), join(root, 'c'))
    symlinkSync(join(root, 'missing'), join(root, 'd'))
    const plan = await planImageFolder(root, 'grey')
    expect(plan.labelNames).toEqual(['a', 'b', 'c'])
    expect(plan.items.filter((it) => it.labels[0] === 2).map((it) => it.rel)).toEqual(['c/c0.png', 'c/c1.png'])
    expect(plan.skipped).toEqual([{ file: 'd', reason: 'unreadable', message: 'the link points to a file that does not exist' }])
  })

  it('leaves out an unreadable class folder with a sentence, not a raw EACCES, and imports the rest', async () => {
    // As root every folder is readable: the import runs as an unprivileged user (setpriv), as a user would.
    // Outside the test's private temp folder (mode 700), which another user cannot enter; removed below.
    const top = mkdtempSync(join('/tmp', 'xlab-small-user-'))
    chmodSync(top, 0o755)
    const root = await classes(['a', 'b', 'locked'], 2, 24, join(top, 'src'))
    const data = join(top, 'data')
    mkdirSync(data, { mode: 0o777 })
    chmodSync(data, 0o777)
    for (const d of [root, join(root, 'a'), join(root, 'b')]) chmodSync(d, 0o755)
    chmodSync(join(root, 'locked'), 0o000)
    const asUser = (args: string[]) => {
      const env = { ...process.env, HOME: data, TMPDIR: data }
      const cmd = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath]
      return spawnSync(cmd[0]!, [...cmd.slice(1), 'bin/xlab.mjs', ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 120_000 })
    }
    let r: ReturnType<typeof asUser>
    try {
      r = asUser(['datasets', 'import', 'imagefolder', root, '--name', 'locked', '--size', '16', '--data', join(data, 'lab'), '--split', '0.5,0.25,0.25'])
    } finally {
      chmodSync(join(root, 'locked'), 0o755)
      rmSync(top, { recursive: true, force: true })
    }
    expect(r.stderr).not.toMatch(/EACCES: permission denied, scandir/)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/imported 4 of/)
    expect(r.stdout).toMatch(/Class folder "locked" was left out: .*locked cannot be read: the lab has no permission to list it \(EACCES\)\. Give the user running the lab read and execute permission/)
  })

  it('says why a cut-off DICOM is skipped, never "[object Object]"', async () => {
    const full = dicomFile({ rows: 16, cols: 16, pixels: Uint16Array.from({ length: 256 }, (_, i) => i * 16) })
    for (const cut of [full.length - 300, full.length - 520, 330]) {
      const err = (await decodeDicom(full.subarray(0, cut)).catch((e: unknown) => e)) as SkipError
      expect(err).toBeInstanceOf(SkipError)
      expect(err.message, String(cut)).not.toMatch(/object Object|is not a function/)
      expect(err.reason, err.message).toBe('truncated')
      expect(err.message).toMatch(/cut off|truncated/)
    }
  })

  it('re-decodes a file changed between an interrupted import and its resumption', async () => {
    const root = await classes(['a', 'b'], 30, 32)
    const env = freshEnv()
    const controller = new AbortController()
    const first = await prepareImport(env, { kind: 'imagefolder', path: root, name: 'changed', size: 32, color: 'grey', concurrency: 1 })
    await expect(first.run({ signal: controller.signal, onProgress: (p) => p.done >= 20 && controller.abort() })).rejects.toThrow(/cancelled/)
    // a/a0.png (row 0, decoded before the stop) now holds another picture.
    await writePng(join(root, 'a', 'a0.png'), 777, 32)
    const fresh = await (await prepareImport(freshEnv(), { kind: 'imagefolder', path: root, name: 'ref', size: 32, color: 'grey' })).run({})
    const again = await prepareImport(env, { kind: 'imagefolder', path: root, name: 'changed', size: 32, color: 'grey' })
    const rec = await again.run({})
    const row0 = (dir: string) => Buffer.from((readNpy(join(dir, 'images.npy')).data as Uint8Array).subarray(0, 32 * 32))
    expect(row0(rec.dir).equals(row0(fresh.dir))).toBe(true)
    expect((getReport(env.db, rec.id) as ImportReport).warnings.join('\n')).toMatch(/The source changed since the interrupted import .* started over/)
  })
})
