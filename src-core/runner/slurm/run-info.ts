// A run's Slurm job as the API shows it (runs.get, `xlab runs show`, the Runs view).
import type { z } from 'zod'
import type { clusterJobSchema } from '../../api/runs.ts'
import { readSlurmState } from './executor.ts'
import { describeReason } from './parse.ts'

/** The latest Slurm job of a run folder, or null if the run never went to Slurm. */
export function clusterJobOf(runDir: string): z.infer<typeof clusterJobSchema> | null {
  const s = readSlurmState(runDir)
  const last = s?.jobs.at(-1)
  if (!s || !last) return null
  return { executor: 'slurm', jobId: last.jobId, state: last.state, reason: last.reason, reasonText: describeReason(last.reason?.split(/[ ,]/)[0] ?? null), node: last.node, submissions: s.jobs.length, firstMessageS: last.firstMessageS, script: s.script }
}
