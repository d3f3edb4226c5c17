// Which PyTorch build an environment gets: one locked requirement file per platform and
// accelerator (engine/locks/<os>-<arch>-<variant>.txt, checked in). For NVIDIA the CUDA variant is
// the newest one the driver supports (a wheel built for a newer CUDA than the driver fails at the
// first kernel launch); a driver too old for every variant, or a platform without a GPU lock,
// gets the CPU build and a warning saying what to update. CUDA's minor-version compatibility
// (12.x wheels on any 12.x driver) is deliberately not relied on: it breaks PTX JIT, which
// PyTorch uses for GPUs newer than its prebuilt kernels.
import { compareVersions } from './nvidia-smi.ts'
import type { Accelerator } from './accelerator.ts'

/** One locked requirement file. */
export interface LockVariant {
  /** process.platform it is for. */
  os: 'linux' | 'win32' | 'darwin'
  /** process.arch it is for. */
  arch: 'x64' | 'arm64'
  /** cpu, cuXYZ, rocmX.Y or mps. */
  variant: string
  /** Accelerator kind it serves. */
  kind: Accelerator['kind']
  /** CUDA or ROCm version of the wheels (null for CPU and MPS). */
  runtime: string | null
  /** Index holding these wheels beside PyPI (null: PyPI's own wheels are this build). */
  torchIndex: string | null
}

const PT = 'https://download.pytorch.org/whl'

/** Every lock file in engine/locks, newest CUDA first within a platform (tests check files and table agree). */
export const LOCK_VARIANTS: LockVariant[] = [
  // PyPI's Linux x86_64 torch wheels are the CUDA 13.0 build.
  { os: 'linux', arch: 'x64', variant: 'cu130', kind: 'cuda', runtime: '13.0', torchIndex: null },
  { os: 'linux', arch: 'x64', variant: 'cu128', kind: 'cuda', runtime: '12.8', torchIndex: `${PT}/cu128` },
  { os: 'linux', arch: 'x64', variant: 'cu126', kind: 'cuda', runtime: '12.6', torchIndex: `${PT}/cu126` },
  { os: 'linux', arch: 'x64', variant: 'cu118', kind: 'cuda', runtime: '11.8', torchIndex: `${PT}/cu118` },
  { os: 'linux', arch: 'x64', variant: 'rocm6.4', kind: 'rocm', runtime: '6.4', torchIndex: `${PT}/rocm6.4` },
  // PyPI's wheels again (see the lock's header: the +cpu wheels cannot be verified here).
  { os: 'linux', arch: 'x64', variant: 'cpu', kind: 'cpu', runtime: null, torchIndex: null },
  { os: 'linux', arch: 'arm64', variant: 'cpu', kind: 'cpu', runtime: null, torchIndex: `${PT}/cpu` },
  { os: 'win32', arch: 'x64', variant: 'cu128', kind: 'cuda', runtime: '12.8', torchIndex: `${PT}/cu128` },
  { os: 'win32', arch: 'x64', variant: 'cu126', kind: 'cuda', runtime: '12.6', torchIndex: `${PT}/cu126` },
  // PyPI's Windows and macOS wheels are CPU (and, on Apple silicon, MPS) builds.
  { os: 'win32', arch: 'x64', variant: 'cpu', kind: 'cpu', runtime: null, torchIndex: null },
  { os: 'darwin', arch: 'arm64', variant: 'mps', kind: 'mps', runtime: null, torchIndex: null },
]

/** File name of a lock in engine/locks. */
export const lockFileName = (v: LockVariant) => `${v.os}-${v.arch}-${v.variant}.txt`

/** The decision and the reasons a person sees in doctor's report. */
export interface BuildChoice {
  /** The lock to install. */
  lock: LockVariant
  /** Its file name in engine/locks. */
  file: string
  /** Why this one, in a sentence. */
  reason: string
  /** Problems worth acting on (old driver, unsupported GPU platform). */
  warnings: string[]
}

/** Chooses the lock for an accelerator on a platform; throws when the platform has no lock at all. */
export function chooseBuild(acc: Accelerator, platform: string, arch: string): BuildChoice {
  const here = LOCK_VARIANTS.filter((v) => v.os === platform && v.arch === arch)
  const cpu = here.find((v) => v.kind === 'cpu')
  const pick = (lock: LockVariant, reason: string, warnings: string[] = []): BuildChoice => ({ lock, file: lockFileName(lock), reason, warnings })
  const fallback = (why: string): BuildChoice => {
    if (!cpu) throw new Error(`There is no locked PyTorch build for ${platform}-${arch}: ${why}. Set XLAB_PYTHON to a Python with torch>=2.4 installed.`)
    return pick(cpu, `CPU build: ${why}`, [why])
  }
  if (!cpu && here.length === 0) throw new Error(`There is no locked PyTorch build for ${platform}-${arch}. Set XLAB_PYTHON to a Python with torch>=2.4 installed.`)
  switch (acc.kind) {
    case 'cuda': {
      const cudas = here.filter((v) => v.kind === 'cuda')
      if (cudas.length === 0) return fallback(`the lab ships no CUDA build for ${platform}-${arch}`)
      if (!acc.cudaVersion) return fallback(`NVIDIA driver ${acc.driverVersion} is older than every CUDA build the lab ships (oldest: CUDA ${cudas.at(-1)!.runtime}); update the driver to use the GPU`)
      const fit = cudas.find((v) => compareVersions(v.runtime!, acc.cudaVersion!) <= 0)
      if (!fit) return fallback(`NVIDIA driver ${acc.driverVersion} supports CUDA up to ${acc.cudaVersion}, older than every CUDA build the lab ships (oldest: CUDA ${cudas.at(-1)!.runtime}); update the driver to use the GPU`)
      const newer = cudas[0]!
      const warnings = fit === newer ? [] : [`driver ${acc.driverVersion} supports CUDA ${acc.cudaVersion}; a driver for CUDA ${newer.runtime} would get the newest build (${newer.variant})`]
      return pick(fit, `CUDA ${fit.runtime} build: the newest the lab ships that NVIDIA driver ${acc.driverVersion} (CUDA ${acc.cudaVersion}) supports`, warnings)
    }
    case 'rocm': {
      const rocm = here.find((v) => v.kind === 'rocm')
      if (!rocm) return fallback(`the lab ships no ROCm build for ${platform}-${arch}`)
      const warnings = acc.rocmVersion && compareVersions(acc.rocmVersion, rocm.runtime!) < 0 ? [`ROCm ${acc.rocmVersion} is installed; the build is for ROCm ${rocm.runtime} (its runtime is bundled, but the kernel driver should be as new)`] : []
      return pick(rocm, `ROCm ${rocm.runtime} build for ${acc.gpus.map((g) => g.name).join(', ')}`, warnings)
    }
    case 'mps': {
      const mps = here.find((v) => v.kind === 'mps')
      return mps ? pick(mps, `macOS build with Metal (MPS) for ${acc.chip}`) : fallback('no MPS build for this platform')
    }
    case 'cpu': {
      // PyPI's macOS wheels are one build for CPU and MPS alike.
      const lock = cpu ?? here.find((v) => v.kind === 'mps')
      if (!lock) throw new Error(`There is no CPU build for ${platform}-${arch}. Set XLAB_PYTHON to a Python with torch>=2.4 installed.`)
      return pick(lock, `CPU build: ${acc.note}`)
    }
  }
}
