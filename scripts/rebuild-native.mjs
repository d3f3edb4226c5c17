#!/usr/bin/env node
// Rebuilds better-sqlite3 for Electron's ABI before packaging (`npm run dist`), with
// @electron/rebuild; `--node` puts it back for Node (the CLI, `xlab serve` and the tests need
// Node's ABI). electron-builder's own rebuild is off (electron-builder.json: npmRebuild false) so
// this one step is the only place that decides.
//   node scripts/rebuild-native.mjs          for Electron (version from node_modules/electron)
//   node scripts/rebuild-native.mjs --node   back to Node's ABI
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const modules = ['better-sqlite3']

if (process.argv.includes('--node')) {
  const r = spawnSync('npm', ['rebuild', ...modules], { cwd: root, stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
const { rebuild } = await import('@electron/rebuild')
process.stderr.write(`[rebuild-native] ${modules.join(', ')} for Electron ${electronVersion}\n`)
await rebuild({ buildPath: root, electronVersion, onlyModules: modules, force: true })
process.stderr.write('[rebuild-native] done; run `node scripts/rebuild-native.mjs --node` before using the CLI or tests again\n')
