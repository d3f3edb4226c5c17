// The engine environment manager: finds or creates the engine's Python environment in the
// per-user data folder, installs the locked PyTorch build chosen for this machine's accelerator,
// verifies it, and repairs it. Idempotent: a second set-up with the same lock only re-verifies.
// A repair or update moves the old venv aside and puts it back if the new one cannot be built,
// so a failed attempt (offline, say) loses nothing. Datasets and runs live in the data root,
// which this module never writes to.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { takePidLock } from '../util/pid-lock.ts'
import { detectAccelerator, type Accelerator } from './accelerator.ts'
import { chooseBuild, type BuildChoice } from './build-choice.ts'
import { environmentDir, environmentLayout } from './locations.ts'
import { InstallOutputParser, type SetupProgress } from './progress.ts'
import { labResources, type LabResources } from './resources.ts'
import { fetchUvWheel, findBootstrapPython, findUv, readPipConfig, uvEnvFromPip, type BootstrapPython, type UvTool } from './tools.ts'
import { verifyEnvironment, writeVerification, type Verification } from './verify.ts'

/** Why a set-up failed; `message` says what to do. */
export class EnvironmentError extends Error {
  constructor(
    /** OFFLINE, NO_PYTHON, NO_BUILD, INSTALL_FAILED, BUSY or CANCELLED. */
    readonly code: 'OFFLINE' | 'NO_PYTHON' | 'NO_BUILD' | 'INSTALL_FAILED' | 'BUSY' | 'CANCELLED',
    message: string,
  ) {
    super(message)
    this.name = 'EnvironmentError'
  }
}

/** What was installed, from which lock, with which tool (state.json). */
export interface EnvironmentState {
  /** Format version of this file. */
  version: 1
  /** Lock file name, e.g. `linux-x64-cu128.txt`. */
  lock: string
  /** sha256 of the requirement file installed (lock plus index line): a change means update. */
  requirementsSha256: string
  /** cpu / cuXYZ / rocmX.Y / mps. */
  variant: string
  /** The installer used. */
  tool: 'uv' | 'pip'
  /** Its version line. */
  toolVersion: string
  /** The venv's interpreter. */
  python: string
  /** When the install finished. */
  installedAt: string
}

/** Options of setupEnvironment; everything defaults to this machine. */
export interface SetupOptions {
  /** The environment folder (default: XLAB_ENV_DIR or `<user data>/engine-env`). */
  envDir?: string
  /** Data root whose free space the verification reports. */
  dataRoot: string
  /** Shipped files (engine, locks, bundled uv). */
  resources?: LabResources
  /** Skip detection (tests, `--cpu`). */
  accelerator?: Accelerator
  /** process.platform for the lock choice. */
  platform?: string
  /** process.arch for the lock choice. */
  arch?: string
  /** `auto` (uv when it can be had, else pip), `uv` or `pip`; XLAB_ENV_TOOL sets the default. */
  tool?: 'auto' | 'uv' | 'pip'
  /** Rebuild even if the environment looks healthy. */
  repair?: boolean
  /** Fetch uv from PyPI when none is bundled or on the PATH (default true). */
  fetchUv?: boolean
  /** Progress reports. */
  onProgress?: (p: SetupProgress) => void
  /** Cancels the running installer. */
  signal?: AbortSignal
}

/** What a set-up did. */
export interface SetupResult {
  /** created, updated (lock changed), repaired, or up-to-date (only verified). */
  action: 'created' | 'updated' | 'repaired' | 'up-to-date'
  /** The environment folder. */
  envDir: string
  /** Its Python. */
  python: string
  /** Detected accelerator. */
  accelerator: Accelerator
  /** The build chosen for it. */
  choice: BuildChoice
  /** The install record. */
  state: EnvironmentState
  /** The verification that followed. */
  verification: Verification
}

