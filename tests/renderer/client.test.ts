// The renderer's API client over a fake transport: ids, results, errors, cancellation, events.
import { describe, expect, it } from 'vitest'
import { LabError, createLabClient } from '../../src-renderer/api/client.ts'
import type { ClientMessage, ServerMessage, Transport, TransportStatus } from '../../src-renderer/api/transport.ts'
import { createWebSocketTransport, socketUrlFor } from '../../src-renderer/api/ws-transport.ts'

function fakeTransport() {
  const sent: ClientMessage[] = []
  let deliver: (m: ServerMessage) => void = () => {}
  let status: (s: TransportStatus) => void = () => {}
  const t: Transport = {
    send: (m) => sent.push(m),
    subscribe: (l) => ((deliver = l), () => {}),
    onStatus: (l) => ((status = l), () => {}),
  }
  return { t, sent, deliver: (m: ServerMessage) => deliver(m), status: (s: TransportStatus) => status(s) }
}

describe('API client', () => {
  it('matches responses to requests by id, in any order', async () => {
    const f = fakeTransport()
    const c = createLabClient(f.t)
    const a = c.call('studies.list', {})
    const b = c.call('studies.presets', {})
    expect(f.sent.map((m) => m.id)).toEqual(['1', '2'])
    f.deliver({ kind: 'response', id: '2', ok: true, result: 42 })
    f.deliver({ kind: 'response', id: '1', ok: true, result: [] })
    expect(await b).toBe(42 as never)
    expect(await a).toEqual([])
    expect(c.pending()).toBe(0)
  })

  it('rejects with the service code and sentence', async () => {
    const f = fakeTransport()
    const c = createLabClient(f.t)
    const p = c.call('studies.get', { id: 'nope' })
    f.deliver({ kind: 'response', id: '1', ok: false, error: { code: 'NOT_FOUND', message: 'No study "nope".' } })
    await expect(p).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'No study "nope".' })
    await expect(p).rejects.toBeInstanceOf(LabError)
  })

  it('sends a cancel when the signal aborts and rejects with CANCELLED', async () => {
    const f = fakeTransport()
    const c = createLabClient(f.t)
    const ctl = new AbortController()
    const p = c.call('studies.plan', { config: {} }, { signal: ctl.signal })
    ctl.abort()
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(f.sent.at(-1)).toEqual({ kind: 'cancel', id: '1' })
    f.deliver({ kind: 'response', id: '1', ok: true, result: {} })
    expect(c.pending()).toBe(0)
  })

  it('delivers events to their listeners until unsubscribed', () => {
    const f = fakeTransport()
    const c = createLabClient(f.t)
    const got: unknown[] = []
    const off = c.on('onRunState', (p) => got.push(p.runId))
    f.deliver({ kind: 'event', event: 'onRunState', payload: { runId: 'r1', studyId: 's', state: 'done' } })
    f.deliver({ kind: 'event', event: 'onOther', payload: {} })
    off()
    f.deliver({ kind: 'event', event: 'onRunState', payload: { runId: 'r2', studyId: 's', state: 'done' } })
    expect(got).toEqual(['r1'])
  })

  it('fails waiting calls when the connection is lost', async () => {
    const f = fakeTransport()
    const c = createLabClient(f.t)
    const p = c.call('studies.list', {})
    f.status({ state: 'closed', reason: 'server stopped' })
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' })
  })
})

describe('WebSocket transport', () => {
  it('builds the socket URL from the page URL and its token', () => {
    expect(socketUrlFor({ protocol: 'http:', host: '127.0.0.1:4780', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:4780/ws?token=a%2Bb')
    expect(socketUrlFor({ protocol: 'https:', host: 'lab', search: '' })).toBe('wss://lab/ws')
  })

  it('queues messages until the socket opens and parses what arrives', () => {
    const sockets: FakeSocket[] = []
    class FakeSocket extends EventTarget {
      static OPEN = 1
      readyState = 0
      sent: string[] = []
      constructor(readonly url: string) {
        super()
        sockets.push(this)
      }
      send(s: string) {
        this.sent.push(s)
      }
    }
    const t = createWebSocketTransport('ws://x/ws', FakeSocket as unknown as typeof WebSocket)
    const got: unknown[] = []
    const states: string[] = []
    t.subscribe((m) => got.push(m))
    t.onStatus((s) => states.push(s.state))
    t.send({ kind: 'request', id: '1', method: 'm', input: {} })
    const ws = sockets[0]!
    expect(ws.sent).toEqual([])
    ws.readyState = 1
    ws.dispatchEvent(new Event('open'))
    expect(ws.sent).toEqual(['{"kind":"request","id":"1","method":"m","input":{}}'])
    ws.dispatchEvent(new MessageEvent('message', { data: '{"kind":"event","event":"onX","payload":1}' }))
    ws.dispatchEvent(new MessageEvent('message', { data: 'not json' }))
    expect(got).toEqual([{ kind: 'event', event: 'onX', payload: 1 }])
    ws.dispatchEvent(new CloseEvent('close', { code: 1006 }))
    expect(states).toEqual(['open', 'closed'])
  })
})
