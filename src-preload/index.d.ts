// window.lab as the renderer sees it (present only in the desktop app). Written out here because
// the renderer's tsconfig may only see this .d.ts; tests/main/preload-bridge.test.ts checks that
// it equals the type of the value the preload exposes (createBridge's return type).
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

declare global {
  interface Window {
    /** The desktop bridge; undefined when the page is served by `xlab serve`. */
    lab?: LabBridge
  }
}
