#!/usr/bin/env node
// The `xlab` command. In a source checkout (src-core/ present and the dev dependency tsx installed)
// it runs the TypeScript directly, so a change needs no build; an installed package (npm pack /
// npm install) runs the built JavaScript in out/cli/ (scripts/build-cli.mjs), with no TypeScript
// loader at run time. XLAB_CLI_BUILT=1 forces the built CLI in a checkout.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'src-core', 'cli', 'main.ts')
const built = join(root, 'out', 'cli', 'main.js')

function tsxAvailable() {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api')
    return true
  } catch {
    return false
  }
}

if (process.env.XLAB_CLI_BUILT !== '1' && existsSync(source) && tsxAvailable()) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(source).href)
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href)
} else {
  process.stderr.write(`xlab: ${built} is missing. In a checkout run \`npm run build\` (or install the dev dependencies); an installed package ships it.\n`)
  process.exit(1)
}
