// Kill test: a run folder becomes unwritable in the middle of a study run by a live `xlab serve`.
// The run fails with the folder's path in its reason, the other runs of the study finish, the
// service keeps answering, and it stops and starts again cleanly on the same data root (the failed
// run stays failed, its attempts within bounds; retried once the folder is fixed, it finishes).
// As root, permissions do not stop writes, so the folder is swapped for a link into sysfs, which
// refuses new files to everyone (EACCES).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-core/store/db.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, REPO, tinyConfig } from './helpers.ts'

const TOKEN = 'kill-test-token-0123456789'
const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker', XLAB_FAKE_STEP_S: '0.2', XLAB_FAKE_STEPS: '10', XLAB_CPU_SLOTS: '2' }

interface Served {
  child: ChildProcess
  port: number
  exited: () => boolean
  call<T>(method: string, input?: unknown): Promise<T>
  stop(): Promise<number | null>
}

async function serve(root: string): Promise<Served> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'xlab.mjs'), '--data', root, 'serve', '--port', '0', '--token', TOKEN], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let dead = false
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => ((dead = true), r(code))))
  child.stderr!.on('data', (d: Buffer) => (out += String(d)))
  const port = await new Promise<number>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d)
      const m = /Open http:\/\/[^:]+:(\d+)\//.exec(out)
      if (m) ok(Number(m[1]))
    })
    void exit.then(() => fail(new Error(`xlab serve exited:\n${out}`)))
  })
  return {
    child,
    port,
    exited: () => dead,
    async call<T>(method: string, input: unknown = {}) {
      const res = await fetch(`http://127.0.0.1:${port}/api/${method}`, { method: 'POST', body: JSON.stringify(input), headers: { authorization: `Bearer ${TOKEN}` } })
      const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } }
      if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
      return body.result
    },
    async stop() {
      child.kill('SIGTERM')
      return exit
    },
  }
}

interface RunRow {
  id: string
  name: string
  protocol: string | null
  stage: string
  state: string
  reason: string | null
  attempts: number
  runDir: string
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('a run folder that becomes unwritable mid-study', () => {
  it('fails that run with its path, finishes the others, and the service stays up and restarts cleanly', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    let lab = await serve(root)
    const study = await lab.call<{ id: string }>('studies.create', { name: 'kill', config: tinyConfig({ device: { policy: 'cpu', cpuSlots: 2, threadsPerJob: 1, maxAttempts: 2 } }) })
    await lab.call('studies.start', { id: study.id })

    // The scratch run has no dependents: breaking it must leave pretext -> extract -> linear alone.
    const victim = await until('the scratch run to be running', async () => {
      const runs = await lab.call<RunRow[]>('runs.list', { studyId: study.id })
      return runs.find((r) => r.protocol === 'scratch' && r.state === 'running')
    })
    const moved = `${victim.runDir}.moved`
    renameSync(victim.runDir, moved)
    symlinkSync('/sys/kernel', victim.runDir)

    const settled = await until('the study to settle', async () => {
      const s = await lab.call<{ state: string }>('studies.get', { id: study.id })
      return s.state === 'running' ? undefined : s
    }, 180_000)
    expect(lab.exited()).toBe(false)
    expect(settled.state).toBe('failed')
    const runs = await lab.call<RunRow[]>('runs.list', { studyId: study.id })
    const failed = runs.find((r) => r.id === victim.id)!
    expect(failed.state).toBe('failed')
    expect(failed.reason).toContain(victim.runDir)
    expect(failed.attempts).toBeLessThanOrEqual(2)
    for (const r of runs.filter((r) => r.id !== victim.id)) expect(`${r.name}: ${r.state}`).toBe(`${r.name}: done`)

    // Stop and start again on the same data root: it comes up, and nothing changes state by itself.
    expect(await lab.stop()).toBe(0)
    lab = await serve(root)
    try {
      const again = await lab.call<RunRow[]>('runs.list', { studyId: study.id })
      expect(again.find((r) => r.id === victim.id)).toMatchObject({ state: 'failed', attempts: failed.attempts })
      // Fixed by the user, the run is retried and finishes.
      rmSync(victim.runDir)
      renameSync(moved, victim.runDir)
      writeFileSync(join(victim.runDir, 'note.txt'), 'fixed')
      await lab.call('runs.retry', { id: victim.id })
      const done = await until('the retried run to finish', async () => {
        const r = await lab.call<RunRow>('runs.get', { id: victim.id })
        return r.state === 'running' || r.state === 'queued' ? undefined : r
      })
      expect(done.state).toBe('done')
    } finally {
      expect(await lab.stop()).toBe(0)
    }
  }, 400_000)

  it('xlab study run fails that run with its path and ends the study instead of dying', () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const cfgFile = join(root, 'study.json')
    writeFileSync(cfgFile, JSON.stringify(tinyConfig()))
    const xlab = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin', 'xlab.mjs'), ...args, '--data', root], { env, encoding: 'utf8', timeout: 180_000 })
    expect(xlab('study', 'create', 'cli', '--config', cfgFile).status).toBe(0)
    const db = openDatabase(join(root, 'lab.sqlite'))
    const scratch = store.listRuns(db).find((r) => r.protocol === 'scratch')!
    db.close()
    mkdirSync(dirname(scratch.runDir), { recursive: true })
    symlinkSync('/sys/kernel', scratch.runDir)
    const r = xlab('study', 'run', 'cli', '--plain')
    expect(r.stderr).not.toMatch(/TypeError|database connection is not open/)
    expect(r.stdout).toMatch(/study cli: failed/)
    const after = openDatabase(join(root, 'lab.sqlite'))
    const runs = store.listRuns(after)
    after.close()
    expect(runs.find((x) => x.id === scratch.id)).toMatchObject({ state: 'failed', attempts: 1 })
    expect(runs.find((x) => x.id === scratch.id)!.reason).toContain(scratch.runDir)
    expect(runs.filter((x) => x.id !== scratch.id).every((x) => x.state === 'done')).toBe(true)
  }, 200_000)
})
