// Handlers of the environment domain: status (files only), doctor's report, and set-up / repair
// of the managed environment with progress events. One set-up at a time per service; the
// environment folder's own lock also keeps a CLI `xlab doctor` from building it at the same time.
import { ApiError, type Handlers } from '../api/contract.ts'
import type { environmentApi } from '../api/environment.ts'
import { doctorChecks } from '../doctor/checks.ts'
import { environmentFacts } from '../doctor/environment-checks.ts'
import { runDoctor } from '../doctor/report.ts'
import { engineEnvironment, environmentLayout } from '../environment/locations.ts'
import { EnvironmentError, readState, setupEnvironment } from '../environment/manager.ts'
import { readVerification, type Verification } from '../environment/verify.ts'
import type { DomainFactory, LabContext } from './context.ts'

/** The environment as the status method reports it; `checked` is doctor's last verification in this service. */
function status(busy: boolean, checked: Verification | null) {
  const engine = engineEnvironment()
  const state = engine.source === 'managed' ? readState(engine.envDir) : null
  return {
    python: engine.python,
    source: engine.source,
    envDir: engine.envDir,
    installed: state && { lock: state.lock, variant: state.variant, tool: state.tool, toolVersion: state.toolVersion, installedAt: state.installedAt },
    // A managed environment keeps its last verification on disk; another Python has only this service's.
    verification: engine.source === 'managed' ? readVerification(environmentLayout(engine.envDir).verification) : checked,
    busy,
    needsSetup: engine.source === 'managed' && state === null,
  }
}

export const environmentDomain: DomainFactory = (ctx: LabContext) => {
  let running: Promise<unknown> | null = null
  let checked: Verification | null = null
  const handlers: Handlers<typeof environmentApi> = {
    'environment.status': async () => status(running !== null, checked),
    'environment.doctor': async () => {
      const environment = await environmentFacts(ctx.dataRoot)
      checked = environment.verification
      return runDoctor(doctorChecks, { dataRoot: ctx.dataRoot, environment })
    },
    'environment.setup': async ({ repair }, call) => {
      const engine = engineEnvironment()
      if (engine.source !== 'managed') throw new ApiError('BAD_REQUEST', `The engine runs on ${engine.python} (${engine.source === 'env' ? 'XLAB_PYTHON' : "the checkout's .venv"}); the lab does not rebuild a Python it did not create. Unset XLAB_PYTHON to use the managed environment.`)
      if (running) throw new ApiError('BUSY', 'The engine environment is being set up already; wait for it to finish.')
      const job = setupEnvironment({ envDir: engine.envDir, dataRoot: ctx.dataRoot, repair, signal: call.signal, onProgress: (p) => ctx.events.emit('onEnvironmentProgress', p) })
      running = job
      try {
        const r = await job
        ctx.log('environment', `${r.action}: ${r.envDir} (${r.choice.file})`)
        return { action: r.action, status: status(false, checked) }
      } catch (e) {
        if (e instanceof EnvironmentError) throw new ApiError(e.code, e.message)
        throw e
      } finally {
        running = null
      }
    },
  }
  return { handlers }
}
