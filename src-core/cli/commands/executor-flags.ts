// `xlab study create|run|plan` flags that choose where a study's jobs run (device.executor and the
// device.slurm block). They are laid over the config from --config/--preset; the study schema then
// checks the values and names the field when one is wrong.
import { flagList, flagNumber, flagString, type CliArgs } from '../args.ts'

export const EXECUTOR_HELP = `  where jobs run (over the config's device settings):
    --executor local|slurm        worker processes here, or one sbatch job per run
    --partition P --account A --qos Q --time MINUTES --cpus N --mem GB --gpus N --gpu-type T
                                  the Slurm job request (any of them implies --executor slurm)
    --slurm-python PATH           the engine's Python on the compute nodes (default: this one)
    --slurm-setup LINE            a shell line before the worker, e.g. "module load cuda" (repeatable)
    --sbatch-arg ARG              a further sbatch option, e.g. --sbatch-arg=--constraint=a100 (repeatable)
`

const bad = (message: string) => Object.assign(new Error(message), { code: 'BAD_REQUEST' })

/** Flag -> device.slurm field, for the ones that take one value. */
const SLURM_FLAGS = { partition: 'partition', account: 'account', qos: 'qos', 'slurm-python': 'python', 'gpu-type': 'gpuType' } as const
const SLURM_NUMBERS = { time: 'timeMinutes', cpus: 'cpusPerTask', mem: 'memGb', gpus: 'gpus' } as const
const SLURM_LISTS = { 'slurm-setup': 'setup', 'sbatch-arg': 'extraArgs' } as const

/** Whether any executor flag was given. */
export function hasExecutorFlags(args: CliArgs): boolean {
  return ['executor', ...Object.keys(SLURM_FLAGS), ...Object.keys(SLURM_NUMBERS), ...Object.keys(SLURM_LISTS)].some((k) => args.flags[k] !== undefined)
}

/** The config with the executor flags applied (a copy; the config itself is left alone). */
export function applyExecutorFlags(config: unknown, args: CliArgs): unknown {
  if (!hasExecutorFlags(args)) return config
  const cfg = { ...(config as Record<string, unknown>) }
  const device = { ...((cfg.device as Record<string, unknown> | undefined) ?? {}) }
  const slurm: Record<string, unknown> = { ...((device.slurm as Record<string, unknown> | undefined) ?? {}) }
  let slurmGiven = false
  for (const [flag, field] of Object.entries(SLURM_FLAGS)) {
    const v = flagString(args, flag)
    if (v !== undefined) [slurm[field], slurmGiven] = [v, true]
  }
  for (const [flag, field] of Object.entries(SLURM_NUMBERS)) {
    const v = flagNumber(args, flag)
    if (v !== undefined) [slurm[field], slurmGiven] = [v, true]
  }
  for (const [flag, field] of Object.entries(SLURM_LISTS)) {
    const v = flagList(args, flag)
    if (v.length) [slurm[field], slurmGiven] = [v, true]
  }
  const executor = flagString(args, 'executor')
  if (executor !== undefined && executor !== 'local' && executor !== 'slurm') throw bad(`--executor ${executor}: choose local or slurm.`)
  if (executor === 'local' && slurmGiven) throw bad('Slurm options (--partition, --time, --gpus, ...) were given with --executor local; leave out one or the other.')
  device.executor = executor ?? (slurmGiven ? 'slurm' : device.executor)
  if (slurmGiven || device.executor === 'slurm') device.slurm = slurm
  cfg.device = device
  return cfg
}
