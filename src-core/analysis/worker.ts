// Entry of the analysis worker thread (issue 21): collects and analyses one study on its own
// database connection, off the lab service's event loop, and posts progress and the result. Built
// as its own file (out/cli/analysis-worker.js, out/main/analysis-worker.js); in a checkout it runs
// the TypeScript through tsx. Started and stopped by analysis/off-loop.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../store/db.ts'
import { analyzeStudy } from './analyze.ts'
import { collectStudy } from './collect.ts'
import { dbVectorStore } from './run-store.ts'
import type { WorkerInput, WorkerMessage } from './off-loop.ts'

const input = workerData as WorkerInput
const post = (m: WorkerMessage) => parentPort!.postMessage(m)

try {
  const db = openDatabase(input.dbFile)
  try {
    const data = collectStudy(db, input.studyId, { resolveDataset: (name) => input.datasetDirs[name] ?? null })
    let last = 0
    const analysis = analyzeStudy(data, input.bootstrap, {
      store: dbVectorStore(db, [...data.runs, ...data.multilabel.runs], (message) => post({ kind: 'log', message })),
      onProgress: (p) => {
        const now = Date.now()
        // A few messages per second at most; the first and last of each phase always.
        if (p.done === 0 || p.done === p.total || now - last > 200) {
          last = now
          post({ kind: 'progress', ...p })
        }
      },
    })
    post({ kind: 'done', analysis })
  } finally {
    db.close()
  }
} catch (e) {
  post({ kind: 'failed', message: (e as Error).message })
}
