// What `nvidia-smi` says about the NVIDIA GPUs of this machine: index, name, memory, the driver
// version and the highest CUDA version that driver supports. Parsing is separate from running the
// tool, so recorded outputs of several drivers are unit-tested (tests/core/environment/).
import { spawnSync } from 'node:child_process'

/** One GPU as `nvidia-smi --query-gpu` lists it. */
export interface NvidiaGpu {
  /** nvidia-smi's index (the number CUDA_VISIBLE_DEVICES uses in PCI order). */
  index: number
  /** Product name, e.g. `NVIDIA H100 80GB HBM3`. */
  name: string
  /** Total memory in MiB (null where the driver reports `[N/A]`). */
  memoryTotalMiB: number | null
  /** Free memory in MiB at the time of the query (null where not reported). */
  memoryFreeMiB: number | null
  /** Stable GPU UUID (`GPU-...`), null where not reported. */
  uuid: string | null
}

/** Everything the lab needs from nvidia-smi. */
export interface NvidiaSmiReport {
  /** Driver version, e.g. `550.54.15` (the same for every GPU of a machine). */
  driverVersion: string
  /** Highest CUDA version the driver supports, e.g. `12.4` (header of plain `nvidia-smi`, else derived from the driver). */
  cudaVersion: string | null
  /** The GPUs, in index order. */
  gpus: NvidiaGpu[]
}

/** Why nvidia-smi gave no report (null report), for doctor's message. */
export type NvidiaSmiAbsence = { reason: 'not-installed' | 'failed' | 'no-gpus'; detail: string }

/** The `--query-gpu` fields in the order parseGpuQuery expects. */
export const GPU_QUERY_FIELDS = ['index', 'name', 'memory.total', 'memory.free', 'driver_version', 'uuid'] as const

/** Arguments of the machine-readable query. */
export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']

function mib(field: string | undefined): number | null {
  if (field === undefined) return null
  const v = Number(field.replace(/\s*MiB$/i, '').trim())
  return field.trim() !== '' && Number.isFinite(v) ? v : null
}

/**
 * Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free,driver_version,uuid
 * --format=csv,noheader,nounits`. Tolerates a header line and unit suffixes (`--format=csv`) and
 * `[N/A]` fields (MIG mode, some data-centre boards). Splitting on commas is safe: NVIDIA product
 * names contain none. Returns the driver version of the first GPU and the GPUs in index order.
 */
export function parseGpuQuery(text: string): { driverVersion: string | null; gpus: NvidiaGpu[] } {
  const gpus: NvidiaGpu[] = []
  let driverVersion: string | null = null
  for (const line of text.split(/\r?\n/)) {
    const cols = line.split(',').map((c) => c.trim())
    if (cols.length < 5 || !/^\d+$/.test(cols[0]!)) continue
    const [index, name, total, free, driver, uuid] = cols
    gpus.push({
      index: Number(index),
      name: name!,
      memoryTotalMiB: mib(total),
      memoryFreeMiB: mib(free),
      uuid: uuid && uuid.startsWith('GPU-') ? uuid : null,
    })
    if (!driverVersion && driver && /^\d+(\.\d+)+$/.test(driver)) driverVersion = driver
  }
  return { driverVersion, gpus: gpus.sort((a, b) => a.index - b.index) }
}

/** The `CUDA Version: 12.4` of plain `nvidia-smi`'s header (or `CUDA Version : 12.4` of `-q`); null if absent. */
export function parseCudaVersion(text: string): string | null {
  const m = /CUDA Version\s*:\s*(\d+\.\d+)/.exec(text)
  return m ? m[1]! : null
}

// Minimum Linux driver of each CUDA toolkit release (NVIDIA's CUDA release notes, table 3):
// used only when nvidia-smi's header is unavailable (very old tools print no CUDA version).
const CUDA_MIN_DRIVER: [cuda: string, driver: string][] = [
  ['13.0', '580.65.06'],
  ['12.9', '575.51.03'],
  ['12.8', '570.26'],
  ['12.6', '560.28.03'],
  ['12.5', '555.42.02'],
  ['12.4', '550.54.14'],
  ['12.3', '545.23.06'],
  ['12.2', '535.54.03'],
  ['12.1', '530.30.02'],
  ['12.0', '525.60.13'],
  ['11.8', '520.61.05'],
  ['11.7', '515.43.04'],
  ['11.6', '510.39.01'],
  ['11.4', '470.42.01'],
  ['11.0', '450.36.06'],
]

/** Compares dotted version strings numerically (`550.54.14` > `550.9`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** The highest CUDA version a driver supports, from NVIDIA's minimum-driver table; null if older than CUDA 11. */
export function cudaForDriver(driver: string): string | null {
  return CUDA_MIN_DRIVER.find(([, min]) => compareVersions(driver, min) >= 0)?.[0] ?? null
}

/** Combines the two outputs into one report; null when no GPU was listed. */
export function parseNvidiaSmi(queryText: string, headerText: string): NvidiaSmiReport | null {
  const { driverVersion, gpus } = parseGpuQuery(queryText)
  if (gpus.length === 0 || !driverVersion) return null
  return { driverVersion, cudaVersion: parseCudaVersion(headerText) ?? cudaForDriver(driverVersion), gpus }
}

/** How to run a command; the default is spawnSync, tests pass recorded outputs. */
export type CommandRunner = (cmd: string, args: string[]) => { status: number | null; stdout: string; stderr: string; error?: Error }

const spawnRunner: CommandRunner = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 })
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error }
}

/**
 * Runs nvidia-smi twice (the query for the GPUs, the plain view for its CUDA header) and parses it.
 * Returns the report, or why there is none.
 */
export function queryNvidiaSmi(run: CommandRunner = spawnRunner): NvidiaSmiReport | NvidiaSmiAbsence {
  const q = run('nvidia-smi', GPU_QUERY_ARGS)
  if (q.error && (q.error as NodeJS.ErrnoException).code === 'ENOENT') return { reason: 'not-installed', detail: 'nvidia-smi is not on the PATH (no NVIDIA driver installed)' }
  if (q.status !== 0) {
    const msg = (q.stderr || q.stdout).trim().split('\n')[0] || `exit ${q.status}`
    return { reason: 'failed', detail: `nvidia-smi failed: ${msg}` }
  }
  const header = run('nvidia-smi', [])
  const report = parseNvidiaSmi(q.stdout, header.status === 0 ? header.stdout : '')
  return report ?? { reason: 'no-gpus', detail: 'nvidia-smi lists no GPU' }
}

/** True when queryNvidiaSmi found GPUs. */
export function isNvidiaReport(r: NvidiaSmiReport | NvidiaSmiAbsence): r is NvidiaSmiReport {
  return 'gpus' in r
}

/**
 * The GPUs a process will see under CUDA_VISIBLE_DEVICES (indices or UUIDs, comma-separated; an
 * empty value hides all; the list stops at the first entry that matches no GPU, as CUDA does).
 */
export function visibleGpus(gpus: NvidiaGpu[], cudaVisibleDevices: string | undefined): NvidiaGpu[] {
  if (cudaVisibleDevices === undefined) return gpus
  const out: NvidiaGpu[] = []
  for (const raw of cudaVisibleDevices.split(',')) {
    const id = raw.trim()
    if (id === '') break
    const gpu = /^\d+$/.test(id) ? gpus.find((g) => g.index === Number(id)) : gpus.find((g) => g.uuid !== null && g.uuid.startsWith(id))
    if (!gpu || out.includes(gpu)) break
    out.push(gpu)
  }
  return out
}
