// The sbatch script of one run: a plain file in the run folder that a person can read and submit
// by hand (`sbatch runs/<id>/slurm.sbatch`). The worker is exec'd, so it *is* the batch step's
// process and receives `--signal=B:USR2@N` and `scancel --batch --signal=TERM` directly (a child of
// a shell would not: Slurm signals the batch shell only). stdout (the protocol) is appended to
// `messages.jsonl`, which the lab tails; stderr goes to worker.log as it does locally.
import type { SlurmSettings } from '../../study/config.ts'

/** What the script needs to know about the run and the engine on the compute nodes. */
export interface SbatchScriptInput {
  /** Run id (job name `xlab-<id>`). */
  runId: string
  /** Human run name, written into the header comment. */
  runName: string
  /** Absolute run folder on the shared storage. */
  runDir: string
  /** Absolute job.json. */
  jobFile: string
  /** The engine's Python on the nodes. */
  python: string
  /** PYTHONPATH for the engine (its `engine/` folder). */
  enginePath: string
  /** Worker module (`xlab.worker`). */
  module: string
  /** torch threads (0: one per allocated CPU). */
  threads: number
  /** The study's Slurm settings, defaults filled in. */
  slurm: SlurmSettings
}

/** File names inside the run folder. */
export const SLURM_FILES = {
  script: 'slurm.sbatch',
  messages: 'messages.jsonl',
  state: 'slurm.json',
  log: 'worker.log',
} as const

/** Single-quotes a value for bash. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** `--gres` for the study's GPU request, or null on CPU-only jobs. */
export function gresOf(slurm: Pick<SlurmSettings, 'gpus' | 'gpuType'>): string | null {
  if (slurm.gpus <= 0) return null
  return slurm.gpuType ? `gpu:${slurm.gpuType}:${slurm.gpus}` : `gpu:${slurm.gpus}`
}

/** The `#SBATCH` options of a run, in the order they are written. */
export function sbatchOptions(input: SbatchScriptInput): string[] {
  const s = input.slurm
  const opts = [
    `--job-name=xlab-${input.runId}`,
    // %j: one file per submission, so a resubmitted job's Slurm messages stay apart.
    `--output=${input.runDir}/slurm-%j.out`,
    `--open-mode=append`,
    `--time=${s.timeMinutes}`,
    `--nodes=1`,
    `--ntasks=1`,
    `--cpus-per-task=${s.cpusPerTask}`,
    `--mem=${Math.ceil(s.memGb * 1024)}M`,
    // B: the batch step itself (the exec'd worker) gets the signal, a couple of minutes early.
    `--signal=B:USR2@${s.signalBeforeLimitS}`,
    // The lab resubmits a job stopped at its limit or preempted (and resumes it from last.pth);
    // Slurm requeueing it under the same id as well would run it twice.
    `--no-requeue`,
  ]
  const gres = gresOf(s)
  if (gres) opts.push(`--gres=${gres}`)
  if (s.partition) opts.push(`--partition=${s.partition}`)
  if (s.account) opts.push(`--account=${s.account}`)
  if (s.qos) opts.push(`--qos=${s.qos}`)
  opts.push(...s.extraArgs)
  return opts
}

/** The whole script. */
export function sbatchScript(input: SbatchScriptInput): string {
  const q = shellQuote
  const threads = input.threads > 0 ? String(input.threads) : '${SLURM_CPUS_PER_TASK:-1}'
  const lines = [
    '#!/bin/bash',
    `# X-Ray SSL Lab: run ${input.runId} (${input.runName.replace(/\s+/g, ' ')}).`,
    '# Written by the lab; submit it by hand with `sbatch` from any folder. Protocol messages are',
    `# appended to ${SLURM_FILES.messages}, stderr to ${SLURM_FILES.log}; a job.json whose run folder holds last.pth resumes.`,
    ...sbatchOptions(input).map((o) => `#SBATCH ${o}`),
    '',
    'set -e',
    `cd ${q(input.runDir)}`,
    ...input.slurm.setup,
    `export PYTHONPATH=${q(input.enginePath)} PYTHONUNBUFFERED=1`,
    // The BLAS pools are sized at torch import, before the job is read.
    `export OMP_NUM_THREADS=${threads} MKL_NUM_THREADS=${threads}`,
    `echo "slurm job $SLURM_JOB_ID on $(hostname) at $(date -u +%FT%TZ)" >> ${q(SLURM_FILES.log)}`,
    `exec ${q(input.python)} -m ${q(input.module)} --job ${q(input.jobFile)} >> ${q(SLURM_FILES.messages)} 2>> ${q(SLURM_FILES.log)}`,
    '',
  ]
  return lines.join('\n')
}
