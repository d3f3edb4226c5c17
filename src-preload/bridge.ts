// The one object the preload exposes as window.lab. It holds the MessagePort that main hands over
// (the renderer never sees ipcRenderer or the port) and relays wire messages both ways.
// Built from injected parts so tests can drive it without Electron.
import type { WireCancel, WireEvent, WireRequest, WireResponse } from '../src-core/api/contract.ts'

/** The subset of ipcRenderer the bridge uses. */
export interface BridgeIpc {
  /** Subscribes to a main -> renderer channel. */
  on(channel: string, listener: (event: { ports: readonly PortLike[] }, ...args: unknown[]) => void): unknown
  /** Calls a main-process handler. */
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
}

/** The subset of a DOM MessagePort the bridge uses. */
export interface PortLike {
  /** Posts a structured-cloneable message. */
  postMessage(message: unknown): void
  /** Set by the bridge to receive messages. */
  onmessage: ((event: { data: unknown }) => void) | null
  /** Starts delivery of queued messages. */
  start(): void
  /** Closes the port. */
  close(): void
}

/** Channels between preload and main. Only these; the renderer cannot name others. */
export const CHANNELS = { port: 'lab:port', closed: 'lab:closed', pickFolder: 'lab:pick-folder', pickFile: 'lab:pick-file' } as const

export function createBridge(ipc: BridgeIpc) {
  let port: PortLike | undefined
  const queued: (WireRequest | WireCancel)[] = []
  const listeners = new Set<(m: WireResponse | WireEvent) => void>()
  const closedListeners = new Set<(reason: string) => void>()

  ipc.on(CHANNELS.port, (event) => {
    const p = event.ports[0]
    if (!p) return
    port?.close()
    port = p
    p.onmessage = (e) => listeners.forEach((l) => l(e.data as WireResponse | WireEvent))
    p.start()
    for (const m of queued.splice(0)) p.postMessage(m)
  })
  ipc.on(CHANNELS.closed, (_event, reason) => {
    port = undefined
    closedListeners.forEach((l) => l(typeof reason === 'string' ? reason : 'the lab service stopped'))
  })

  return {
    /** Sends a wire request or cancel to the lab service (queued until the port arrives). */
    send(message: WireRequest | WireCancel): void {
      // Rebuild the message so only the wire fields cross the boundary.
      const clean = message.kind === 'cancel' ? { kind: 'cancel' as const, id: String(message.id) } : { kind: 'request' as const, id: String(message.id), method: String(message.method), input: message.input }
      if (port) port.postMessage(clean)
      else queued.push(clean)
    },
    /** Receives responses and events; returns the unsubscribe function. */
    onMessage(listener: (message: WireResponse | WireEvent) => void): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    /** Called when the service process goes away. */
    onClosed(listener: (reason: string) => void): () => void {
      closedListeners.add(listener)
      return () => void closedListeners.delete(listener)
    },
    /** Native folder picker; the chosen folder becomes importable. Null if cancelled. */
    async pickFolder(title: string): Promise<string | null> {
      const r = await ipc.invoke(CHANNELS.pickFolder, String(title))
      return typeof r === 'string' ? r : null
    },
    /** Native file picker limited to the given extensions; its folder becomes importable. Null if cancelled. */
    async pickFile(title: string, extensions: string[]): Promise<string | null> {
      const r = await ipc.invoke(CHANNELS.pickFile, String(title), extensions.map(String))
      return typeof r === 'string' ? r : null
    },
  }
}

/** The type of the value exposed as window.lab (index.d.ts spells it out for the renderer). */
export type ExposedBridge = ReturnType<typeof createBridge>
