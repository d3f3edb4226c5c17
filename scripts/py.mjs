#!/usr/bin/env node
// Runs the engine's Python (the project venv) with the engine package importable.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const python = join(root, '.venv', 'bin', 'python')
const env = { ...process.env, PYTHONPATH: [join(root, 'engine'), process.env.PYTHONPATH].filter(Boolean).join(':') }
const r = spawnSync(python, process.argv.slice(2), { stdio: 'inherit', cwd: root, env })
process.exit(r.status ?? 1)
