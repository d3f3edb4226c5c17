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

/**
 * The report as a section of `xlab doctor` (the shape of doctor's DoctorSection: id, title,
 * status, rows, notes, data). Slurm is optional, so a missing client is `ok` and an unreachable
 * controller a `warn`, never a failure of doctor as a whole.
 */
export function slurmDoctorSection(r: SlurmDoctorReport): { id: 'slurm'; title: string; status: 'ok' | 'warn'; rows: [string, string][]; notes: string[]; data: SlurmDoctorReport } {
  const rows: [string, string][] = [['sbatch', r.installed ? (r.version ?? 'installed') : 'not installed (studies run on this machine only)']]
  if (r.installed) rows.push(['controller', r.reachable ? 'answers' : 'does not answer'])
  for (const p of r.partitions) rows.push([`partition ${p.name}`, `${p.isDefault ? 'default, ' : ''}${p.availability}, ${p.nodes} node(s), max ${p.timeLimit}${p.gres ? `, ${p.gres}` : ''}`])
  return { id: 'slurm', title: 'Slurm cluster', status: r.installed && !r.reachable ? 'warn' : 'ok', rows, notes: r.reachable ? [] : [r.message], data: r }
}
