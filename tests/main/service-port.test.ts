// The utilityProcess side: ports from main become wire sessions; 'allow' reaches the PathGuard.
import { describe, expect, it } from 'vitest'
import { serveParentPort, type ParentPortLike, type ServicePortLike } from '../../src-main/service-port.ts'
import { fakeService } from '../core/server/fake-service.ts'

describe('service parent port', () => {
  it('serves each connected window and applies folder grants and shutdown', async () => {
    const svc = fakeService()
    let control: ((e: { data: unknown; ports: ServicePortLike[] }) => void) | undefined
    const parent: ParentPortLike = { on: (_e, l) => (control = l) }
    let closed = 0
    let down = false
    serveParentPort(parent, { ...svc, close: async () => void closed++ }, () => (down = true))
    const sent: unknown[] = []
    const listeners: Record<string, (e?: { data: unknown }) => void> = {}
    const port = { postMessage: (m: unknown) => sent.push(m), on: (ev: string, l: never) => (listeners[ev] = l), start: () => {} } as unknown as ServicePortLike
    control!({ data: { type: 'connect' }, ports: [port] })
    listeners.message!({ data: { kind: 'request', id: '1', method: 'echo', input: 5 } })
    await new Promise((r) => setTimeout(r, 5))
    expect(sent).toEqual([{ kind: 'response', id: '1', ok: true, result: 5 }])

    const dir = process.cwd()
    expect(() => svc.ctx.pathGuard.check(dir)).toThrow()
    control!({ data: { type: 'allow', dir }, ports: [] })
    expect(svc.ctx.pathGuard.check(dir)).toBe(dir)

    control!({ data: { type: 'shutdown' }, ports: [] })
    await new Promise((r) => setTimeout(r, 5))
    expect(closed).toBe(1)
    expect(down).toBe(true)
  })
})
