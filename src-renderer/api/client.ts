// The renderer's one API client: ids per request, cancellation through AbortSignal, and typed
// events, over any Transport. Components never see the transport (stores call this client).
import type { ApiErrorBody, InputOf, OutputOf } from '../../src-core/api/contract.ts'
import type { ApiEvents, ApiMethods } from '../../src-core/api/index.ts'
import type { z } from 'zod'
import type { ServerMessage, Transport } from './transport.ts'
import { appPhrased } from '../composables/app-messages.ts'

/** Methods the API declares. */
export type MethodName = keyof ApiMethods & string
/** Input of a method. */
export type CallInput<K extends MethodName> = InputOf<ApiMethods[K]>
/** Output of a method. */
export type CallOutput<K extends MethodName> = OutputOf<ApiMethods[K]>
/** Payload of an event. */
export type EventPayload<K extends keyof ApiEvents & string> = z.output<ApiEvents[K]>

/** A failed call: the service's code and sentence. */
export class LabError extends Error implements ApiErrorBody {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'LabError'
  }
}

export interface LabApi {
  /** Calls a method; rejects with LabError (code CANCELLED when the signal aborts). */
  call<K extends MethodName>(method: K, input: CallInput<K>, opts?: { signal?: AbortSignal }): Promise<CallOutput<K>>
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<K extends keyof ApiEvents & string>(event: K, listener: (payload: EventPayload<K>) => void): () => void
  /** Requests still waiting for an answer (for tests and the busy indicator). */
  pending(): number
}

export function createLabClient(transport: Transport): LabApi {
  let nextId = 1
  const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: LabError) => void; cleanup: () => void }>()
  const listeners = new Map<string, Set<(payload: never) => void>>()

  transport.subscribe((msg: ServerMessage) => {
    if (msg.kind === 'event') {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload as never)
      return
    }
    const w = waiting.get(msg.id)
    if (!w) return
    waiting.delete(msg.id)
    w.cleanup()
    if (msg.ok) w.resolve(msg.result)
    else w.reject(new LabError(msg.error.code, msg.error.message))
  })
  transport.onStatus((s) => {
    if (s.state !== 'closed') return
    for (const [id, w] of waiting) {
      waiting.delete(id)
      w.cleanup()
      w.reject(new LabError('DISCONNECTED', `The connection to the lab service was lost (${s.reason}). Reload the page or restart the app.`))
    }
  })

  function callAny(method: string, input: unknown, opts?: { signal?: AbortSignal }): Promise<unknown> {
    const id = String(nextId++)
    return new Promise((resolve, reject) => {
      const signal = opts?.signal
      if (signal?.aborted) return reject(new LabError('CANCELLED', `${method} was cancelled.`))
      const onAbort = () => {
        if (!waiting.has(id)) return
        waiting.delete(id)
        transport.send({ kind: 'cancel', id })
        reject(new LabError('CANCELLED', `${method} was cancelled.`))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      waiting.set(id, { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) })
      transport.send({ kind: 'request', id, method, input: input ?? {} })
    })
  }

  return {
    call: (method, input, opts) => callAny(method, input, opts) as Promise<never>,
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener as (payload: never) => void)
      return () => set.delete(listener as (payload: never) => void)
    },
    pending: () => waiting.size,
  }
}

/** A message for the user from anything a call may throw, phrased for the app rather than the CLI. */
export function errorMessage(err: unknown): string {
  return appPhrased(err instanceof Error ? err.message : String(err))
}
