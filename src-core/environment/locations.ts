// The one place that knows where the engine's Python is. Everything that starts Python (the run
// queue, reports, doctor, the app) asks enginePython(); nothing else builds a venv path.
//
// Order: XLAB_PYTHON (a Python the user chose); the managed environment when XLAB_ENV_DIR names
// one; a source checkout's `.venv` (made by `npm run setup`, what development and the tests use);
// else the managed environment in the per-user data folder, created by `xlab doctor` or the app's
// first-run screen. The managed environment never lives inside the app bundle or npm package, so
// updating either keeps it.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { repoRoot, userDataFolder } from '../config/paths.ts'

/** Where the managed environment lives: XLAB_ENV_DIR, else `<user data folder>/engine-env`. */
export function environmentDir(): string {
  return process.env.XLAB_ENV_DIR ? resolve(process.env.XLAB_ENV_DIR) : join(userDataFolder(), 'engine-env')
}

/** The Python inside a venv folder (Scripts\python.exe on Windows). */
export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? join(venvDir, 'Scripts', 'python.exe') : join(venvDir, 'bin', 'python')
}

/** Fixed paths inside an environment folder. */
export function environmentLayout(envDir: string) {
  return {
    /** The venv itself; the only thing a repair deletes besides the state files. */
    venv: join(envDir, 'venv'),
    python: venvPython(join(envDir, 'venv')),
    /** What was installed from which lock (written after a successful install). */
    state: join(envDir, 'state.json'),
    /** The last verification's result. */
    verification: join(envDir, 'verification.json'),
    /** The requirement file actually installed (lock plus the chosen index). */
    requirements: join(envDir, 'requirements.txt'),
    /** Full output of the last set-up. */
    log: join(envDir, 'setup.log'),
    /** A uv fetched from PyPI when none was bundled. */
    tools: join(envDir, 'tools'),
    /** Held while a set-up runs. */
    lock: join(envDir, 'setup.lock'),
  }
}

/** Which Python the engine uses and why. */
export interface EnginePythonChoice {
  /** Path of the interpreter (it may not exist yet for `managed`). */
  python: string
  /** `env` = XLAB_PYTHON, `dev` = the checkout's .venv, `managed` = the lab's own environment. */
  source: 'env' | 'dev' | 'managed'
  /** The managed environment folder (also for env/dev: where one would be created). */
  envDir: string
}

/** Decides which Python the engine runs on (see the order at the top of this file). */
export function engineEnvironment(): EnginePythonChoice {
  const envDir = environmentDir()
  if (process.env.XLAB_PYTHON) return { python: process.env.XLAB_PYTHON, source: 'env', envDir }
  if (!process.env.XLAB_ENV_DIR && !process.env.XLAB_RESOURCES) {
    const dev = venvPython(join(repoRoot(), '.venv'))
    if (existsSync(dev)) return { python: dev, source: 'dev', envDir }
  }
  return { python: environmentLayout(envDir).python, source: 'managed', envDir }
}

/** The engine's Python interpreter. */
export function enginePython(): string {
  return engineEnvironment().python
}
