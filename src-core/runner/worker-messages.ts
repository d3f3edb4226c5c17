// The worker messages the supervisor consumes, validated line by line. The authoritative zod
// schema is runner/protocol.ts (engine team); this module is the supervisor's one entry point to
// it, so the rest of the runner depends only on the types below.
import { z } from 'zod'

const base = { v: z.literal(1), run_id: z.string().nullable().optional(), t: z.number().optional() }
const num = z.number()

/** The documented protocol (docs/architecture.md "Engine jobs and protocol"). */
export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('hello'), pid: z.number().int(), versions: z.record(z.string(), z.string()), device: z.object({ type: z.string(), name: z.string().optional(), count: z.number().optional() }).loose(), kind: z.string() }).loose(),
  z.object({ ...base, type: z.literal('progress'), stage: z.string(), epoch: num, epochs: num, step: num, steps: num, loss: num.nullable().optional(), images_per_s: num.nullable().optional(), eta_s: num.nullable().optional() }).loose(),
  z.object({ ...base, type: z.literal('metric'), split: z.string(), epoch: num, step: num, values: z.record(z.string(), num.nullable()) }).loose(),
  z.object({ ...base, type: z.literal('checkpoint'), path: z.string(), which: z.string(), epoch: num, step: num }).loose(),
  z.object({ ...base, type: z.literal('artifact'), path: z.string(), kind: z.string(), name: z.string() }).loose(),
  z.object({ ...base, type: z.literal('log'), level: z.string(), message: z.string() }).loose(),
  z.object({ ...base, type: z.literal('done'), summary: z.record(z.string(), z.unknown()) }).loose(),
  z.object({ ...base, type: z.literal('error'), code: z.string(), message: z.string() }).loose(),
])

export type WorkerMessage = z.output<typeof workerMessageSchema>

/** Parses one stdout line; returns the message or a sentence saying what is wrong with it. */
export function parseWorkerLine(line: string): { ok: true; message: WorkerMessage } | { ok: false; problem: string } {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return { ok: false, problem: `not JSON: ${JSON.stringify(line.slice(0, 120))}` }
  }
  const r = workerMessageSchema.safeParse(raw)
  if (r.success) return { ok: true, message: r.data }
  const issues = r.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')
  return { ok: false, problem: `${issues} in ${JSON.stringify(line.slice(0, 120))}` }
}
