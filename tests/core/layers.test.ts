// The layer rules of docs/architecture.md, checked on the source tree itself (a second line of
// defence beside eslint.config.js, so the rule holds even where lint is skipped).
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..', '..')

function files(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...files(p))
    else if (/\.(ts|vue|mts)$/.test(e.name)) out.push(p)
  }
  return out
}

/** Every import/export-from/dynamic import of a file, with whether it is type-only. */
function importsOf(source: string): { spec: string; typeOnly: boolean }[] {
  const found: { spec: string; typeOnly: boolean }[] = []
  const staticRe = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/gm
  for (const m of source.matchAll(staticRe)) found.push({ spec: m[4]!, typeOnly: !!m[2] })
  for (const m of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ spec: m[1]!, typeOnly: false })
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false })
  return found
}

/** The repository folder an import lands in ('' for packages). */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return ''
  return relative(root, resolve(root, dirname(file), spec)).split('/')[0] ?? ''
}

function violations(dir: string, rule: (file: string, imp: { spec: string; typeOnly: boolean }) => string | null): string[] {
  const out: string[] = []
  for (const f of files(dir)) {
    for (const imp of importsOf(readFileSync(join(root, f), 'utf8'))) {
      const why = rule(f, imp)
      if (why) out.push(`${f}: ${imp.spec} (${why})`)
    }
  }
  return out
}

describe('layer rules', () => {
  it('finds imports of every kind (the checker itself)', () => {
    const src = "import a from 'x'\nimport type { B } from '../src-core/api/index.ts'\nexport { c } from './c.ts'\nimport './style.css'\nconst d = await import('electron')"
    expect(importsOf(src)).toEqual([
      { spec: 'x', typeOnly: false },
      { spec: '../src-core/api/index.ts', typeOnly: true },
      { spec: './c.ts', typeOnly: false },
      { spec: './style.css', typeOnly: false },
      { spec: 'electron', typeOnly: false },
    ])
  })

  it('src-core is pure Node: no electron, DOM frameworks or app layers', () => {
    expect(
      violations('src-core', (f, { spec }) => {
        if (spec === 'electron' || spec.startsWith('electron/')) return 'electron'
        if (['vue', 'pinia', 'chart.js'].includes(spec)) return 'UI framework'
        if (['src-renderer', 'src-main', 'src-preload'].includes(target(f, spec))) return 'app layer'
        return null
      }),
    ).toEqual([])
  })

  it('src-renderer imports only types from src-core/api and nothing Node-only', () => {
    expect(
      violations('src-renderer', (f, { spec, typeOnly }) => {
        if (spec.startsWith('node:') || ['electron', 'better-sqlite3', 'sharp', 'ws', 'fs', 'path', 'child_process'].includes(spec)) return 'Node/Electron module'
        const t = target(f, spec)
        if (t === 'src-core') {
          if (!relative(root, resolve(root, dirname(f), spec)).startsWith('src-core/api')) return 'core code outside src-core/api'
          if (!typeOnly) return 'value import from src-core/api'
        }
        if (t === 'src-main') return 'main process code'
        if (t === 'src-preload' && !spec.endsWith('.d.ts')) return 'preload code (use window.lab)'
        return null
      }),
    ).toEqual([])
  })

  it('src-preload uses only electron and API types', () => {
    expect(
      violations('src-preload', (f, { spec, typeOnly }) => {
        const t = target(f, spec)
        if (spec.startsWith('.') && t === 'src-preload') return null
        if (spec === 'electron') return null
        if (t === 'src-core' && typeOnly && spec.includes('src-core/api/')) return null
        return 'preload may import only electron and API types'
      }),
    ).toEqual([])
  })

  it('only src-main imports electron among the TypeScript layers', () => {
    const offenders = ['src-core', 'src-renderer'].flatMap((d) => violations(d, (_f, { spec }) => (spec === 'electron' ? 'electron' : null)))
    expect(offenders).toEqual([])
  })
})
