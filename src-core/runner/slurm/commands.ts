// The Slurm client commands the executor runs, in one place so tests and `xlab doctor` see the
// same calls. They talk to whatever cluster SLURM_CONF (or the machine's /etc/slurm) points at.
import { execFile } from 'node:child_process'
import { parseSacct, parseScontrolJob, parseSqueue, SACCT_FORMAT, SQUEUE_FORMAT, type SlurmJobInfo } from './parse.ts'

/** A failed Slurm command, with what it printed. */
export class SlurmCommandError extends Error {
  constructor(
    message: string,
    /** stderr of the command. */
    readonly stderr: string,
  ) {
    super(message)
  }
}

/** Runs a Slurm command; resolves with stdout, rejects with its stderr in the message. */
export function slurmCommand(cmd: string, args: string[], env?: Record<string, string>, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout)
      const code = (err as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? `${cmd} is not installed or not on PATH` : (stderr || err.message).trim().replace(/\s*\n\s*/g, '; ')
      reject(new SlurmCommandError(`${cmd} ${args.join(' ')}: ${why}`, stderr ?? ''))
    })
  })
}

/** One partition as `sinfo` lists it. */
export interface SlurmPartition {
  /** Name (without the default marker). */
  name: string
  /** Whether jobs go here when none is named. */
  isDefault: boolean
  /** `up` / `down` / `drain` / `inact`. */
  availability: string
  /** Longest time limit (`infinite`, `1-00:00:00`). */
  timeLimit: string
  /** Nodes in it. */
  nodes: number
  /** Generic resources of its nodes (`gpu:a100:4`), null if none. */
  gres: string | null
}

/** The client calls of the executor. */
export class SlurmCli {
  constructor(private readonly env?: Record<string, string>) {}

  /** `sbatch --parsable SCRIPT` -> the job id. */
  async submit(script: string): Promise<string> {
    const out = await slurmCommand('sbatch', ['--parsable', script], this.env)
    const id = out.trim().split(';')[0]!
    if (!/^\d+$/.test(id)) throw new SlurmCommandError(`sbatch printed no job id: ${out.trim()}`, out)
    return id
  }

  /**
   * The state of each job id: from `squeue` while Slurm still lists it (also recently ended jobs),
   * then `sacct`, then `scontrol show job` where accounting is off. A job none of them knows is left out.
   */
  async jobs(ids: string[]): Promise<Map<string, SlurmJobInfo>> {
    const found = new Map<string, SlurmJobInfo>()
    if (!ids.length) return found
    // Without --jobs: squeue fails as a whole when one id has been purged already.
    const me = process.env.USER || process.env.LOGNAME
    const out = await slurmCommand('squeue', ['--noheader', '--states=all', `--format=${SQUEUE_FORMAT}`, ...(me ? [`--user=${me}`] : [])], this.env)
    const wanted = new Set(ids)
    for (const j of parseSqueue(out)) if (wanted.has(j.jobId)) found.set(j.jobId, j)
    const missing = ids.filter((id) => !found.has(id) || !['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED'].includes(found.get(id)!.state))
    if (!missing.length) return found
    // Ended jobs: sacct has the exit code; scontrol too while the job is in slurmctld's memory.
    try {
      const acct = await slurmCommand('sacct', ['--noheader', '--parsable2', `--format=${SACCT_FORMAT}`, `--jobs=${missing.join(',')}`], this.env)
      for (const j of parseSacct(acct)) found.set(j.jobId, { ...j, gres: found.get(j.jobId)?.gres ?? j.gres })
      return found
    } catch {
      // Accounting disabled or slurmdbd down: fall through.
    }
    for (const id of missing) {
      try {
        const j = parseScontrolJob(await slurmCommand('scontrol', ['show', 'job', id], this.env))
        if (j) found.set(id, j)
      } catch {
        // Purged from slurmctld (MinJobAge): keep what squeue said, if anything.
      }
    }
    return found
  }

  /** Sends a signal to the batch step only (the exec'd worker), leaving the job to end by itself. */
  async signal(id: string, signal: string): Promise<void> {
    await slurmCommand('scancel', ['--batch', `--signal=${signal}`, id], this.env)
  }

  /** Ends the job now (pending jobs never start). */
  async cancel(id: string): Promise<void> {
    await slurmCommand('scancel', [id], this.env)
  }

  /** The cluster's partitions (`sinfo`). */
  async partitions(): Promise<SlurmPartition[]> {
    const out = await slurmCommand('sinfo', ['--noheader', '--format=%P|%a|%l|%D|%G'], this.env, 10_000)
    return parseSinfo(out)
  }
}

/** Lines of `sinfo --noheader --format=%P|%a|%l|%D|%G`. */
export function parseSinfo(text: string): SlurmPartition[] {
  const parts = new Map<string, SlurmPartition>()
  for (const line of text.split('\n')) {
    const [p, a, l, d, g] = line.split('|')
    if (!p?.trim()) continue
    const name = p.trim().replace(/\*$/, '')
    const prev = parts.get(name)
    const gres = g && g.trim() !== '(null)' ? g.trim() : null
    // sinfo prints one line per node state of a partition: add them up.
    if (prev) prev.nodes += Number(d) || 0
    else parts.set(name, { name, isDefault: p.trim().endsWith('*'), availability: (a ?? '').trim(), timeLimit: (l ?? '').trim(), nodes: Number(d) || 0, gres })
  }
  return [...parts.values()]
}
