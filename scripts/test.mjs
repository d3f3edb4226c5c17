#!/usr/bin/env node
// Runs every test suite and prints one summary. Each suite runs even if another one failed, so one
// run shows every failure; the exit code is non-zero if any failed.
//
// Two lanes run side by side: typecheck, lint, build and vitest in order in this terminal; pytest,
// then e2e (once the build is there), beside them. Every engine job of both test suites trains
// with one thread (OMP 1, threads 1) and vitest runs one file at a time on a 2-core machine, so
// one lane alone keeps about one core busy (a clean-clone serial `npm test`: 26.5 min user +
// 4 min sys in 31.5 min wall); two lanes fill both cores. The lanes share nothing but the build
// (e2e serves out/renderer; vitest's npm-package test rebuilds out/cli only, which a checkout's
// `xlab` does not run), every server listens on port 0 and every temp folder is a fresh one. The
// side lane's output goes to test-output/<suite>.log while it runs and is printed here as one
// block when each suite ends. XLAB_TEST_SERIAL=1 (or a 1-core machine) runs everything in order
// in this terminal, as before.
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** [name, command, args, lane, after]: each lane runs its steps in order, the lanes side by side;
 *  a step waits for the step named `after` (in the other lane) to have ended. Serial: this order. */
const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck'], 'main'],
  ['lint', 'npm', ['run', '-s', 'lint'], 'main'],
  ['build', 'npm', ['run', '-s', 'build'], 'main'],
  ['vitest', 'npx', ['vitest', 'run'], 'main'],
  ['pytest', 'node', ['scripts/py.mjs', '-m', 'pytest', '-q', '--durations=25', '-p', 'no:cacheprovider', '-o', 'tmp_path_retention_policy=failed', 'tests/engine'], 'side'],
  ['e2e', 'node', ['tests/e2e/run.mjs'], 'side', 'build'],
]
const only = process.env.XLAB_TEST_ONLY?.split(',')
const serial = process.env.XLAB_TEST_SERIAL === '1' || availableParallelism() < 2
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }
const chosen = steps.filter(([name]) => !only || only.includes(name))
const t00 = Date.now()
const children = new Set()

/** Runs one step; `logFile` set: its output goes there and is printed as one block at the end. */
function run(name, cmd, args, logFile) {
  const t0 = Date.now()
  if (!logFile) process.stderr.write(`\n=== ${name} ===\n`)
  else process.stderr.write(`\n=== ${name} (started beside the other suites; output: ${logFile}) ===\n`)
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: root, env })
    children.add(child)
    let text = ''
    if (logFile) {
      const file = createWriteStream(logFile)
      const take = (chunk) => {
        text += chunk
        file.write(chunk)
      }
      child.stdout.setEncoding('utf8').on('data', take)
      child.stderr.setEncoding('utf8').on('data', take)
      child.on('close', () => file.end())
    }
    let settled = false
    const done = (ok) => {
      if (settled) return
      settled = true
      children.delete(child)
      const s = (Date.now() - t0) / 1000
      if (logFile) process.stderr.write(`\n=== ${name} (ran beside the other suites, ${s.toFixed(1)} s) ===\n${text}`)
      resolve({ name, ok, s })
    }
    child.on('error', (e) => {
      text += `${cmd} could not start: ${e.message}\n`
      done(false)
    })
    child.on('close', (code) => done(code === 0))
  })
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill(sig)
    process.exit(130)
  })
}

/** Each chosen step's end, so that a step can wait for one of the other lane (set up front: the
 *  awaited step may not have started yet). */
const ended = new Map(chosen.map(([name]) => {
  let resolve
  const promise = new Promise((r) => (resolve = r))
  return [name, { promise, resolve }]
}))
const runLane = async (lane) => {
  const out = []
  for (const [name, cmd, args, , after] of chosen.filter((s) => serial || s[3] === lane)) {
    if (after && ended.has(after)) await ended.get(after).promise
    const r = await run(name, cmd, args, serial || lane === 'main' ? undefined : join(root, 'test-output', `${name}.log`))
    ended.get(name).resolve(r)
    out.push(r)
  }
  return out
}
if (!serial) mkdirSync(join(root, 'test-output'), { recursive: true })
const results = (await Promise.all(serial ? [runLane('main')] : [runLane('main'), runLane('side')])).flat()
results.sort((a, b) => chosen.findIndex((s) => s[0] === a.name) - chosen.findIndex((s) => s[0] === b.name))

process.stderr.write(`\n=== summary${serial ? '' : ' (pytest and e2e ran beside the other suites)'} ===\n`)
for (const r of results) process.stderr.write(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(10)} ${r.s.toFixed(1)} s\n`)
process.stderr.write(`wall       ${((Date.now() - t00) / 1000).toFixed(1)} s\n`)
const failed = results.filter((r) => !r.ok).length
console.log(`suites: ${results.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
