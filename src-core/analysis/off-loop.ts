// The study analysis off the caller's event loop (issue 21): a worker thread collects and analyses
// the study on its own database connection and posts progress; aborting the signal terminates it
// at once. The finished analysis is kept on disk under <data>/analysis-cache/<study id>.json, keyed
// by the study's fingerprint (its runs, their states and finish times, config and dataset
// checksums), the analysis version and the bootstrap, so a restart or `xlab study report` reuses it;
// per-run statistics are kept in the store (run-store.ts), so a new run recomputes only its own.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { StudyAnalysis } from '../api/results.ts'
import { ANALYSIS_VERSION } from './run-store.ts'
import type { BootstrapOptions } from './stats/bootstrap.ts'

/** What the worker is given. */
export interface WorkerInput {
  /** The lab database file. */
  dbFile: string
  /** The study id. */
  studyId: string
  /** Bootstrap options. */
  bootstrap: BootstrapOptions
  /** Cache folder of each dataset the study names (resolved by the caller; null when unknown). */
  datasetDirs: Record<string, string | null>
}

/** What the worker posts. */
export type WorkerMessage =
  | { kind: 'progress'; phase: 'runs' | 'study'; done: number; total: number }
  | { kind: 'done'; analysis: StudyAnalysis }
  | { kind: 'failed'; message: string }
  | { kind: 'log'; message: string }

/** The error of an analysis stopped by its signal. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('The analysis was cancelled.')
    this.name = 'AnalysisCancelled'
  }
}

/**
 * How to start the worker: the built file beside this bundle, or in a checkout the TypeScript entry
 * behind tsx's loader (registered inside the worker: Node 20 workers ignore `--import` in execArgv).
 */
function startWorker(workerData: WorkerInput): Worker {
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) {
    // tsx's ESM API (its package "exports" map: ./esm/api -> import -> dist/esm/api/index.mjs).
    const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href
    const entry = pathToFileURL(join(dirname(here), 'worker.ts')).href
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(code, { eval: true, workerData })
  }
  const candidates = [join(dirname(here), 'analysis-worker.js'), join(dirname(here), '..', 'analysis-worker.js')]
  const found = candidates.find((f) => existsSync(f))
  if (!found) throw new Error(`The analysis worker is missing (looked for ${candidates.join(', ')}). Build the app again (npm run build).`)
  return new Worker(pathToFileURL(found), { workerData })
}

/** Runs the analysis in a worker thread; rejects with AnalysisCancelled when `signal` aborts (the worker is terminated). */
export function analyseOffLoop(
  input: WorkerInput,
  opts: { signal?: AbortSignal; onProgress?: (p: { phase: 'runs' | 'study'; done: number; total: number }) => void; log?: (message: string) => void } = {},
): Promise<StudyAnalysis> {
  return new Promise<StudyAnalysis>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AnalysisCancelled())
    const worker = startWorker(input)
    let settled = false
    const finish = (f: () => void) => {
      if (settled) return
      settled = true
      opts.signal?.removeEventListener('abort', onAbort)
      f()
    }
    const onAbort = () => {
      finish(() => reject(new AnalysisCancelled()))
      void worker.terminate()
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'progress') opts.onProgress?.({ phase: m.phase, done: m.done, total: m.total })
      else if (m.kind === 'log') opts.log?.(m.message)
      else if (m.kind === 'done') finish(() => resolve(m.analysis))
      else finish(() => reject(new Error(m.message)))
    })
    worker.on('error', (e) => finish(() => reject(e)))
    worker.on('exit', (code) => finish(() => reject(new Error(`The analysis worker stopped (exit code ${code}) before it finished.`))))
  })
}

/** The disk cache file of a study's analysis. */
export function analysisCacheFile(dataRoot: string, studyId: string): string {
  return join(dataRoot, 'analysis-cache', `${studyId}.json`)
}

const cacheKey = (fingerprint: string, b: BootstrapOptions) => `v${ANALYSIS_VERSION}|${b.replicates}|${b.seed}|${b.level}|${fingerprint}`

/** The kept analysis of a study when it was computed for this fingerprint and bootstrap; else null. */
export function readCachedAnalysis(dataRoot: string, studyId: string, fingerprint: string, bootstrap: BootstrapOptions): StudyAnalysis | null {
  const file = analysisCacheFile(dataRoot, studyId)
  if (!existsSync(file)) return null
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; analysis?: StudyAnalysis }
    return kept.key === cacheKey(fingerprint, bootstrap) && kept.analysis ? kept.analysis : null
  } catch {
    return null // a damaged cache is computed again
  }
}

/** Keeps a study's analysis on disk (written whole, then renamed: never half a file). */
export function writeCachedAnalysis(dataRoot: string, studyId: string, fingerprint: string, bootstrap: BootstrapOptions, analysis: StudyAnalysis): void {
  const file = analysisCacheFile(dataRoot, studyId)
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, JSON.stringify({ key: cacheKey(fingerprint, bootstrap), analysis }))
  renameSync(tmp, file)
}
