// The service's pushed events, typed by the API's event map. Transports forward every event.
import { EventEmitter } from 'node:events'
import type { z } from 'zod'
import type { ApiEvents } from '../api/index.ts'

export type EventName = keyof ApiEvents & string
export type EventPayload<K extends EventName> = z.input<ApiEvents[K]>

export class LabEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  emit<K extends EventName>(event: K, payload: EventPayload<K>): void {
    this.emitter.emit('event', event, payload)
  }

  /** Listens to every event; returns the unsubscribe function. */
  onAny(listener: (event: string, payload: unknown) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
