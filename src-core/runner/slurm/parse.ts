// Parsers for what the Slurm client commands print: `squeue` and `sacct` in the fixed formats
// below, and `scontrol show job` (where accounting is off, sacct has nothing). Tests run them over
// outputs recorded from a real cluster (tests/fixtures/slurm/).

/** One job as the cluster reports it. */
export interface SlurmJobInfo {
  /** Job id (no array or step suffix). */
  jobId: string
  /** Job name (`xlab-<run id>` for the lab's jobs). */
  name: string | null
  /** Slurm's state in capitals (`PENDING`, `RUNNING`, `TIMEOUT`, ...), without "by <uid>". */
  state: string
  /** Pending reason or why it ended (`Resources`, `Priority`, `NonZeroExitCode`), null for `None`. */
  reason: string | null
  /** Node(s) it runs or ran on. */
  node: string | null
  /** Generic resources asked for, e.g. `gpu:a100:2`. */
  gres: string | null
  /** Exit code of the batch script, when it ended. */
  exitCode: number | null
  /** Signal that ended it, when one did. */
  signal: number | null
}

/** `squeue` format matching `parseSqueue`. */
export const SQUEUE_FORMAT = '%i|%j|%T|%r|%N|%b'
/** `sacct --format` matching `parseSacct`. */
export const SACCT_FORMAT = 'JobIDRaw,JobName,State,Reason,NodeList,ExitCode'

const none = (v: string | undefined): string | null => {
  const t = (v ?? '').trim()
  return t === '' || t === 'None' || t === 'N/A' || t === '(null)' || t === 'None assigned' ? null : t
}

/** `gres:gpu:1`, `gres/gpu:a100:2`, `gpu:2(IDX:0-1)` -> `gpu:1`, `gpu:a100:2`, `gpu:2`. */
export function normaliseGres(v: string | undefined): string | null {
  const t = none(v)
  if (!t) return null
  return t
    .split(',')
    .map((g) => g.replace(/^gres[:/]/, '').replace(/\(.*\)$/, ''))
    .join(',')
}

const exitOf = (v: string | undefined): { exitCode: number | null; signal: number | null } => {
  const m = /^(\d+):(\d+)$/.exec((v ?? '').trim())
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) || null } : { exitCode: null, signal: null }
}

/** Lines of `squeue --noheader --format=SQUEUE_FORMAT`. */
export function parseSqueue(text: string): SlurmJobInfo[] {
  const jobs: SlurmJobInfo[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const [id, name, state, reason, node, gres] = line.split('|')
    if (!id || !state) continue
    jobs.push({ jobId: id.trim(), name: none(name), state: state.trim(), reason: none(reason), node: none(node), gres: normaliseGres(gres), exitCode: null, signal: null })
  }
  return jobs
}

/** Lines of `sacct --noheader --parsable2 --format=SACCT_FORMAT`; job steps (`123.batch`) are left out. */
export function parseSacct(text: string): SlurmJobInfo[] {
  const jobs: SlurmJobInfo[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const [id, name, state, reason, node, exit] = line.split('|')
    if (!id || !state || id.includes('.')) continue
    jobs.push({ jobId: id.trim(), name: none(name), state: state.trim().split(/\s+/)[0]!, reason: none(reason), node: none(node), gres: null, ...exitOf(exit) })
  }
  return jobs
}

/** `scontrol show job ID` (one job, `Key=Value` pairs over several lines); null if it names none. */
export function parseScontrolJob(text: string): SlurmJobInfo | null {
  const kv = new Map<string, string>()
  // Values never contain spaces except a few free-text ones we do not read (Comment, Command with
  // arguments); a key is a word followed by `=` at the start of a token.
  for (const token of text.split(/\s+/)) {
    const i = token.indexOf('=')
    if (i > 0 && !kv.has(token.slice(0, i))) kv.set(token.slice(0, i), token.slice(i + 1))
  }
  const id = kv.get('JobId')
  const state = kv.get('JobState')
  if (!id || !state) return null
  const gres = kv.get('TresPerNode') ?? kv.get('Gres') ?? kv.get('TRES')?.split(',').filter((t) => t.startsWith('gres/')).join(',')
  return { jobId: id, name: none(kv.get('JobName')), state, reason: none(kv.get('Reason')), node: none(kv.get('NodeList')), gres: normaliseGres(gres?.replace(/=/g, ':')), ...exitOf(kv.get('ExitCode')) }
}

