// The headless package for GPU servers: `npm pack`, install the tarball into an empty folder, then
// `npx xlab doctor --json` and `npx xlab serve` from there, running the built JavaScript (the
// tarball holds no TypeScript and the install no tsx).
//
// better-sqlite3's prebuilt binary is normally downloaded from GitHub by its install script (or
// compiled, ~7 minutes on this 2-core machine). GitHub is unreachable here, so the install skips
// install scripts and the test puts in the binary this checkout built for the same Node; set
// XLAB_PACK_TEST_NATIVE=1 to let npm run the scripts (compile) instead. Doctor verifies the
// checkout's engine Python through XLAB_PYTHON rather than building another 5.7 GB environment:
// creating one is tests/core/environment/managed-env.test.ts's job.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { venvPython } from '../../../src-core/environment/locations.ts'

const REPO = join(import.meta.dirname, '..', '..', '..')
const work = mkdtempSync(join(tmpdir(), 'xlab-pack-'))
const app = join(work, 'server')
const pkgDir = join(app, 'node_modules', 'xray-ssl-lab')
const env = { ...process.env, XLAB_PYTHON: venvPython(join(REPO, '.venv')), XLAB_ENV_DIR: join(work, 'engine-env'), XLAB_DATA: join(work, 'data') }
let server: ChildProcess | undefined

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 900_000 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

beforeAll(() => {
  run(process.execPath, [join(REPO, 'scripts', 'build-cli.mjs')], REPO)
  if (!existsSync(join(REPO, 'out', 'renderer', 'index.html'))) run('npx', ['electron-vite', 'build'], REPO)
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO)) as { filename: string }[]
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'gpu-server', private: true }))
  const native = process.env.XLAB_PACK_TEST_NATIVE === '1'
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...(native ? [] : ['--ignore-scripts']), join(work, packed[0]!.filename)], app)
  if (!native) {
    const release = join('node_modules', 'better-sqlite3', 'build', 'Release')
    mkdirSync(join(app, release), { recursive: true })
    copyFileSync(join(REPO, release, 'better_sqlite3.node'), join(app, release, 'better_sqlite3.node'))
  }
}, 900_000)

afterAll(() => {
  // npx runs `xlab serve` as a child of its own: the whole process group goes, or the server outlives the test.
  if (!server?.pid) return
  try {
    process.kill(-server.pid, 'SIGTERM')
  } catch {
    // the group is gone already
  }
})

describe('the npm package', () => {
  it('holds built JavaScript, the engine with its locks and the built UI, and no TypeScript', () => {
    expect(existsSync(join(pkgDir, 'out', 'cli', 'main.js'))).toBe(true)
    expect(existsSync(join(pkgDir, 'out', 'renderer', 'index.html'))).toBe(true)
    expect(existsSync(join(pkgDir, 'engine', 'xlab', 'worker.py'))).toBe(true)
    expect(existsSync(join(pkgDir, 'engine', 'locks', 'linux-x64-cpu.txt'))).toBe(true)
    expect(existsSync(join(pkgDir, 'src-core'))).toBe(false)
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false)
    expect(readdirSync(join(pkgDir, 'engine', 'xlab')).includes('__pycache__')).toBe(false)
  })

  it('`npx xlab doctor --json` reports from the installed package', () => {
    const r = spawnSync('npx', ['--no', 'xlab', 'doctor', '--json'], { cwd: app, env, encoding: 'utf8', timeout: 300_000 })
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as { ok: boolean; sections: { id: string; status: string; data?: { engine_path?: string; ok?: boolean } }[] }
    expect(report.ok).toBe(true)
    expect(report.sections.map((s) => s.id)).toEqual(expect.arrayContaining(['accelerator', 'environment', 'engine', 'disk']))
    const engine = report.sections.find((s) => s.id === 'engine')!
    expect(engine.status).toBe('ok')
    // The engine checked is the one inside the installed package, not the checkout's.
    expect(engine.data?.engine_path).toBe(join(pkgDir, 'engine', 'xlab'))
  })

  it('`npx xlab doctor --no-setup` without a Python says the managed environment is not set up and which build it would install', () => {
    const bare = { ...env, XLAB_PYTHON: '' }
    const r = spawnSync('npx', ['--no', 'xlab', 'doctor', '--json', '--no-setup'], { cwd: app, env: bare, encoding: 'utf8', timeout: 300_000 })
    expect(r.status).toBe(1)
    const report = JSON.parse(r.stdout) as { ok: boolean; sections: { id: string; status: string; rows: [string, string][]; notes: string[] }[] }
    const environment = report.sections.find((s) => s.id === 'environment')!
    expect(environment.status).toBe('fail')
    expect(environment.rows).toContainEqual(['python', join(work, 'engine-env', 'venv', 'bin', 'python')])
    expect(environment.notes[0]).toMatch(/not set up. Run `xlab doctor`/)
    const accelerator = report.sections.find((s) => s.id === 'accelerator')!
    expect(accelerator.rows.find(([k]) => k === 'PyTorch build')?.[1]).toMatch(/^linux-x64-cpu\.txt/)
  })

  it('`npx xlab serve` serves the built UI: 200 with its token, 401 without', async () => {
    const token = 'pack-test-token-0123456789'
    server = spawn('npx', ['--no', 'xlab', 'serve', '--port', '0', '--token', token], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let out = ''
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`xlab serve printed no URL:\n${out}`)), 120_000)
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /Open (http:\/\/\S+)/.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      server!.on('exit', (code) => reject(new Error(`xlab serve exited (${code}):\n${out}`)))
    })
    expect(url).toContain(`token=${token}`)
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<div id="app">/)
    const origin = new URL(url).origin
    expect((await fetch(`${origin}/`)).status).toBe(401)
    const api = await fetch(`${origin}/api/environment.status`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' })
    expect(api.status).toBe(200)
    expect(((await api.json()) as { result: { source: string } }).result.source).toBe('env')
  })
})
