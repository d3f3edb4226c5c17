// A stand-in service for transport tests: methods whose timing the test controls.
import { ApiError, type CallContext } from '../../../src-core/api/contract.ts'
import { LabEvents } from '../../../src-core/service/events.ts'
import { PathGuard } from '../../../src-core/service/path-guard.ts'
import type { LabContext } from '../../../src-core/service/lab-service.ts'

export function fakeService() {
  const events = new LabEvents()
  const seen: { method: string; ctx: CallContext }[] = []
  let release: (() => void) | undefined
  return {
    seen,
    release: () => release?.(),
    ctx: { events, pathGuard: new PathGuard(false), log: () => {} } as unknown as LabContext,
    events,
    async dispatch(method: string, input: unknown, ctx: CallContext): Promise<unknown> {
      seen.push({ method, ctx })
      if (method === 'echo') return input
      if (method === 'fail') throw new ApiError('NOT_FOUND', 'No such thing.')
      if (method === 'crash') throw new Error('boom')
      if (method === 'slow') {
        await new Promise<void>((resolve, reject) => {
          release = resolve
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
        })
        return 'slow done'
      }
      throw new ApiError('NOT_FOUND', `There is no API method called "${method}".`)
    },
  }
}
