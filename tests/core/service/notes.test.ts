// The notes domain through the lab service: a note on a study is stored, listed, announced, and a
// note on something that does not exist is refused with a sentence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notesApi } from '../../../src-core/api/notes.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as runs from '../../../src-core/store/runs.ts'
import { tmp } from '../datasets/helpers.ts'

describe('notes API', () => {
  let service: LabService
  const events: string[] = []
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    service = await LabService.open({ dataRoot: tmp('xlab-notes-'), allowAllPaths: true, startQueue: false })
    service.ctx.events.onAny((event) => events.push(event))
    runs.insertStudy(service.ctx.db, { id: 'st-1', name: 'pilot', config: {} })
  })
  afterAll(() => service.close())

  it('writes a study note by name and lists it', async () => {
    const out = notesApi['notes.set'].output.parse(await call('notes.set', { kind: 'study', id: 'pilot', note: 'LP-FT pilot', tags: ['pilot'] }))
    expect(out).toMatchObject({ kind: 'study', targetId: 'st-1', tags: ['pilot'] })
    const list = notesApi['notes.list'].output.parse(await call('notes.list', {}))
    expect(list.map((a) => a.note)).toEqual(['LP-FT pilot'])
    expect(events).toContain('onNotesChanged')
  })

  it('refuses a note on a run that does not exist', async () => {
    await expect(call('notes.set', { kind: 'run', id: 'r-nope', note: 'x', tags: [] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('There is no run "r-nope"') })
  })
})
