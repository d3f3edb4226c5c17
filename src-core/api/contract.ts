// The shape of the typed API shared by the lab service, both transports and the renderer.
// A domain file (datasets.ts, studies.ts, ...) declares its methods with `method()` and its pushed
// events with zod schemas; api/index.ts merges them. The renderer imports only the *types*.
import type { z } from 'zod'

/** One request/response method: zod schemas for what crosses the process boundary. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Validates the caller's input before the handler sees it. */
  input: I
  /** Describes the result (validated in tests; trusted at run time). */
  output: O
  /** One line for humans: shown by `xlab api` and in docs. */
  doc: string
}

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, doc: string): MethodDef<I, O> {
  return { input, output, doc }
}

export type MethodMap = Record<string, MethodDef>
export type EventMap = Record<string, z.ZodType>

/** What a caller passes (before zod defaults are applied). */
export type InputOf<M extends MethodDef> = z.input<M['input']>
/** What a caller receives. */
export type OutputOf<M extends MethodDef> = z.output<M['output']>

/** Per-call context handed to every handler by the service dispatcher. */
export interface CallContext {
  /** Aborted when the caller cancels the request or disconnects. */
  signal: AbortSignal
  /** The transport's request id, for log lines. */
  requestId: string
}

/** Server-side implementation of a method map. */
export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (input: z.output<M[K]['input']>, ctx: CallContext) => Promise<z.input<M[K]['output']>>
}

/** Wire messages shared by the WebSocket and MessagePort transports. */
export type WireRequest = { kind: 'request'; id: string; method: string; input: unknown }
export type WireCancel = { kind: 'cancel'; id: string }
export type WireResponse =
  | { kind: 'response'; id: string; ok: true; result: unknown }
  | { kind: 'response'; id: string; ok: false; error: ApiErrorBody }
export type WireEvent = { kind: 'event'; event: string; payload: unknown }

/** An error a person can act on: what went wrong and what to do. */
export interface ApiErrorBody {
  /** Stable machine-readable code, e.g. BAD_REQUEST, NOT_FOUND, PATH_REFUSED, CANCELLED, INTERNAL. */
  code: string
  /** A sentence for the user. */
  message: string
}

/** Thrown by handlers for expected failures; transports send it as ApiErrorBody. */
export class ApiError extends Error implements ApiErrorBody {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The client side as the renderer sees it, whatever the transport. */
export interface ApiClient<M extends MethodMap, E extends EventMap> {
  /** Calls a method; the returned promise rejects with an ApiErrorBody-shaped error. */
  call<K extends keyof M & string>(method: K, input: InputOf<M[K]>, opts?: { signal?: AbortSignal }): Promise<OutputOf<M[K]>>
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<K extends keyof E & string>(event: K, listener: (payload: z.output<E[K]>) => void): () => void
}
