// Handlers of the notes domain: notes and tags on studies and runs, checked against what exists.
import { ApiError, type Handlers } from '../api/contract.ts'
import type { notesApi } from '../api/notes.ts'
import { listAnnotations, setAnnotation } from '../store/notes.ts'
import { getRun, getStudy } from '../store/runs.ts'
import type { DomainFactory } from './context.ts'

export const notesDomain: DomainFactory = (ctx) => {
  const handlers: Handlers<typeof notesApi> = {
    'notes.list': async ({ kind }) => listAnnotations(ctx.db, kind),
    'notes.set': async ({ kind, id, note, tags }) => {
      const target = kind === 'study' ? getStudy(ctx.db, id) : getRun(ctx.db, id)
      if (!target) throw new ApiError('NOT_FOUND', `There is no ${kind} "${id}" to write a note on; it may have been removed. Reload the list.`)
      const out = setAnnotation(ctx.db, kind, target.id, note, tags)
      ctx.events.emit('onNotesChanged', { kind, targetId: target.id })
      return out
    },
  }
  return { handlers }
}
