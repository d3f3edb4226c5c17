// What data and engine each run came from: the dataset checksums recorded in its spec and in the
// specs of everything it depends on (an encoder carries its pretraining set's checksum), and
// whether any of that differs from what is imported now (stale). Recorded at planning time and
// enforced when the run starts (runner/job-builder.ts), so the recorded checksums are the ones used.
import type { RunProvenance } from '../api/results.ts'
import type { Db } from '../store/db.ts'
import { dependenciesOf, getRun, type RunRecord } from '../store/runs.ts'
import { staleReasons, type PlanProvenance, type SpecProvenance } from '../study/provenance.ts'

/** Provenance of runs, memoised over one lookup (dependencies are shared by many runs). */
export function provenanceLookup(db: Db, current: PlanProvenance): (runId: string) => RunProvenance {
  const memo = new Map<string, RunProvenance>()
  const of = (id: string): RunProvenance => {
    const hit = memo.get(id)
    if (hit) return hit
    const run: RunRecord | null = getRun(db, id)
    const own = run?.spec.provenance as SpecProvenance | undefined
    const datasets: Record<string, string | null> = { ...(own?.datasets ?? {}) }
    const engine = new Set(own ? [own.engine] : [])
    const reasons = new Set(run ? staleReasons(own, current) : ['the run is not in the store'])
    for (const dep of run ? dependenciesOf(db, id) : []) {
      const d = of(dep)
      Object.assign(datasets, d.datasets)
      d.engine.forEach((e) => engine.add(e))
      // A dependency's reasons are this run's too: its encoder came from that data.
      d.staleReasons.forEach((r) => reasons.add(r))
    }
    const out: RunProvenance = { datasets, engine: [...engine].sort(), stale: reasons.size > 0, staleReasons: [...reasons] }
    memo.set(id, out)
    return out
  }
  return of
}
