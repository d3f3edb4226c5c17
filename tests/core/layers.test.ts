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

/** The repository file an import lands on (null for packages). */
function resolved(file: string, spec: string): string | null {
  return spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : null
}

/** Import circles among files: the strongly connected components (Tarjan) with more than one file, or a file importing itself. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || graph.get(v)?.includes(v)) cycles.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return cycles
}

/** src-core's import graph, type-only imports included (a type import still ties two modules' designs together). */
function coreGraph(): Map<string, string[]> {
  const all = files('src-core')
  const known = new Set(all)
  return new Map(all.map((f) => [f, importsOf(readFileSync(join(root, f), 'utf8')).map((i) => resolved(f, i.spec)).filter((t): t is string => t !== null && known.has(t))]))
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

  it('finds import circles (the checker itself)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ])
    expect(importCycles(g)).toEqual([['a', 'b', 'c'], ['e']])
    expect(importCycles(new Map([['a', ['b']], ['b', []]]))).toEqual([])
  })

  it('src-core has no import circles, type-only imports included', () => {
    expect(importCycles(coreGraph())).toEqual([])
  })

  it('src-core/environment sits low: it imports only config/ and util/ (the one place that knows where Python is)', () => {
    expect(
      violations('src-core/environment', (f, { spec }) => {
        const t = resolved(f, spec)
        if (t === null) return null
        return /^src-core\/(environment|config|util)\//.test(t) ? null : 'environment may import only src-core/config and src-core/util'
      }),
    ).toEqual([])
  })
})
