// The packaged build cannot be produced here (Electron's binary cannot be downloaded), so every
// part of it that can be checked is: electron-builder's own schema accepts the configuration, the
// targets, extra resources and update feed are what docs/packaging.md promises, the native rebuild
// is scripted, updates are off by default, and the service finds the resources when packaged.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { serviceEnv } from '../../src-main/service-env.ts'
import { autoUpdateEnabled, startAutoUpdates, type UpdaterLike } from '../../src-main/updater.ts'
import { electronBuilderConfig, REPO_ROOT } from '../core/environment/builder-config.ts'

// electron-builder's loader and validator (the ones `electron-builder` itself runs before a build).
const require = createRequire(import.meta.url)
const builderConfig = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<Record<string, unknown>>
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>
}
const debug = { isEnabled: false, add() {} }

describe('electron-builder configuration', () => {
  it('passes electron-builder\'s own schema validation', async () => {
    const config = await builderConfig.getConfig(REPO_ROOT, join(REPO_ROOT, 'electron-builder.json'), null)
    await expect(builderConfig.validateConfiguration(config, debug)).resolves.toBeUndefined()
  })

  it('the validator rejects a misspelt option (so the check above can fail)', async () => {
    const bad = { ...electronBuilderConfig(), nsis: { oneClik: false } }
    await expect(builderConfig.validateConfiguration(bad, debug)).rejects.toThrow(/configuration.nsis/)
  })

  it('builds AppImage and deb, NSIS and dmg', () => {
    const c = electronBuilderConfig() as Record<string, { target?: string[] }>
    expect(c.linux?.target).toEqual(['AppImage', 'deb'])
    expect(c.win?.target).toEqual(['nsis'])
    expect(c.mac?.target).toEqual(['dmg'])
  })

  it('ships the engine with its lock files and the per-platform uv as extra resources, outside app.asar', () => {
    const c = electronBuilderConfig()
    const engine = c.extraResources?.find((e) => e.to === 'engine')
    expect(engine?.from).toBe('engine')
    expect(engine?.filter).toEqual(expect.arrayContaining(['xlab/**/*', 'locks/**/*']))
    expect(c.extraResources?.find((e) => e.to === 'uv')?.from).toBe('resources/uv/${platform}-${arch}')
    expect(existsSync(join(REPO_ROOT, 'engine', 'xlab', 'worker.py'))).toBe(true)
    expect(existsSync(join(REPO_ROOT, 'engine', 'locks', 'linux-x64-cpu.txt'))).toBe(true)
    // The app's entry and the bundles electron-vite writes are what the package contains.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string>; dependencies: Record<string, string> }
    expect(pkg.main).toBe('out/main/index.js')
    expect(c.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']))
    // Native modules cannot load from inside the asar archive.
    expect(c.asarUnpack).toEqual(expect.arrayContaining(['**/node_modules/better-sqlite3/**']))
    expect(pkg.dependencies['electron-updater']).toBeDefined()
  })

  it('rebuilds better-sqlite3 for Electron in one scripted step (electron-builder\'s own rebuild is off)', () => {
    const c = electronBuilderConfig()
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(c.npmRebuild).toBe(false)
    expect(pkg.scripts.dist).toMatch(/rebuild-native\.mjs && electron-builder/)
    const script = readFileSync(join(REPO_ROOT, 'scripts', 'rebuild-native.mjs'), 'utf8')
    expect(script).toMatch(/@electron\/rebuild/)
    expect(script).toMatch(/better-sqlite3/)
    expect(() => require.resolve('@electron/rebuild')).not.toThrow()
  })

  it('publishes to GitHub releases for electron-updater', () => {
    expect(electronBuilderConfig().publish).toEqual([expect.objectContaining({ provider: 'github' })])
  })
})

describe('automatic updates', () => {
  const settings = () => join(mkdtempSync(join(tmpdir(), 'xlab-settings-')), 'settings.json')

  it('are off by default, on with XLAB_AUTO_UPDATE=1 or the settings file', () => {
    const file = settings()
    expect(autoUpdateEnabled({}, file)).toBe(false)
    expect(autoUpdateEnabled({ XLAB_AUTO_UPDATE: '1' }, file)).toBe(true)
    writeFileSync(file, JSON.stringify({ autoUpdate: true }))
    expect(autoUpdateEnabled({}, file)).toBe(true)
    expect(autoUpdateEnabled({ XLAB_AUTO_UPDATE: '0' }, file)).toBe(false)
  })

  it('never load the updater when off, and never download without asking when on', async () => {
    let loaded = 0
    let checks = 0
    const fake: UpdaterLike = { autoDownload: true, autoInstallOnAppQuit: false, checkForUpdatesAndNotify: async () => void checks++ }
    const load = async () => {
      loaded++
      return fake
    }
    expect(await startAutoUpdates({ enabled: false, isPackaged: true, load, log: () => {} })).toBe('off')
    expect(await startAutoUpdates({ enabled: true, isPackaged: false, load, log: () => {} })).toBe('dev')
    expect(loaded).toBe(0)
    expect(await startAutoUpdates({ enabled: true, isPackaged: true, load, log: () => {} })).toBe('checking')
    expect([loaded, checks, fake.autoDownload]).toEqual([1, 1, false])
  })
})

describe('the lab service environment', () => {
  it('names the resources folder when packaged and leaves the choice of Python to src-core', () => {
    expect(serviceEnv({ PATH: '/bin' }, { isPackaged: true, resourcesPath: '/opt/X-Ray SSL Lab/resources' })).toEqual({ PATH: '/bin', XLAB_RESOURCES: '/opt/X-Ray SSL Lab/resources' })
    expect(serviceEnv({ PATH: '/bin' }, { isPackaged: false, resourcesPath: '/x' })).toEqual({ PATH: '/bin' })
  })
})
