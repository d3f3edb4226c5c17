// Wire sessions: ids, errors, cancellation, events, disconnects.
import { describe, expect, it } from 'vitest'
import { openWireSession, type OutgoingMessage } from '../../../src-core/server/wire-session.ts'
import { fakeService } from './fake-service.ts'

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('wire session', () => {
  it('answers requests by id and reports errors with their code', async () => {
    const svc = fakeService()
    const out: OutgoingMessage[] = []
    const s = openWireSession(svc, (m) => out.push(m))
    s.receive({ kind: 'request', id: 'a', method: 'echo', input: { x: 1 } })
    s.receive({ kind: 'request', id: 'b', method: 'fail', input: {} })
    s.receive({ kind: 'request', id: 'c', method: 'crash', input: {} })
    await tick()
    expect(out).toContainEqual({ kind: 'response', id: 'a', ok: true, result: { x: 1 } })
    expect(out).toContainEqual({ kind: 'response', id: 'b', ok: false, error: { code: 'NOT_FOUND', message: 'No such thing.' } })
    const crash = out.find((m) => m.kind === 'response' && m.id === 'c')
    expect(crash).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })

  it('cancels a running request and tells the caller', async () => {
    const svc = fakeService()
    const out: OutgoingMessage[] = []
    const s = openWireSession(svc, (m) => out.push(m))
    s.receive({ kind: 'request', id: '7', method: 'slow', input: {} })
    await tick()
    s.receive({ kind: 'cancel', id: '7' })
    await tick()
    expect(svc.seen[0]!.ctx.signal.aborted).toBe(true)
    expect(out).toEqual([{ kind: 'response', id: '7', ok: false, error: { code: 'CANCELLED', message: 'Cancelled by the caller.' } }])
  })

  it('refuses malformed messages and duplicate ids', async () => {
    const svc = fakeService()
    const out: OutgoingMessage[] = []
    const s = openWireSession(svc, (m) => out.push(m))
    s.receive(null)
    s.receive({ kind: 'request', method: 'echo' })
    s.receive({ kind: 'bogus', id: 'x' })
    s.receive({ kind: 'request', id: 'd', method: 'slow', input: {} })
    s.receive({ kind: 'request', id: 'd', method: 'echo', input: {} })
    await tick()
    expect(out.map((m) => m.kind === 'response' && m.id)).toEqual(['x', 'd'])
    expect(out.every((m) => m.kind === 'response' && !m.ok && m.error.code === 'BAD_REQUEST')).toBe(true)
    svc.release()
  })

  it('forwards events until closed, and closing aborts requests in flight', async () => {
    const svc = fakeService()
    const out: OutgoingMessage[] = []
    const s = openWireSession(svc, (m) => out.push(m))
    svc.events.emit('onRunState' as never, { runId: 'r1', studyId: 's', state: 'running' } as never)
    s.receive({ kind: 'request', id: 'e', method: 'slow', input: {} })
    await tick()
    s.close()
    svc.events.emit('onRunState' as never, { runId: 'r2' } as never)
    await tick()
    expect(out).toEqual([{ kind: 'event', event: 'onRunState', payload: { runId: 'r1', studyId: 's', state: 'running' } }])
    expect(svc.seen[0]!.ctx.signal.aborted).toBe(true)
  })
})
