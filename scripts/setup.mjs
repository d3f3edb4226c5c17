#!/usr/bin/env node
// Idempotent set-up for a fresh clone: npm dependencies, the engine's Python venv and, for the
// browser tests, Debian's Chromium and Slurm. Each step is skipped when a stamp shows its inputs unchanged,
// so a second run takes about a second.
//   node scripts/setup.mjs            npm + venv
//   node scripts/setup.mjs --test     + Chromium (Playwright end-to-end tests) and, as root, Slurm
//                                     (slurmctld, slurmd, munge, slurm-client: the Slurm executor's test)
//   node scripts/setup.mjs --bench    same as --test
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stampDir = join(root, '.setup-stamps')
const wantBrowser = process.argv.includes('--test') || process.argv.includes('--bench')
let aptUpdated = false

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`)
}

function run(cmd, args, opts = {}) {
  log(`${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts })
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(' ')} (exit ${r.status}). Fix the error above and run the command again.`)
    process.exit(r.status ?? 1)
  }
}

function hashOf(...files) {
  const h = createHash('sha256')
  for (const f of files) h.update(existsSync(f) ? readFileSync(f) : '')
  return h.digest('hex')
}

function upToDate(name, hash, mustExist) {
  const stamp = join(stampDir, name)
  return existsSync(mustExist) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash
}

function mark(name, hash) {
  mkdirSync(stampDir, { recursive: true })
  writeFileSync(join(stampDir, name), hash)
}

// 1. npm: Electron's binary cannot be fetched on headless build machines and is not needed to
// build the bundles or to test, so its download is skipped.
{
  const hash = hashOf(join(root, 'package-lock.json'))
  if (!upToDate('npm', hash, join(root, 'node_modules', '.package-lock.json'))) {
    run('npm', ['ci'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })
    mark('npm', hash)
  }
}

// 2. Python venv for the engine, pinned in engine/requirements.txt.
{
  const py = process.env.XLAB_PYTHON_BOOTSTRAP || 'python3'
  const venvPy = join(root, '.venv', 'bin', 'python')
  const hash = hashOf(join(root, 'engine', 'requirements.txt'))
  if (!upToDate('venv', hash, venvPy)) {
    if (!existsSync(venvPy)) run(py, ['-m', 'venv', join(root, '.venv')])
    run(venvPy, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', join(root, 'engine', 'requirements.txt')])
    mark('venv', hash)
  }
}

// 3. uv for the engine environment manager (src-core/environment), from the `uv` wheel on PyPI:
// fetched at set-up so environment set-ups need no extra download. Optional: without it the
// manager fetches uv itself, or falls back to python -m venv + pip.
{
  const uv = join(root, 'resources', 'uv', `${process.platform}-${process.arch}`, process.platform === 'win32' ? 'uv.exe' : 'uv')
  if (!existsSync(uv)) {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'fetch-uv.ts')], { stdio: 'inherit', cwd: root })
    if (r.status !== 0) log('uv could not be fetched; the engine environment manager will use python -m venv + pip instead')
  }
}

// 4. Chromium for Playwright: Debian's package (browser downloads by test tools are not possible here).
if (wantBrowser && !process.env.XLAB_CHROMIUM && !existsSync('/usr/bin/chromium')) {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const sudo = asRoot ? [] : ['sudo']
  const apt = (args) => (asRoot ? run('apt-get', args) : run('sudo', ['apt-get', ...args]))
  if (!asRoot && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    log('Chromium is missing and this user cannot install it. Install it with: sudo apt-get install -y chromium')
    process.exit(1)
  }
  void sudo
  apt(['update', '-qq'])
  aptUpdated = true
  apt(['install', '-y', '-qq', 'chromium'])
}

// 4. Slurm for the Slurm executor's integration test (a single-node cluster the test starts
// itself): Debian's packages, as root only. Where they cannot be installed, the test says so and
// skips; setup goes on.
const SLURM_BINARIES = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch']
if (process.argv.includes('--test') && process.platform === 'linux' && SLURM_BINARIES.some((b) => !existsSync(b))) {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!asRoot || !existsSync('/usr/bin/apt-get')) log('Slurm is not installed and cannot be installed here (needs root and apt-get): the Slurm integration test will be skipped.')
  else {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const ok = (args) => {
      log(`apt-get ${args.join(' ')}`)
      return spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0
    }
    // Debian's postinst scripts try to start the daemons; without systemd that fails harmlessly.
    if (!(aptUpdated || ok(['update', '-qq'])) || !ok(['install', '-y', '-qq', '--no-install-recommends', 'slurmctld', 'slurmd', 'munge', 'slurm-client'])) {
      log('installing Slurm failed (see above): the Slurm integration test will be skipped.')
    }
  }
}
log('ready')