/** The stored state, or null when there is no finished install. */
export function readState(envDir: string): EnvironmentState | null {
  try {
    const s = JSON.parse(readFileSync(environmentLayout(envDir).state, 'utf8')) as EnvironmentState
    return s.version === 1 ? s : null
  } catch {
    return null
  }
}

/** The requirement file for a choice: the lock, with its PyTorch index unless XLAB_TORCH_INDEX_URL overrides it. */
export function requirementsFor(choice: BuildChoice, locksDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const lockPath = join(locksDir, choice.file)
  if (!existsSync(lockPath)) throw new EnvironmentError('NO_BUILD', `The locked requirement file ${lockPath} is missing: the lab's installation is incomplete. Reinstall it.`)
  const lock = readFileSync(lockPath, 'utf8')
  const index = env.XLAB_TORCH_INDEX_URL !== undefined ? env.XLAB_TORCH_INDEX_URL : choice.lock.torchIndex
  const header = `# ${choice.file}: ${choice.reason}\n`
  return index ? `${header}--extra-index-url ${index}\n${lock}` : `${header}${lock}`
}

const NETWORK_ERROR = /Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|NewConnectionError|ConnectTimeout|Network is unreachable|No route to host|Connection refused|Could not resolve host|dns error|failed to lookup address|tcp connect error|error sending request|Failed to fetch|Could not fetch URL|nodename nor servname/i

/** True when installer output shows the index could not be reached. */
export function looksOffline(output: string): boolean {
  return NETWORK_ERROR.test(output)
}

/** The message for an offline failure. */
export function offlineMessage(detail: string): string {
  return `The engine environment cannot be set up offline: the package index could not be reached (${detail}) and the packages are not in the local cache. Connect this machine to the network (or point PIP_FIND_LINKS / UV_FIND_LINKS at a folder holding the wheels, or set XLAB_PYTHON to a Python that has torch>=2.4), then run \`xlab doctor\` again. Nothing was changed.`
}

interface Installer {
  tool: 'uv' | 'pip'
  version: string
  createVenv(venv: string): string[][]
  install(python: string, requirements: string, offline: boolean): string[]
  env: Record<string, string>
}

function uvInstaller(uv: UvTool, bootstrap: BootstrapPython | null, pipConfig: Record<string, string>): Installer {
  return {
    tool: 'uv',
    version: uv.version,
    // A system Python of the right version avoids a download; else uv fetches its own CPython build.
    createVenv: (venv) => [bootstrap ? [uv.path, 'venv', venv, '--python', bootstrap.path] : [uv.path, 'venv', venv, '--python', '3.12', '--python-preference', 'only-managed']],
    // Bytecode is compiled at install time (pip does so too): every worker's first `import torch`
    // would otherwise compile thousands of modules, or all of them every time where
    // PYTHONDONTWRITEBYTECODE is set.
    install: (python, req, offline) => [uv.path, 'pip', 'install', '--compile-bytecode', '--python', python, '-r', req, ...(offline ? ['--offline'] : [])],
    env: { NO_COLOR: '1', ...uvEnvFromPip(process.env, pipConfig) },
  }
}

function pipInstaller(bootstrap: BootstrapPython): Installer {
  return {
    tool: 'pip',
    version: `pip (Python ${bootstrap.version} at ${bootstrap.path})`,
    createVenv: (venv) => [[bootstrap.path, '-m', 'venv', venv]],
    install: (python, req) => [python, '-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-r', req],
    env: {},
  }
}

/** Runs one command, streaming its lines to the log and the parser; resolves with exit code and output. */
function runLogged(argv: string[], env: Record<string, string>, log: WriteStream, onLine: (l: string) => void, signal?: AbortSignal): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    log.write(`$ ${argv.join(' ')}\n`)
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    const take = (l: string) => {
      lines.push(l)
      if (lines.length > 400) lines.shift()
      log.write(`${l}\n`)
      onLine(l)
    }
    createInterface({ input: child.stdout }).on('line', take)
    createInterface({ input: child.stderr }).on('line', take)
    const abort = () => child.kill('SIGTERM')
    signal?.addEventListener('abort', abort, { once: true })
    child.on('error', (e) => take(`${argv[0]}: ${e.message}`))
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort)
      resolve({ code, output: lines.join('\n') })
    })
  })
}

