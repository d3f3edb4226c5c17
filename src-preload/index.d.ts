// Declares window.lab for the renderer (present only in the desktop app).
import type { LabBridge } from './lab-bridge.d.ts'

declare global {
  interface Window {
    /** The desktop bridge; undefined when the page is served by `xlab serve`. */
    lab?: LabBridge
  }
}
