// Kill the lab service (the `xlab study run` process) in the middle of a study and start it again:
// the study completes, every run exists once, the interrupted run resumed from its checkpoint, and
// its metrics are recorded once. A stand-in worker keeps this fast; worker-process.test.ts covers
// resume with the real engine.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-core/store/db.ts'
import * as store from '../../../src-core/store/runs.ts'
import { dataRootWith, FAKE_ENGINE, REPO, tinyConfig } from './helpers.ts'

const env = { ...process.env, XLAB_ENGINE_PATH: FAKE_ENGINE, XLAB_WORKER_MODULE: 'xlab_fake.worker', XLAB_FAKE_STEP_S: '0.15', XLAB_FAKE_STEPS: '8' }
const xlab = join(REPO, 'bin', 'xlab.mjs')

describe('crash safety', () => {
  it('finishes a study after the lab service was SIGKILLed mid-run, each run once', async () => {
    const root = dataRootWith(['tiny-pre', 'tiny-chest'])
    const cfgFile = join(root, 'study.json')
    writeFileSync(cfgFile, JSON.stringify(tinyConfig()))
    const child = spawn(process.execPath, [xlab, 'study', 'run', 'crash', '--config', cfgFile, '--plain', '--data', root], { env, stdio: 'ignore' })
    const childExit = new Promise((r) => child.on('exit', r))

    // Wait until one run is done and the next has written a checkpoint, then kill the service.
    // Kill between steps, once the lab has stored what the worker checkpointed: a report still in
    // the pipe at the instant the lab dies is lost (the resumed worker starts after its checkpoint),
    // and that is not what this test is about. So the worker is frozen (SIGSTOP) first, the lab
    // given time to read what it wrote, and the kill happens only if that left the run settled.
    const settled = (r: store.RunRecord) => {
      const db = openDatabase(join(root, 'lab.sqlite'))
      try {
        const last = join(r.runDir, 'last.pth')
        if (!existsSync(last)) return false
        const step = Number(readFileSync(last, 'utf8'))
        return step > 0 && step < 8 && store.runMetrics(db, r.id).some((m) => m.split === 'train' && m.step === step)
      } finally {
        db.close()
      }
    }
    const signal = (pid: number, sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig)
      } catch {
        // already gone
      }
    }
    let victim: store.RunRecord | undefined
    let frozen = 0
    const deadline = Date.now() + 120_000
    while (!victim) {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((r) => setTimeout(r, 100))
      if (!existsSync(join(root, 'lab.sqlite'))) continue
      const db = openDatabase(join(root, 'lab.sqlite'))
      let candidate: store.RunRecord | undefined
      try {
        const runs = store.listRuns(db)
        if (runs.some((r) => r.state === 'done')) candidate = runs.find((r) => r.state === 'running' && existsSync(join(r.runDir, 'last.pth')) && existsSync(join(r.runDir, 'worker.pid')))
      } finally {
        db.close()
      }
      if (!candidate) continue
      const pid = Number(readFileSync(join(candidate.runDir, 'worker.pid'), 'utf8'))
      signal(pid, 'SIGSTOP')
      await new Promise((r) => setTimeout(r, 500))
      if (settled(candidate)) {
        victim = candidate
        frozen = pid
      } else signal(pid, 'SIGCONT')
    }
    child.kill('SIGKILL')
    await childExit
    // Thawed, the orphaned worker dies on its next write to the dead lab's pipe (or is killed by the next lab).
    signal(frozen, 'SIGCONT')

    const again = spawnSync(process.execPath, [xlab, 'study', 'run', 'crash', '--plain', '--data', root], { env, encoding: 'utf8', timeout: 180_000 })
    expect(again.status, again.stderr).toBe(0)

    const db = openDatabase(join(root, 'lab.sqlite'))
    const runs = store.listRuns(db)
    expect(runs).toHaveLength(4)
    expect(new Set(runs.map((r) => r.id)).size).toBe(4)
    expect(runs.every((r) => r.state === 'done')).toBe(true)
    expect(store.getStudy(db, 'crash')!.state).toBe('done')
    for (const r of runs) {
      const starts = readFileSync(join(r.runDir, 'starts.txt'), 'utf8').trim().split('\n')
      expect(starts, r.name).toHaveLength(r.id === victim.id ? 2 : 1)
      // One train loss per step, no duplicates from the resumed attempt.
      const losses = store.runMetrics(db, r.id).filter((m) => m.split === 'train' && m.name === 'loss')
      expect(losses.map((m) => m.step), `${r.name} (victim ${victim.name}): ${readFileSync(join(r.runDir, 'worker.log'), 'utf8')}`).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    }
    // The lab was killed, not the run: the restart does not use up one of its attempts.
    expect(store.getRun(db, victim.id)!.attempts).toBe(1)
    expect(readFileSync(join(victim.runDir, 'worker.log'), 'utf8')).toMatch(/resuming from step [1-7]/)
    db.close()
  })
})