function chooseInstaller(opts: SetupOptions, resources: LabResources, envDir: string, progress: (p: SetupProgress) => void): Installer {
  const want = opts.tool ?? ((process.env.XLAB_ENV_TOOL as SetupOptions['tool']) || 'auto')
  const bootstrap = findBootstrapPython()
  const tools = environmentLayout(envDir).tools
  if (want !== 'pip') {
    let uv = findUv({ bundled: resources.uvBinary, toolsDir: tools })
    if (!uv && bootstrap && opts.fetchUv !== false) {
      progress({ phase: 'python', message: 'fetching uv from PyPI' })
      const got = fetchUvWheel(bootstrap.path, tools)
      if ('path' in got) uv = findUv({ bundled: null, toolsDir: tools })
      else progress({ phase: 'python', message: `uv is not available (${got.error}); using python -m venv and pip` })
    }
    if (uv) return uvInstaller(uv, bootstrap, readPipConfig(bootstrap?.path ?? null))
    if (want === 'uv') throw new EnvironmentError('NO_PYTHON', 'uv was asked for (XLAB_ENV_TOOL=uv) but none was found. Install uv or set XLAB_UV to its path.')
  }
  if (!bootstrap) throw new EnvironmentError('NO_PYTHON', 'No Python 3.11 or newer with the venv module was found, and uv is not available to fetch one. Install Python 3.11+ (on Debian/Ubuntu also python3-venv), or set XLAB_PYTHON_BOOTSTRAP to its path, then run `xlab doctor` again.')
  return pipInstaller(bootstrap)
}

