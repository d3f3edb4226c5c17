// The service side of the desktop transport, inside the utilityProcess: each 'connect' control
// message brings a MessagePort, bound to its own wire session; 'allow' adds a folder the user
// chose natively; 'shutdown' closes the service cleanly.
import type { LabService } from '../src-core/service/lab-service.ts'
import { openWireSession } from '../src-core/server/wire-session.ts'
import type { ServiceControl } from './service-host.ts'

/** The parts of a MessagePortMain used here. */
export interface ServicePortLike {
  /** Sends to the window. */
  postMessage(message: unknown): void
  /** Receives from the window; 'close' when the window goes. */
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown
  on(event: 'close', listener: () => void): unknown
  /** Starts delivery. */
  start(): void
}

/** The parts of process.parentPort used here. */
export interface ParentPortLike {
  /** Control messages from main. */
  on(event: 'message', listener: (e: { data: unknown; ports: ServicePortLike[] }) => void): unknown
}

/** Serves every window main connects; resolves `onShutdown` after the service closed. */
export function serveParentPort(parent: ParentPortLike, service: Pick<LabService, 'dispatch' | 'ctx' | 'close'>, onShutdown: () => void): void {
  let windows = 0
  parent.on('message', (e) => {
    const msg = e.data as ServiceControl | null
    if (!msg || typeof msg !== 'object') return
    if (msg.type === 'connect') {
      const port = e.ports[0]
      if (!port) return
      const session = openWireSession(service, (m) => port.postMessage(m), `window${++windows}`)
      port.on('message', (ev) => session.receive(ev.data))
      port.on('close', () => session.close())
      port.start()
    } else if (msg.type === 'allow' && typeof msg.dir === 'string') {
      service.ctx.pathGuard.allow(msg.dir)
      service.ctx.log('desktop', `folder allowed by the user: ${msg.dir}`)
    } else if (msg.type === 'shutdown') {
      void service.close().finally(onShutdown)
    }
  })
}
