// The environment section of a report: what produced these numbers (versions, device, seeds,
// dataset checksums), so a reader can tell whether two reports are comparable.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, platform, release } from 'node:os'
import { join } from 'node:path'
import { enginePython } from '../../environment/locations.ts'
import type { Db } from '../../store/db.ts'
import { workerHelloLines } from '../../store/results.ts'
import type { StudyData } from '../collect.ts'

/** One dataset's identity in the report. */
export interface DatasetIdentity {
  /** Dataset name. */
  name: string
  /** Its role: downstream or pretraining. */
  role: 'downstream' | 'pretraining'
  /** Cache folder, when found. */
  dir: string | null
  /** Image count from meta.json. */
  n: number | null
  /** Stored size, e.g. `64x64x1`. */
  shape: string | null
  /** file -> sha256 from meta.json. */
  checksums: Record<string, string>
}

/** Everything the environment section shows. */
export interface ReportEnvironment {
  /** Name/value pairs: lab version, Node, OS, CPU. */
  software: [string, string][]
  /** Distinct worker hello lines (device and torch version). */
  workers: string[]
  /** Seeds of the study. */
  seeds: number[]
  /** Datasets with their checksums. */
  datasets: DatasetIdentity[]
}

function labVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Versions of the Node packages that shape results and the app (from their package.json). */
function nodePackageVersions(): [string, string][] {
  const require = createRequire(import.meta.url)
  return ['better-sqlite3', 'zod', 'sharp', 'electron', 'vue'].flatMap((name): [string, string][] => {
    try {
      return [[name, (require(`${name}/package.json`) as { version: string }).version]]
    } catch {
      return []
    }
  })
}

const ENGINE_PACKAGES = ['torch', 'torchvision', 'numpy', 'scipy', 'scikit-learn', 'safetensors']

/**
 * Versions of the engine's Python packages, read from their metadata (no torch import, so it takes
 * a fraction of a second). Empty when the engine's Python is missing.
 */
export function enginePackageVersions(python = enginePython()): [string, string][] {
  if (!existsSync(python)) return []
  const code = `import importlib.metadata as m, json, platform
out = {"python": platform.python_version()}
for p in ${JSON.stringify(ENGINE_PACKAGES)}:
    try: out[p] = m.version(p)
    except m.PackageNotFoundError: pass
print(json.dumps(out))`
  try {
    const text = execFileSync(python, ['-c', code], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] })
    return Object.entries(JSON.parse(text) as Record<string, string>).map(([k, v]) => [`engine ${k}`, v])
  } catch {
    return []
  }
}

function identity(name: string, role: DatasetIdentity['role'], dir: string | null): DatasetIdentity {
  const metaFile = dir ? join(dir, 'meta.json') : null
  if (!metaFile || !existsSync(metaFile)) return { name, role, dir, n: null, shape: null, checksums: {} }
  try {
    const m = JSON.parse(readFileSync(metaFile, 'utf8')) as { n?: number; height?: number; width?: number; channels?: number; checksums?: Record<string, string> }
    return { name, role, dir, n: m.n ?? null, shape: m.height ? `${m.height}x${m.width}x${m.channels ?? 1}` : null, checksums: m.checksums ?? {} }
  } catch {
    return { name, role, dir, n: null, shape: null, checksums: {} }
  }
}

/** Collects the environment of a study's runs. */
export function reportEnvironment(db: Db, data: StudyData, resolveDataset: (name: string) => string | null): ReportEnvironment {
  const cfg = data.study.config
  const seeds = Array.isArray(cfg.seeds) ? (cfg.seeds as number[]) : [...new Set(data.runs.map((r) => r.run.seed))]
  const cpu = cpus()[0]?.model ?? 'unknown'
  const software: [string, string][] = [
    ['X-Ray SSL Lab', labVersion()],
    ['Node.js', process.versions.node],
    ['OS', `${platform()} ${release()}`],
    ['CPU', `${cpu} (${cpus().length} cores)`],
    ...nodePackageVersions(),
    ...enginePackageVersions(),
  ]
  const workers = [...new Set(workerHelloLines(db, data.allRuns.map((r) => r.id), 200).map((l) => l.replace(/^worker pid \d+ on /, '')))]
  const downstream = typeof cfg.downstreamDataset === 'string' ? cfg.downstreamDataset : null
  const pretrain = Array.isArray(cfg.pretrainDatasets) ? (cfg.pretrainDatasets as string[]) : []
  const datasets: DatasetIdentity[] = []
  if (downstream) datasets.push(identity(downstream, 'downstream', data.datasetDir ?? resolveDataset(downstream)))
  for (const name of pretrain) datasets.push(identity(name, 'pretraining', resolveDataset(name)))
  return { software, workers, seeds, datasets }
}