/** What a Slurm state means for the lab. */
export type SlurmPhase = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'preempted' | 'node-fail' | 'out-of-memory'

const PHASES: Record<string, SlurmPhase> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  SUSPENDED: 'running',
  RUNNING: 'running',
  COMPLETING: 'running',
  STAGE_OUT: 'running',
  SIGNALING: 'running',
  RESIZING: 'running',
  STOPPED: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  BOOT_FAIL: 'node-fail',
  NODE_FAIL: 'node-fail',
  DEADLINE: 'timeout',
  TIMEOUT: 'timeout',
  PREEMPTED: 'preempted',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  SPECIAL_EXIT: 'failed',
  OUT_OF_MEMORY: 'out-of-memory',
}

/** The phase of a state (`CANCELLED by 1000` counts as `CANCELLED`); unknown states count as running. */
export function phaseOf(state: string): SlurmPhase {
  return PHASES[state.trim().split(/[\s+]/)[0]!] ?? 'running'
}

/** Whether the job may still run (pending or running). */
export const isActive = (state: string): boolean => ['pending', 'running'].includes(phaseOf(state))

/**
 * Pending reasons that never resolve by waiting, with what to change. A job pending for one of
 * these is cancelled and its run fails with the sentence, instead of waiting forever.
 */
export const HOPELESS_REASONS: Record<string, string> = {
  PartitionTimeLimit: 'its time limit is above the partition\'s maximum: lower device.slurm.timeMinutes or pick another partition',
  PartitionNodeLimit: 'it asks for more nodes than the partition allows',
  // Slurm 22.05 reports a time limit above the partition's maximum this way too.
  PartitionConfig: 'it asks for more than the partition allows (time limit, CPUs, memory or GPUs): check device.slurm.timeMinutes, cpusPerTask, memGb and gpus against `sinfo -o "%P %l %c %m %G"`',
  InvalidAccount: 'the account is not valid for this user: fix device.slurm.account (`sacctmgr show assoc user=$USER`)',
  InvalidQOS: 'the QoS is not valid for this account: fix device.slurm.qos',
  BadConstraints: 'no node has the features or resources it asks for: check device.slurm.gpus, gpuType and extraArgs',
  DependencyNeverSatisfied: 'a job it depends on failed',
  QOSMaxWallDurationPerJobLimit: 'its time limit is above what the QoS allows: lower device.slurm.timeMinutes',
  AssocMaxWallDurationLimit: 'its time limit is above what the account allows: lower device.slurm.timeMinutes',
}

/** A pending reason in words, for the Runs view. */
export function describeReason(reason: string | null): string | null {
  if (!reason) return null
  const words: Record<string, string> = {
    Resources: 'waiting for free resources',
    Priority: 'waiting behind jobs of higher priority',
    BeginTime: 'waiting for its start time',
    Dependency: 'waiting for a job it depends on',
    JobHeldUser: 'held by the user (scontrol release)',
    JobHeldAdmin: 'held by an administrator',
    ReqNodeNotAvail: 'the nodes it needs are down, drained or reserved',
    QOSMaxJobsPerUserLimit: 'at the QoS limit of running jobs per user',
    AssocGrpGRES: 'at the account\'s GPU limit',
    NonZeroExitCode: 'the script exited with an error',
  }
  return HOPELESS_REASONS[reason] ?? words[reason] ?? reason
}
