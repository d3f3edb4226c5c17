// The type of window.lab, written out because the renderer's tsconfig may only see .d.ts files
// of the preload; tests/main/preload-bridge.test.ts checks it equals createBridge's return type.
import type { WireCancel, WireEvent, WireRequest, WireResponse } from '../src-core/api/contract.ts'

export interface LabBridge {
  /** Sends a wire request or cancel to the lab service (queued until the port arrives). */
  send(message: WireRequest | WireCancel): void
  /** Receives responses and events; returns the unsubscribe function. */
  onMessage(listener: (message: WireResponse | WireEvent) => void): () => void
  /** Called when the service process goes away; returns the unsubscribe function. */
  onClosed(listener: (reason: string) => void): () => void
  /** Native folder picker; the chosen folder becomes importable. Null if cancelled. */
  pickFolder(title: string): Promise<string | null>
  /** Native file picker limited to the given extensions; its folder becomes importable. Null if cancelled. */
  pickFile(title: string, extensions: string[]): Promise<string | null>
}
