// The shipped files resolve in both layouts: a source checkout / npm package, and the packaged
// desktop app (engine and locks as extra resources beside app.asar, uv in resources/uv/).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../../src-core/config/paths.ts'
import { labResources } from '../../../src-core/environment/resources.ts'
import { engineEnvironment, environmentLayout, venvPython } from '../../../src-core/environment/locations.ts'
import { electronBuilderConfig } from './builder-config.ts'

/** A packaged app as electron-builder lays it out, from the config's own extraResources. */
function packagedTree(platform: 'linux' | 'win32' | 'darwin'): string {
  const root = mkdtempSync(join(tmpdir(), 'xlab-packaged-'))
  const resources = platform === 'darwin' ? join(root, 'X-Ray SSL Lab.app', 'Contents', 'Resources') : join(root, 'resources')
  mkdirSync(join(resources, 'app.asar', 'out', 'renderer'), { recursive: true })
  // Exactly the folders electron-builder.json's extraResources create.
  for (const e of electronBuilderConfig().extraResources ?? []) mkdirSync(join(resources, e.to), { recursive: true })
  mkdirSync(join(resources, 'engine', 'xlab'), { recursive: true })
  writeFileSync(join(resources, 'engine', 'xlab', '__init__.py'), '')
  writeFileSync(join(resources, 'uv', platform === 'win32' ? 'uv.exe' : 'uv'), '')
  return resources
}

describe('lab resources', () => {
  it('in a source checkout: engine/, engine/locks/, out/renderer under the repository', () => {
    const r = labResources({ resourcesDir: undefined, appRoot: repoRoot() })
    expect(r).toMatchObject({ layout: 'source', engineDir: join(repoRoot(), 'engine'), locksDir: join(repoRoot(), 'engine', 'locks'), rendererDir: join(repoRoot(), 'out', 'renderer') })
  })

  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    it(`in the packaged app on ${platform}: engine, locks and uv beside app.asar`, () => {
      const resources = packagedTree(platform)
      const r = labResources({ resourcesDir: resources, platform, arch: 'x64' })
      expect(r.layout).toBe('packaged')
      expect(r.engineDir).toBe(join(resources, 'engine'))
      expect(r.locksDir).toBe(join(resources, 'engine', 'locks'))
      expect(r.uvBinary).toBe(join(resources, 'uv', platform === 'win32' ? 'uv.exe' : 'uv'))
      expect(r.rendererDir).toBe(join(resources, 'app.asar', 'out', 'renderer'))
    })
  }

  it('reports no bundled uv where none was shipped', () => {
    expect(labResources({ resourcesDir: '/nowhere/resources', exists: () => false }).uvBinary).toBeNull()
  })

  it('keeps the managed environment outside the app bundle, with the venv Python per platform', () => {
    const prev = { ...process.env }
    try {
      process.env.XLAB_RESOURCES = packagedTree('linux')
      delete process.env.XLAB_PYTHON
      delete process.env.XLAB_ENV_DIR
      const e = engineEnvironment()
      expect(e.source).toBe('managed')
      expect(e.envDir.startsWith(process.env.XLAB_RESOURCES)).toBe(false)
      expect(e.python).toBe(environmentLayout(e.envDir).python)
      process.env.XLAB_PYTHON = '/opt/py/bin/python3'
      expect(engineEnvironment()).toMatchObject({ python: '/opt/py/bin/python3', source: 'env' })
    } finally {
      process.env = prev
    }
    expect(venvPython('C:\\env\\venv', 'win32')).toMatch(/Scripts.python\.exe$/)
  })
})