/** Finds or creates the managed environment, installs the chosen build, and verifies it. */
export async function setupEnvironment(opts: SetupOptions): Promise<SetupResult> {
  const envDir = opts.envDir ?? environmentDir()
  const paths = environmentLayout(envDir)
  const resources = opts.resources ?? labResources()
  const progress = (p: SetupProgress) => opts.onProgress?.(p)
  mkdirSync(envDir, { recursive: true })
  const release = takePidLock(paths.lock, (owner) => new EnvironmentError('BUSY', `Another lab process (pid ${owner}) is setting up the engine environment in ${envDir}. Wait for it to finish, then try again.`))
  try {
    progress({ phase: 'detect', message: 'detecting the accelerator' })
    const accelerator = opts.accelerator ?? detectAccelerator()
    let choice: BuildChoice
    try {
      choice = chooseBuild(accelerator, opts.platform ?? process.platform, opts.arch ?? process.arch)
    } catch (e) {
      throw new EnvironmentError('NO_BUILD', (e as Error).message)
    }
    progress({ phase: 'detect', message: choice.reason })
    const requirements = requirementsFor(choice, resources.locksDir)
    const sha = createHash('sha256').update(requirements).digest('hex')
    const state = readState(envDir)
    // Installed from this very requirement file: only verify (a failed check is reported, not
    // rebuilt behind the user's back; `repair` rebuilds).
    const installed = state !== null && existsSync(state.python)
    if (state && installed && state.requirementsSha256 === sha && !opts.repair) {
      const verification = await verifyInto(paths.verification, state.python, resources, opts.dataRoot, progress)
      return { action: 'up-to-date', envDir, python: state.python, accelerator, choice, state, verification }
    }
    const action: SetupResult['action'] = opts.repair && existsSync(paths.venv) ? 'repaired' : installed ? 'updated' : 'created'
    const installer = chooseInstaller(opts, resources, envDir, progress)
    const log = createWriteStream(paths.log, { flags: 'w' })
    const aside = `${paths.venv}.previous`
    rmSync(aside, { recursive: true, force: true })
    // A repair, or a lock change, rebuilds from scratch; the old venv waits aside until the new one works.
    if (existsSync(paths.venv)) renameSync(paths.venv, aside)
    try {
      const parser = new InstallOutputParser(progress)
      progress({ phase: 'venv', message: `creating the venv with ${installer.version}` })
      for (const argv of installer.createVenv(paths.venv)) {
        const r = await runLogged(argv, installer.env, log, () => {}, opts.signal)
        if (opts.signal?.aborted) throw new EnvironmentError('CANCELLED', 'The set-up was cancelled.')
        if (r.code !== 0) {
          if (looksOffline(r.output)) throw new EnvironmentError('OFFLINE', offlineMessage(r.output.split('\n').find((l) => NETWORK_ERROR.test(l))?.trim() ?? 'no connection'))
          throw new EnvironmentError('INSTALL_FAILED', `Creating the venv failed (${r.output.split('\n').slice(-2).join(' ').trim()}). The full output is in ${paths.log}.`)
        }
      }
      writeFileSync(paths.requirements, requirements)
      progress({ phase: 'download', message: `installing ${choice.file}` })
      let r = { code: 1 as number | null, output: '' }
      // uv first tries its cache alone: a machine that built this lock before needs no network.
      if (installer.tool === 'uv') r = await runLogged(installer.install(environmentLayout(envDir).python, paths.requirements, true), installer.env, log, (l) => parser.line(l), opts.signal)
      if (r.code !== 0 && !opts.signal?.aborted) r = await runLogged(installer.install(environmentLayout(envDir).python, paths.requirements, false), installer.env, log, (l) => parser.line(l), opts.signal)
      if (opts.signal?.aborted) throw new EnvironmentError('CANCELLED', 'The set-up was cancelled.')
      if (r.code !== 0) {
        const tail = r.output.split('\n').filter((l) => l.trim()).slice(-4).join(' ').trim()
        if (looksOffline(r.output)) throw new EnvironmentError('OFFLINE', offlineMessage(r.output.split('\n').find((l) => NETWORK_ERROR.test(l))?.trim() ?? tail))
        throw new EnvironmentError('INSTALL_FAILED', `Installing ${choice.file} with ${installer.tool} failed: ${tail}. The full output is in ${paths.log}; \`xlab doctor --repair\` starts over.`)
      }
      progress({ phase: 'install', message: `installed ${choice.file}` })
      const newState: EnvironmentState = { version: 1, lock: choice.file, requirementsSha256: sha, variant: choice.lock.variant, tool: installer.tool, toolVersion: installer.version, python: paths.python, installedAt: new Date().toISOString() }
      const verification = await verifyInto(paths.verification, paths.python, resources, opts.dataRoot, progress)
      if (!verification.ok) throw new EnvironmentError('INSTALL_FAILED', `The new environment does not work: ${verification.errors.join(' ')} The full set-up output is in ${paths.log}.`)
      writeFileSync(paths.state, `${JSON.stringify(newState, null, 2)}\n`)
      rmSync(aside, { recursive: true, force: true })
      progress({ phase: 'done', message: `engine environment ready (${choice.lock.variant}, torch ${verification.versions.torch ?? '?'})` })
      return { action, envDir, python: paths.python, accelerator, choice, state: newState, verification }
    } catch (e) {
      // Put the previous venv back: the user keeps what worked before this attempt.
      if (existsSync(aside)) {
        rmSync(paths.venv, { recursive: true, force: true })
        renameSync(aside, paths.venv)
      }
      throw e
    } finally {
      log.end()
    }
  } finally {
    release()
  }
}

async function verifyInto(file: string, python: string, resources: LabResources, dataRoot: string, progress: (p: SetupProgress) => void): Promise<Verification> {
  progress({ phase: 'verify', message: 'checking torch, the device and a mixed-precision convolution' })
  const v = await verifyEnvironment({ python, engineDir: resources.engineDir, dataRoot })
  writeVerification(file, v)
  return v
}
