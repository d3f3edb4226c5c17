// Electron: wire messages through the preload's window.lab (a MessagePort to the lab service).
import type { Transport, TransportStatus } from './transport.ts'

/** window.lab's type, declared by src-preload/index.d.ts. */
type LabBridge = NonNullable<Window['lab']>

export function createBridgeTransport(bridge: LabBridge): Transport {
  const statusListeners = new Set<(s: TransportStatus) => void>()
  bridge.onClosed((reason: string) => statusListeners.forEach((l) => l({ state: 'closed', reason })))
  return {
    // Inputs often come from reactive state; a JSON round trip leaves plain data that the
    // structured clone behind contextBridge and MessagePort can copy.
    send: (message) => bridge.send(JSON.parse(JSON.stringify(message)) as typeof message),
    subscribe: (listener) => bridge.onMessage(listener),
    onStatus(l) {
      statusListeners.add(l)
      return () => statusListeners.delete(l)
    },
  }
}
