// The preload bridge driven by a fake ipcRenderer and fake MessagePorts.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { CHANNELS, createBridge, type BridgeIpc, type PortLike } from '../../src-preload/bridge.ts'
import type { LabBridge } from '../../src-preload/lab-bridge.d.ts'

function fakeIpc() {
  const handlers = new Map<string, (event: { ports: readonly PortLike[] }, ...args: unknown[]) => void>()
  const invoked: unknown[][] = []
  const ipc: BridgeIpc = {
    on: (channel, l) => handlers.set(channel, l),
    invoke: async (channel, ...args) => {
      invoked.push([channel, ...args])
      return channel === CHANNELS.pickFolder ? '/chosen' : undefined
    },
  }
  return { ipc, handlers, invoked, emit: (channel: string, ports: PortLike[], ...args: unknown[]) => handlers.get(channel)!({ ports }, ...args) }
}

function fakePort() {
  const sent: unknown[] = []
  const port: PortLike & { sent: unknown[]; started: boolean; closed: boolean } = {
    sent,
    started: false,
    closed: false,
    onmessage: null,
    postMessage: (m) => sent.push(m),
    start() {
      this.started = true
    },
    close() {
      this.closed = true
    },
  }
  return port
}

describe('preload bridge', () => {
  it('has exactly the type the renderer is told window.lab has', () => {
    expectTypeOf(createBridge(fakeIpc().ipc)).toEqualTypeOf<LabBridge>()
  })

  it('queues requests until main hands over the port, then relays both ways', () => {
    const f = fakeIpc()
    const bridge = createBridge(f.ipc)
    bridge.send({ kind: 'request', id: '1', method: 'studies.list', input: {} })
    const port = fakePort()
    f.emit(CHANNELS.port, [port])
    expect(port.started).toBe(true)
    expect(port.sent).toEqual([{ kind: 'request', id: '1', method: 'studies.list', input: {} }])
    const got: unknown[] = []
    bridge.onMessage((m) => got.push(m))
    port.onmessage!({ data: { kind: 'response', id: '1', ok: true, result: [] } })
    expect(got).toEqual([{ kind: 'response', id: '1', ok: true, result: [] }])
    bridge.send({ kind: 'cancel', id: '1' })
    expect(port.sent.at(-1)).toEqual({ kind: 'cancel', id: '1' })
  })

  it('strips anything but the wire fields and replaces the port on reload', () => {
    const f = fakeIpc()
    const bridge = createBridge(f.ipc)
    const first = fakePort()
    f.emit(CHANNELS.port, [first])
    bridge.send({ kind: 'request', id: '2', method: 'x', input: 1, extra: 'no' } as never)
    expect(first.sent[0]).toEqual({ kind: 'request', id: '2', method: 'x', input: 1 })
    const second = fakePort()
    f.emit(CHANNELS.port, [second])
    expect(first.closed).toBe(true)
    bridge.send({ kind: 'cancel', id: '2' })
    expect(second.sent).toHaveLength(1)
  })

  it('reports the service going away and calls the pickers through invoke only', async () => {
    const f = fakeIpc()
    const bridge = createBridge(f.ipc)
    const reasons: string[] = []
    bridge.onClosed((r) => reasons.push(r))
    f.emit(CHANNELS.closed, [], 'crashed')
    expect(reasons).toEqual(['crashed'])
    expect(await bridge.pickFolder('Pick')).toBe('/chosen')
    expect(await bridge.pickFile('CSV', ['csv'])).toBeNull()
    expect(f.invoked).toEqual([[CHANNELS.pickFolder, 'Pick'], [CHANNELS.pickFile, 'CSV', ['csv']]])
    expect(Object.keys(bridge).sort()).toEqual(['onClosed', 'onMessage', 'pickFile', 'pickFolder', 'send'])
  })
})
