#!/usr/bin/env node
// Runs every test suite in order and prints one summary. Each suite runs even if an earlier one
// failed, so one run shows every failure; the exit code is non-zero if any failed.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['build', 'npm', ['run', '-s', 'build']],
  ['vitest', 'npx', ['vitest', 'run']],
  ['pytest', 'node', ['scripts/py.mjs', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-o', 'tmp_path_retention_policy=failed', 'tests/engine']],
  ['e2e', 'node', ['tests/e2e/run.mjs']],
]
const only = process.env.XLAB_TEST_ONLY?.split(',')
const results = []
for (const [name, cmd, args] of steps) {
  if (only && !only.includes(name)) continue
  const t0 = Date.now()
  process.stderr.write(`\n=== ${name} ===\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })
  results.push({ name, ok: r.status === 0, s: (Date.now() - t0) / 1000 })
}
process.stderr.write('\n=== summary ===\n')
for (const r of results) process.stderr.write(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(10)} ${r.s.toFixed(1)} s\n`)
const failed = results.filter((r) => !r.ok).length
console.log(`suites: ${results.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
