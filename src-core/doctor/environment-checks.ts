// Doctor's sections about the engine: the accelerator and the build chosen for it, the engine's
// Python environment, the last verification (versions, device, GPU memory, the bf16/fp16
// convolution) and the data root's free disk space.
import { LOW_DISK_WARN_BYTES } from '../util/disk-space.ts'
import { existsSync } from 'node:fs'
import { detectAccelerator, describeAccelerator, type Accelerator } from '../environment/accelerator.ts'
import { chooseBuild, type BuildChoice } from '../environment/build-choice.ts'
import { engineEnvironment, environmentLayout, type EnginePythonChoice } from '../environment/locations.ts'
import { readState, type EnvironmentState } from '../environment/manager.ts'
import { labResources } from '../environment/resources.ts'
import { diskSpace, readVerification, verifyEnvironment, writeVerification, type Verification } from '../environment/verify.ts'
import { formatBytes, type DoctorCheck, type DoctorContext, type DoctorSection } from './report.ts'

/** What the engine sections read, gathered once. */
export interface EnvironmentFacts {
  /** Which Python and why. */
  engine: EnginePythonChoice
  /** The managed environment's install record (null: not installed, or not managed). */
  state: EnvironmentState | null
  /** Detected accelerator. */
  accelerator: Accelerator
  /** The build for it, or why there is none. */
  choice: BuildChoice | { error: string }
  /** The verification (fresh unless the caller passed the stored one). */
  verification: Verification | null
}

/** Doctor's context with the engine facts. */
export interface EngineDoctorContext extends DoctorContext {
  /** The engine facts. */
  environment: EnvironmentFacts
}

/** Below this much free space on the data root, doctor warns (one demo study needs ~1 GB, a paper study far more). */
export const LOW_DISK_BYTES = LOW_DISK_WARN_BYTES

/** Gathers the facts; `verify: false` reads the last stored verification instead of running one. */
export async function environmentFacts(dataRoot: string, opts: { verify?: boolean; verification?: Verification; accelerator?: Accelerator } = {}): Promise<EnvironmentFacts> {
  const engine = engineEnvironment()
  const accelerator = opts.accelerator ?? detectAccelerator()
  let choice: EnvironmentFacts['choice']
  try {
    choice = chooseBuild(accelerator, process.platform, process.arch)
  } catch (e) {
    choice = { error: (e as Error).message }
  }
  const stored = environmentLayout(engine.envDir).verification
  let verification = opts.verification ?? null
  if (!verification && opts.verify !== false) {
    verification = await verifyEnvironment({ python: engine.python, engineDir: labResources().engineDir, dataRoot })
    // Kept as the environment's last verification only where there is an environment to describe.
    if (engine.source === 'managed' && existsSync(engine.python)) writeVerification(stored, verification)
  }
  if (!verification && engine.source === 'managed') verification = readVerification(stored)
  return { engine, state: engine.source === 'managed' ? readState(engine.envDir) : null, accelerator, choice, verification }
}

const gib = (bytes: number | null | undefined) => (bytes == null ? 'unknown' : `${(bytes / 1024 ** 3).toFixed(1)} GiB`)

function acceleratorSection({ environment: f }: EngineDoctorContext): DoctorSection {
  const a = f.accelerator
  const rows: [string, string][] = [['found', describeAccelerator(a)]]
  if (a.kind === 'cuda') {
    rows.push(['driver', a.driverVersion], ['max CUDA', a.cudaVersion ?? 'unknown'])
    for (const g of a.gpus) rows.push([`GPU ${g.index}`, `${g.name}, ${g.memoryFreeMiB ?? '?'} / ${g.memoryTotalMiB ?? '?'} MiB free`])
  }
  const notes = 'error' in f.choice ? [f.choice.error] : f.choice.warnings
  if (!('error' in f.choice)) rows.push(['PyTorch build', `${f.choice.file} (${f.choice.reason})`])
  return { id: 'accelerator', title: 'Accelerator', status: 'error' in f.choice ? 'fail' : notes.length ? 'warn' : 'ok', rows, notes, data: { accelerator: a, choice: f.choice } }
}

