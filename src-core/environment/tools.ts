// The installers the manager drives: uv (preferred: fast, and it can fetch a Python of its own)
// and, where uv cannot be had, a system Python's venv + pip. uv comes from, in order: XLAB_UV, the
// binary bundled with the app, one fetched earlier into the environment's tools/ folder, `uv` on
// the PATH, and finally the `uv` wheel from PyPI (`pip download uv`: the wheel ships the binary).
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { uvFileName } from './resources.ts'

/** The uv release fetched from PyPI when none is bundled (scripts/fetch-uv.ts bundles the same). */
export const UV_VERSION = '0.13.9'

/** The oldest Python the locked requirements install on (numpy 2.4 and scipy 1.17 need 3.11). */
export const MIN_PYTHON: [number, number] = [3, 11]

/** A found uv binary. */
export interface UvTool {
  /** Path of the binary. */
  path: string
  /** `uv --version` output, e.g. `uv 0.13.9`. */
  version: string
  /** Where it came from. */
  source: 'XLAB_UV' | 'bundled' | 'fetched' | 'PATH'
}

/** A Python that can make a venv. */
export interface BootstrapPython {
  /** Command or path. */
  path: string
  /** `3.11.7`. */
  version: string
}

function versionOf(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 })
  return r.status === 0 ? (r.stdout || r.stderr).trim() : null
}

/** Looks for uv without downloading anything. */
export function findUv(opts: { bundled: string | null; toolsDir: string }): UvTool | null {
  const candidates: [string | undefined | null, UvTool['source']][] = [
    [process.env.XLAB_UV, 'XLAB_UV'],
    [opts.bundled, 'bundled'],
    [join(opts.toolsDir, uvFileName(process.platform)), 'fetched'],
    ['uv', 'PATH'],
  ]
  for (const [path, source] of candidates) {
    if (!path || (source !== 'PATH' && !existsSync(path))) continue
    const version = versionOf(path, ['--version'])
    if (version) return { path, version, source }
  }
  return null
}

/** A system Python >= 3.11 with the venv module: XLAB_PYTHON_BOOTSTRAP, then the usual names. */
export function findBootstrapPython(): BootstrapPython | null {
  const names = process.env.XLAB_PYTHON_BOOTSTRAP ? [process.env.XLAB_PYTHON_BOOTSTRAP] : process.platform === 'win32' ? ['python', 'py'] : ['python3.12', 'python3.11', 'python3.13', 'python3', 'python']
  const probe = 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3])'
  for (const name of names) {
    const v = versionOf(name, ['-c', probe])
    if (!v) continue
    const [major, minor] = v.split('.').map(Number)
    if (major! > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor! >= MIN_PYTHON[1])) return { path: name, version: v }
  }
  return null
}

/**
 * Fetches the uv wheel from PyPI with a bootstrap Python's pip and unpacks its binary into
 * `toolsDir`. `platformTag` fetches another platform's wheel (packaging); null on failure, with why.
 */
export function fetchUvWheel(python: string, toolsDir: string, opts: { platformTag?: string; fileName?: string } = {}): { path: string } | { error: string } {
  mkdirSync(toolsDir, { recursive: true })
  const tmp = mkdtempSync(join(toolsDir, 'fetch-'))
  try {
    const args = ['-m', 'pip', 'download', `uv==${UV_VERSION}`, '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-q', '-d', tmp]
    if (opts.platformTag) args.push('--platform', opts.platformTag)
    const dl = spawnSync(python, args, { encoding: 'utf8', timeout: 300_000 })
    if (dl.status !== 0) return { error: `pip download uv failed: ${(dl.stderr || dl.stdout).trim().split('\n').at(-1) ?? `exit ${dl.status}`}` }
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'))
    if (!wheel) return { error: 'pip download uv produced no wheel' }
    const name = opts.fileName ?? uvFileName(process.platform)
    // The binary sits at uv-<version>.data/scripts/uv[.exe] inside the wheel (a zip file).
    const unzip = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
m = [n for n in z.namelist() if n.endswith("/scripts/" + sys.argv[2])]
open(sys.argv[3], "wb").write(z.read(m[0]))`
    const out = join(tmp, name)
    const ux = spawnSync(python, ['-c', unzip, join(tmp, wheel), name, out], { encoding: 'utf8' })
    if (ux.status !== 0) return { error: `could not unpack ${wheel}: ${ux.stderr.trim().split('\n').at(-1)}` }
    chmodSync(out, 0o755)
    const dest = join(toolsDir, name)
    renameSync(out, dest)
    return { path: dest }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * Environment for uv that carries the user's pip configuration over (mirror, extra indexes, a
 * local wheel folder), so an environment that pip could build, uv builds too. Variables the user
 * set for uv win. pip merges candidates from all its indexes, which is uv's `unsafe-best-match`.
 */
export function uvEnvFromPip(env: NodeJS.ProcessEnv, pipConfig: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  const pick = (envName: string, key: string) => env[envName] ?? pipConfig[`global.${key}`] ?? pipConfig[`install.${key}`]
  const index = pick('PIP_INDEX_URL', 'index-url')
  const extra = pick('PIP_EXTRA_INDEX_URL', 'extra-index-url')
  const links = pick('PIP_FIND_LINKS', 'find-links')
  if (index && !env.UV_INDEX_URL && !env.UV_DEFAULT_INDEX) out.UV_INDEX_URL = index
  if (extra && !env.UV_EXTRA_INDEX_URL && !env.UV_INDEX) out.UV_EXTRA_INDEX_URL = extra
  if (links && !env.UV_FIND_LINKS) out.UV_FIND_LINKS = links.split(/\s+/).join(',')
  if ((out.UV_EXTRA_INDEX_URL || out.UV_FIND_LINKS) && !env.UV_INDEX_STRATEGY) out.UV_INDEX_STRATEGY = 'unsafe-best-match'
  return out
}

/** `pip config list` (`global.find-links='/opt/wheels'` lines) as key -> value; empty when pip is absent. */
export function parsePipConfigList(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([\w-]+\.[\w-]+)='(.*)'$/.exec(line.trim())
    if (m) out[m[1]!] = m[2]!
  }
  return out
}

/** The user's pip configuration, read through a bootstrap Python (empty without one). */
export function readPipConfig(python: string | null): Record<string, string> {
  if (!python) return {}
  const r = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', timeout: 30_000 })
  return r.status === 0 ? parsePipConfigList(r.stdout) : {}
}
