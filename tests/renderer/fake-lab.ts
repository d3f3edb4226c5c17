// A LabApi backed by plain functions per method, with events the test can push. Used to test
// stores and components without a service; the real transports are covered by client tests and e2e.
import type { LabApi } from '../../src-renderer/api/client.ts'
import { LabError } from '../../src-renderer/api/client.ts'

export type Handler = (input: Record<string, unknown>, signal?: AbortSignal) => unknown

export function fakeLab(handlers: Record<string, Handler>) {
  const listeners = new Map<string, Set<(p: never) => void>>()
  const calls: { method: string; input: Record<string, unknown> }[] = []
  let pending = 0
  const callAny = async (method: string, input: unknown, opts?: { signal?: AbortSignal }) => {
    calls.push({ method, input: input as Record<string, unknown> })
    const h = handlers[method]
    if (!h) throw new LabError('NOT_FOUND', `There is no API method called "${method}".`)
    pending++
    try {
      return await h(input as Record<string, unknown>, opts?.signal)
    } finally {
      pending--
    }
  }
  const api: LabApi = {
    call: ((m: string, i: unknown, o?: { signal?: AbortSignal }) => callAny(m, i, o)) as LabApi['call'],
    on(event, l) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(l as (p: never) => void)
      return () => set.delete(l as (p: never) => void)
    },
    pending: () => pending,
  }
  return {
    api,
    calls,
    emit(event: string, payload: unknown) {
      for (const l of listeners.get(event) ?? []) l(payload as never)
    },
  }
}

export const flush = () => new Promise((r) => setTimeout(r, 0))
