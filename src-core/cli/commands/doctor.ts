// `xlab doctor`: sets the engine environment up when it is missing (or rebuilds it with
// --repair), verifies it, and prints the report: accelerator, build, environment, engine check,
// disk, and whatever other sections src-core/doctor/checks.ts lists.
import { resolveDataRoot } from '../../config/paths.ts'
import { doctorChecks } from '../../doctor/checks.ts'
import { environmentFacts } from '../../doctor/environment-checks.ts'
import { formatDoctorReport, runDoctor } from '../../doctor/report.ts'
import { detectAccelerator } from '../../environment/accelerator.ts'
import { engineEnvironment } from '../../environment/locations.ts'
import { EnvironmentError, readState, setupEnvironment } from '../../environment/manager.ts'
import type { SetupProgress } from '../../environment/progress.ts'
import type { Verification } from '../../environment/verify.ts'
import { flagString, type CliArgs } from '../args.ts'

const HELP = `usage: xlab doctor [--json] [--repair] [--no-setup] [--accelerator cpu] [--data DIR]

Checks that this machine can train: the accelerator (NVIDIA driver and CUDA, ROCm, Apple MPS),
the PyTorch build chosen for it, the engine's Python environment (created in the per-user data
folder on first use, never inside the app), a bf16/fp16 convolution on the device, and the free
disk space of the data root.
  --json            print the report as JSON (progress still goes to stderr)
  --repair          rebuild the managed environment from its locked requirements (datasets and runs are not touched)
  --no-setup        only report; do not create a missing environment
  --accelerator K   build for K instead of what was detected (cpu; or XLAB_ACCELERATOR)
Exit code: 0 when nothing failed, 1 otherwise.
`

function printProgress(p: SetupProgress): void {
  const size = p.doneBytes ? ` [${(p.doneBytes / 1e6).toFixed(0)} MB so far]` : ''
  process.stderr.write(`[doctor] ${p.phase}: ${p.message}${size}\n`)
}

export async function run(args: CliArgs): Promise<number> {
  if (args.flags.help) {
    process.stdout.write(HELP)
    return 0
  }
  const dataRoot = resolveDataRoot(flagString(args, 'data'))
  const forced = flagString(args, 'accelerator')
  if (forced) process.env.XLAB_ACCELERATOR = forced
  const engine = engineEnvironment()
  const accelerator = detectAccelerator()
  let verification: Verification | undefined
  const wantsSetup = engine.source === 'managed' && (args.flags.repair === true || (!readState(engine.envDir) && args.flags['no-setup'] !== true))
  if (args.flags.repair === true && engine.source !== 'managed') {
    process.stderr.write(`[doctor] --repair rebuilds only the managed environment; the engine uses ${engine.python} (${engine.source === 'env' ? 'XLAB_PYTHON' : 'the checkout\'s .venv'}), which is left alone.\n`)
  }
  if (wantsSetup) {
    try {
      const r = await setupEnvironment({ envDir: engine.envDir, dataRoot, accelerator, repair: args.flags.repair === true, onProgress: printProgress })
      process.stderr.write(`[doctor] environment ${r.action}: ${r.envDir}\n`)
      verification = r.verification
    } catch (e) {
      if (!(e instanceof EnvironmentError)) throw e
      process.stderr.write(`[doctor] ${e.message}\n`)
    }
  }
  const environment = await environmentFacts(dataRoot, { verification, accelerator })
  const report = await runDoctor(doctorChecks, { dataRoot, environment })
  process.stdout.write(args.flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report))
  return report.ok ? 0 : 1
}
