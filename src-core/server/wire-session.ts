// One connected client of the lab service, whatever carries its messages (a WebSocket under
// `xlab serve`, a MessagePort in Electron): answers requests by id, aborts cancelled ones and
// forwards every pushed event. The transport only moves JSON-shaped values.
import { ApiError, type ApiErrorBody, type WireEvent, type WireResponse } from '../api/contract.ts'
import type { LabService } from '../service/lab-service.ts'

/** What the session sends back over its transport. */
export type OutgoingMessage = WireResponse | WireEvent

export interface WireSession {
  /** Handles one message from the client (already parsed from JSON where the transport needs it). */
  receive(message: unknown): void
  /** Aborts every call still running and stops forwarding events. */
  close(): void
}

/** Binds a client to the service; `send` must not throw when the client has gone. */
export function openWireSession(service: Pick<LabService, 'dispatch' | 'ctx'>, send: (message: OutgoingMessage) => void, label = 'client'): WireSession {
  const inflight = new Map<string, AbortController>()
  let closed = false
  const unsubscribe = service.ctx.events.onAny((event, payload) => {
    if (!closed) send({ kind: 'event', event, payload })
  })

  const respondError = (id: string, error: ApiErrorBody) => {
    if (!closed) send({ kind: 'response', id, ok: false, error })
  }

  async function handleRequest(id: string, methodName: string, input: unknown) {
    const controller = new AbortController()
    inflight.set(id, controller)
    try {
      const result = await service.dispatch(methodName, input, { signal: controller.signal, requestId: `${label}:${id}` })
      if (controller.signal.aborted) respondError(id, { code: 'CANCELLED', message: `The request ${methodName} was cancelled.` })
      else if (!closed) send({ kind: 'response', id, ok: true, result: result ?? null })
    } catch (err) {
      respondError(id, toErrorBody(err, methodName, service))
    } finally {
      inflight.delete(id)
    }
  }

  return {
    receive(message) {
      if (closed) return
      const m = message as { kind?: unknown; id?: unknown; method?: unknown; input?: unknown } | null
      if (!m || typeof m !== 'object' || typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 100) {
        service.ctx.log('wire', `${label}: ignored a malformed message (no request id)`)
        return
      }
      if (m.kind === 'cancel') {
        inflight.get(m.id)?.abort(new ApiError('CANCELLED', 'Cancelled by the caller.'))
        return
      }
      if (m.kind !== 'request' || typeof m.method !== 'string') {
        respondError(m.id, { code: 'BAD_REQUEST', message: 'A message must be {kind:"request", id, method, input} or {kind:"cancel", id}.' })
        return
      }
      if (inflight.has(m.id)) {
        respondError(m.id, { code: 'BAD_REQUEST', message: `Request id ${m.id} is already in use; use a new id per request.` })
        return
      }
      void handleRequest(m.id, m.method, m.input)
    },
    close() {
      if (closed) return
      closed = true
      unsubscribe()
      for (const c of inflight.values()) c.abort(new ApiError('CANCELLED', 'The client disconnected.'))
      inflight.clear()
    },
  }
}

/** Expected failures keep their code and sentence; anything else is logged and reported as INTERNAL. */
export function toErrorBody(err: unknown, methodName: string, service: Pick<LabService, 'ctx'>): ApiErrorBody {
  if (err instanceof ApiError) return { code: err.code, message: err.message }
  const e = err as { name?: string; message?: string; stack?: string }
  if (e?.name === 'AbortError') return { code: 'CANCELLED', message: `The request ${methodName} was cancelled.` }
  service.ctx.log('wire', `${methodName} failed: ${e?.stack ?? String(err)}`)
  return { code: 'INTERNAL', message: `${methodName} failed inside the lab service: ${e?.message ?? String(err)}. The service log has the details.` }
}
