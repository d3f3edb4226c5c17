// The Slurm part of `xlab doctor`: is sbatch there, does the controller answer, which partitions
// exist. A machine without Slurm is not a problem (local runs need none), only a fact to report.
import { SlurmCli, slurmCommand, type SlurmPartition } from './commands.ts'

/** What doctor says about Slurm. */
export interface SlurmDoctorReport {
  /** Whether `sbatch` is on the PATH. */
  installed: boolean
  /** Whether the controller answered `sinfo`. */
  reachable: boolean
  /** `slurm 22.05.8`, or null. */
  version: string | null
  /** The partitions, where reachable. */
  partitions: SlurmPartition[]
  /** One line for a person: what was found, or what to do. */
  message: string
}

/** Asks the cluster SLURM_CONF (or /etc/slurm) points at. */
export async function slurmDoctor(env?: Record<string, string>): Promise<SlurmDoctorReport> {
  let version: string | null
  try {
    version = (await slurmCommand('sbatch', ['--version'], env, 10_000)).trim()
  } catch {
    return { installed: false, reachable: false, version: null, partitions: [], message: 'sbatch is not on the PATH: studies can run here only with device.executor "local" (install the Slurm client and its config to submit to a cluster).' }
  }
  try {
    const partitions = await new SlurmCli(env).partitions()
    const list = partitions.map((p) => `${p.name}${p.isDefault ? ' (default)' : ''} ${p.availability}, ${p.nodes} node(s), max ${p.timeLimit}${p.gres ? `, ${p.gres}` : ''}`).join('; ')
    return { installed: true, reachable: true, version, partitions, message: `${version}: ${partitions.length} partition(s): ${list || 'none'}` }
  } catch (err) {
    return { installed: true, reachable: false, version, partitions: [], message: `${version} is installed but the controller does not answer (${(err as Error).message.split('\n')[0]}); check SLURM_CONF and that slurmctld runs.` }
  }
}

/** The report as doctor's text lines. */
export function formatSlurmDoctor(r: SlurmDoctorReport): string[] {
  const mark = r.reachable ? 'ok  ' : r.installed ? 'FAIL' : '--  '
  return [`${mark} slurm      ${r.message}`]
}
