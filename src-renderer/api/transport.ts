// What carries wire messages between the renderer and the lab service. Two implementations:
// the preload bridge (Electron, a MessagePort behind window.lab) and a WebSocket (`xlab serve`).
import type { WireCancel, WireEvent, WireRequest, WireResponse } from '../../src-core/api/contract.ts'

export type ClientMessage = WireRequest | WireCancel
export type ServerMessage = WireResponse | WireEvent

export interface Transport {
  /** Sends a request or a cancel; queued by the transport until it is connected. */
  send(message: ClientMessage): void
  /** Receives responses and events; returns the unsubscribe function. */
  subscribe(listener: (message: ServerMessage) => void): () => void
  /** Reports connection trouble (lost socket) so the shell can show it; returns the unsubscribe function. */
  onStatus(listener: (status: TransportStatus) => void): () => void
}

/** Connection state shown in the status bar. */
export type TransportStatus = { state: 'connecting' | 'open' } | { state: 'closed'; reason: string }