function environmentSection({ environment: f }: EngineDoctorContext): DoctorSection {
  const why = { env: 'XLAB_PYTHON', dev: 'the checkout\'s .venv (npm run setup)', managed: 'the managed environment' }[f.engine.source]
  const rows: [string, string][] = [['python', f.engine.python], ['chosen by', why], ['managed env', f.engine.envDir]]
  const notes: string[] = []
  let status: DoctorSection['status'] = 'ok'
  if (f.state) {
    rows.push(['installed', `${f.state.lock} with ${f.state.toolVersion}, ${f.state.installedAt}`])
    if (!('error' in f.choice) && f.choice.file !== f.state.lock) {
      status = 'warn'
      notes.push(`This machine now calls for ${f.choice.file}; run \`xlab doctor --repair\` to rebuild the environment with it.`)
    }
  } else if (f.engine.source === 'managed') {
    status = 'fail'
    notes.push('The engine environment is not set up. Run `xlab doctor` (it sets it up) or open the app.')
  }
  return { id: 'environment', title: 'Engine environment', status, rows, notes, data: { engine: f.engine, state: f.state } }
}

function engineSection({ environment: f }: EngineDoctorContext): DoctorSection {
  const v = f.verification
  if (!v) return { id: 'engine', title: 'Engine check', status: 'fail', rows: [], notes: ['No verification has run yet.'] }
  const rows: [string, string][] = [['checked', v.at]]
  for (const k of ['python', 'torch', 'torchvision', 'numpy', 'xlab']) if (v.versions[k]) rows.push([k, String(v.versions[k])])
  if (v.versions.cuda_build) rows.push(['torch CUDA', String(v.versions.cuda_build)])
  if (v.versions.hip_build) rows.push(['torch ROCm', String(v.versions.hip_build)])
  if (v.device) rows.push(['device', `${String(v.device.type)}: ${String(v.device.name)}${Number(v.device.count) > 1 ? ` (x${String(v.device.count)})` : ''}`])
  for (const g of v.gpus) rows.push([`cuda:${g.index}`, `${g.name} (sm ${g.capability}), ${gib(g.memory_free_bytes)} free of ${gib(g.memory_total_bytes)}`])
  if (v.conv) rows.push(['conv check', `${v.conv.dtype} forward+backward ${v.conv.ok ? `ok (${v.conv.seconds} s)` : `failed: ${v.conv.error}`}`])
  return { id: 'engine', title: 'Engine check', status: v.ok ? 'ok' : 'fail', rows, notes: v.errors, data: v }
}

function diskSection({ dataRoot, environment: f }: EngineDoctorContext): DoctorSection {
  const d = f.verification?.disk ?? diskSpace(dataRoot)
  if (!d) return { id: 'disk', title: 'Disk', status: 'warn', rows: [['data root', dataRoot]], notes: ['The free space of the data root could not be read (does the folder exist?).'] }
  const low = d.freeBytes < LOW_DISK_BYTES
  return {
    id: 'disk',
    title: 'Disk',
    status: low ? 'warn' : 'ok',
    rows: [['data root', d.path], ['free', `${formatBytes(d.freeBytes)} of ${formatBytes(d.totalBytes)}`]],
    notes: low ? [`Less than ${formatBytes(LOW_DISK_BYTES)} free: dataset caches and checkpoints of a full study may not fit.`] : [],
    data: d,
  }
}

/** The engine's sections, in report order. */
export const environmentChecks: DoctorCheck<EngineDoctorContext>[] = [
  { id: 'accelerator', title: 'Accelerator', run: acceleratorSection },
  { id: 'environment', title: 'Engine environment', run: environmentSection },
  { id: 'engine', title: 'Engine check', run: engineSection },
  { id: 'disk', title: 'Disk', run: diskSection },
]
