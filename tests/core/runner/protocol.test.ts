// The zod schemas of the engine protocol against the golden lines the engine's pytest also checks.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineJob, parseWorkerLine, workerMessage } from '../../../src-core/runner/protocol.ts'

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'protocol')
const lines = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n').filter((l) => l.trim())

describe('engine protocol fixtures', () => {
  it.each(lines('valid.jsonl'))('accepts %s', (line) => {
    const r = parseWorkerLine(line)
    expect(r.ok ? 'ok' : r.problem).toBe('ok')
  })

  it.each(lines('invalid.jsonl'))('rejects %s', (line) => {
    expect(workerMessage.safeParse(JSON.parse(line)).success).toBe(false)
  })

  it('covers every message type', () => {
    const types = new Set(lines('valid.jsonl').map((l) => (JSON.parse(l) as { type: string }).type))
    expect([...types].sort()).toEqual(['artifact', 'checkpoint', 'done', 'error', 'hello', 'log', 'metric', 'progress', 'ready'])
  })

  it('says what is wrong with a bad line', () => {
    const r = parseWorkerLine('{"v":1,"type":"metric","split":"train","epoch":1,"values":{}}')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problem).toContain('step')
    expect(parseWorkerLine('print from a library').ok).toBe(false)
  })

  it.each(lines('jobs.jsonl'))('accepts the job %s', (line) => {
    expect(engineJob.safeParse(JSON.parse(line)).success).toBe(true)
  })

  it('rejects a job with a relative run folder or an unknown kind', () => {
    const job = JSON.parse(lines('jobs.jsonl')[0]!) as Record<string, unknown>
    expect(engineJob.safeParse({ ...job, run_dir: 'runs/r-1' }).success).toBe(false)
    expect(engineJob.safeParse({ ...job, kind: 'train' }).success).toBe(false)
  })
})
