// An import killed halfway (SIGKILL, a real process) resumes where it stopped and ends with the
// same cache, byte for byte, as an uninterrupted import; so does one cancelled through its signal.
import { spawn, execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { JOURNAL_FILE } from '../../../src-core/datasets/cache-writer.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { openDatabase } from '../../../src-core/store/db.ts'
import { getDatasetByIdOrName } from '../../../src-core/store/datasets.ts'
import { freshEnv, tmp, writePng } from './helpers.ts'

const repo = resolve(import.meta.dirname, '..', '..', '..')
const CACHE_FILES = ['images.npy', 'labels.npy', 'split-train.npy', 'split-val.npy', 'split-test.npy']
const COUNT = 240

function sameCache(a: string, b: string): void {
  for (const f of CACHE_FILES) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true)
  const ma = JSON.parse(readFileSync(join(a, 'meta.json'), 'utf8'))
  const mb = JSON.parse(readFileSync(join(b, 'meta.json'), 'utf8'))
  expect(mb.checksums).toEqual(ma.checksums)
  expect(mb.mean).toEqual(ma.mean)
}

describe('interrupted imports', () => {
  const src = tmp('xlab-resume-src-')
  let reference = ''
  beforeAll(async () => {
    for (let i = 0; i < COUNT; i++) await writePng(join(src, i % 3 ? 'b' : 'a', `${String(i).padStart(4, '0')}.png`), i, 320)
    const rec = await (await prepareImport(freshEnv(), { kind: 'imagefolder', path: src, name: 'ref', size: 32 })).run({})
    reference = rec.dir
  })

  it('resumes after SIGKILL and ends with the same cache', async () => {
    const data = tmp('xlab-resume-data-')
    const args = ['bin/xlab.mjs', 'datasets', 'import', 'imagefolder', src, '--name', 'ref', '--size', '32', '--jobs', '1', '--data', data]
    const child = spawn(process.execPath, args, { cwd: repo, stdio: 'ignore' })
    let killedAt = -1
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        const dirs = existsSync(join(data, 'datasets')) ? readdirSync(join(data, 'datasets')) : []
        const journal = dirs.length ? join(data, 'datasets', dirs[0]!, JOURNAL_FILE) : ''
        if (!journal || !existsSync(journal)) return
        try {
          const next = (JSON.parse(readFileSync(journal, 'utf8')) as { next: number }).next
          if (next >= 32) {
            child.kill('SIGKILL')
            killedAt = next
            clearInterval(timer)
          }
        } catch {
          // The journal is replaced by rename; a read can race with it.
        }
      }, 10)
      child.on('exit', () => {
        clearInterval(timer)
        if (killedAt < 0) fail(new Error('the import finished before it could be killed'))
        else done()
      })
    })
    expect(killedAt).toBeLessThan(COUNT)
    const db = openDatabase(join(data, 'lab.sqlite'))
    const half = getDatasetByIdOrName(db, 'ref')!
    db.close()
    expect(half.status).toBe('importing')
    expect(existsSync(join(half.dir, 'meta.json'))).toBe(false)

    // A lab service opening the data root sees the dead import and marks it cancelled (resumable).
    const listed = await promisify(execFile)(process.execPath, ['bin/xlab.mjs', 'datasets', 'list', '--data', data], { cwd: repo })
    expect(listed.stdout).toMatch(/cancelled .*ref\s+\(The import was interrupted/)

    const { stdout } = await promisify(execFile)(process.execPath, args.filter((a) => a !== '--jobs' && a !== '1'), { cwd: repo })
    expect(stdout).toMatch(/imported 240 of 240 files \(0 skipped\), resumed after an interruption/)
    const db2 = openDatabase(join(data, 'lab.sqlite'))
    const done = getDatasetByIdOrName(db2, 'ref')!
    db2.close()
    expect(done.status).toBe('ready')
    expect(done.id).toBe(half.id)
    expect(existsSync(join(done.dir, JOURNAL_FILE))).toBe(false)
    sameCache(reference, done.dir)
  })

  it('a cancelled import is marked cancelled and resumes to the same cache', async () => {
    const env = freshEnv()
    const controller = new AbortController()
    const first = await prepareImport(env, { kind: 'imagefolder', path: src, name: 'ref', size: 32, concurrency: 1 })
    await expect(first.run({ signal: controller.signal, onProgress: (p) => p.done >= 40 && controller.abort() })).rejects.toThrow(/cancelled\. Run it again to continue/)
    expect(getDatasetByIdOrName(env.db, 'ref')!.status).toBe('cancelled')
    const again = await prepareImport(env, { kind: 'imagefolder', path: src, name: 'ref', size: 32 })
    expect(again.id).toBe(first.id)
    const rec = await again.run({})
    expect(rec.status).toBe('ready')
    sameCache(reference, rec.dir)
  })
})
