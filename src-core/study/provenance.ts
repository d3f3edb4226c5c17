// What ties a run to the exact data and engine it used (DESIGN.md "Scientific rules": a result is
// tied to the exact data it came from). A run's identity (its spec hash) includes the content
// checksum of every dataset its spec reads and the engine version, so re-importing a dataset with
// other content, or a new engine, plans new runs; the old runs stay in the store, marked stale.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { canonicalJson, type RunSpec } from './spec.ts'

/** What the planner needs to stamp a run's inputs. */
export interface PlanProvenance {
  /** Engine version (`xlab.__version__`). */
  engineVersion: string
  /** Content checksum of a dataset by name; null when it is not imported (yet). */
  datasetChecksum: (name: string) => string | null
  /** sha256 of an imported reference encoder's stored file by name; null (or absent) when it is not imported. */
  referenceChecksum?: (name: string) => string | null
  /** The labels of an imported dataset by name (how many classes, one per image or several); null (or absent) when not known yet. */
  datasetClasses?: (name: string) => { classes: number; multiLabel: boolean; testImages?: number | null } | null
}

/** The inputs recorded in a spec (and so in its hash). */
export interface SpecProvenance {
  /** Engine version the run was planned for. */
  engine: string
  /** Dataset name -> content checksum (null: not imported when planned) of every dataset the spec reads itself; inputs of its dependencies enter through their run ids. */
  datasets: Record<string, string | null>
  /** Reference encoder name -> sha256 of its stored file (null: not imported when planned); only in specs that read one, so other specs keep their hashes. */
  references?: Record<string, string | null>
}

/** Names a spec's placeholders of one kind hold (`$dataset`, `$reference`), sorted. */
function refsOf(value: unknown, key: '$dataset' | '$reference'): string[] {
  const out = new Set<string>()
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (typeof o[key] === 'string') out.add(o[key])
      else Object.values(o).forEach(walk)
    }
  }
  walk(value)
  return [...out].sort()
}

/** Names of the datasets a spec reads directly (its `{"$dataset": name}` placeholders), sorted. */
export function datasetRefsOf(value: unknown): string[] {
  return refsOf(value, '$dataset')
}

/** Names of the reference encoders a spec reads (its `{"$reference": name}` placeholders), sorted. */
export function referenceRefsOf(value: unknown): string[] {
  return refsOf(value, '$reference')
}

/** The provenance block of a spec under `prov`. */
export function specProvenance(spec: Pick<RunSpec, 'params'>, prov: PlanProvenance): SpecProvenance {
  const refs = referenceRefsOf(spec.params)
  const out: SpecProvenance = { engine: prov.engineVersion, datasets: Object.fromEntries(datasetRefsOf(spec.params).map((n) => [n, prov.datasetChecksum(n)])) }
  // The encoder file's checksum names the weights, so importing other weights under a name plans new runs.
  if (refs.length) out.references = Object.fromEntries(refs.map((n) => [n, prov.referenceChecksum?.(n) ?? null]))
  return out
}

/**
 * The content checksum of a dataset cache: sha256 over the per-file sha256 values its meta.json
 * lists (images, labels, patients, splits), so equal pixels, labels and splits give an equal
 * checksum whatever the folder or import time. Null without a readable meta.json with checksums.
 */
export function datasetContentChecksum(dir: string): string | null {
  const file = join(dir, 'meta.json')
  if (!existsSync(file)) return null
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { checksums?: Record<string, string> }
    if (!meta.checksums || !Object.keys(meta.checksums).length) return null
    return createHash('sha256').update(canonicalJson(meta.checksums)).digest('hex')
  } catch {
    return null
  }
}

/** The engine version declared in `<enginePath>/xlab/__init__.py`; `unknown` when it cannot be read (a stand-in engine). */
export function engineVersionAt(enginePath: string): string {
  try {
    const text = readFileSync(join(enginePath, 'xlab', '__init__.py'), 'utf8')
    return /^__version__\s*=\s*["']([^"']+)["']/m.exec(text)?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Why a run's recorded inputs differ from the current ones (empty when they match or it recorded none). */
export function staleReasons(recorded: SpecProvenance | undefined, current: PlanProvenance): string[] {
  if (!recorded) return ['planned before runs recorded their inputs (no dataset checksums or engine version)']
  const out: string[] = []
  if (recorded.engine !== current.engineVersion) out.push(`engine ${recorded.engine}, now ${current.engineVersion}`)
  for (const [name, sum] of Object.entries(recorded.datasets)) {
    const now = current.datasetChecksum(name)
    if (sum !== now) out.push(`${name} ${sum ? sum.slice(0, 12) : 'not imported'} when planned, now ${now ? now.slice(0, 12) : 'not imported'}`)
  }
  for (const [name, sum] of Object.entries(recorded.references ?? {})) {
    const now = current.referenceChecksum?.(name) ?? null
    if (sum !== now) out.push(`reference encoder ${name} ${sum ? sum.slice(0, 12) : 'not imported'} when planned, now ${now ? now.slice(0, 12) : 'not imported'}`)
  }
  return out
}
