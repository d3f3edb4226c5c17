#!/usr/bin/env node
// `npm run bench`: runs every benchmark part, each of which measures a candidate against a
// reference in the same run and writes a list of {name, value, unit, reference, ratio} to its own
// file; this script merges them into bench-results.json and prints one table. The engine part
// measures in interleaved rounds and reports the median ratio with its spread (engine/xlab/bench.py).
// XLAB_BENCH_ONLY=engine,import limits the parts (engine, import, runs-table, analysis); XLAB_BENCH_ENGINE_ARGS adds options to the engine part
// (e.g. "--size 32 --batch 32 --rounds 5" on a loaded machine; `python -m xlab.bench --help`).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'test-output', 'bench')
mkdirSync(outDir, { recursive: true })

/** Benchmark parts: name -> command producing `--out <file>`. */
const parts = [
  ['engine', 'node', ['scripts/py.mjs', '-m', 'xlab.bench', ...(process.env.XLAB_BENCH_ENGINE_ARGS?.split(/\s+/).filter(Boolean) ?? [])]],
  ['import', 'node', ['--import', 'tsx', 'scripts/bench-import.ts']],
  ['runs-table', 'node', ['--import', 'tsx', 'scripts/bench-runs-table.ts']],
  ['analysis', 'node', ['--import', 'tsx', 'scripts/bench-analysis.ts']],
]
const only = process.env.XLAB_BENCH_ONLY?.split(',')
const all = []
let failed = 0
for (const [name, cmd, args] of parts) {
  if (only && !only.includes(name)) continue
  const out = join(outDir, `${name}.json`)
  process.stderr.write(`\n=== bench: ${name} ===\n`)
  const r = spawnSync(cmd, [...args, '--out', out], { stdio: 'inherit', cwd: root })
  if (r.status !== 0 || !existsSync(out)) {
    failed++
    process.stderr.write(`bench part ${name} failed (exit ${r.status})\n`)
    continue
  }
  for (const e of JSON.parse(readFileSync(out, 'utf8'))) all.push({ part: name, ...e })
}
writeFileSync(join(root, 'bench-results.json'), JSON.stringify(all, null, 2) + '\n')
const fmt = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v ?? ''))
// `spread`: how far the per-round ratios of a part that measures in rounds lie around its median ratio
console.log(`\n${'name'.padEnd(64)} ${'value'.padStart(10)} ${'unit'.padEnd(10)} ${'reference'.padStart(10)} ${'ratio'.padStart(7)}  spread`)
for (const e of all) console.log(`${e.name.padEnd(64)} ${fmt(e.value).padStart(10)} ${String(e.unit).padEnd(10)} ${fmt(e.reference).padStart(10)} ${fmt(e.ratio).padStart(7)}  ${e.spread ?? ''}`)
console.log(`\nwrote ${join(root, 'bench-results.json')}`)
process.exit(failed ? 1 : 0)
