// Notes and tags on studies and runs: listed all at once (the app searches them with the lists)
// and written one study or run at a time.
import { z } from 'zod'
import { method } from './contract.ts'

export const annotationKindSchema = z.enum(['study', 'run'])

/** A note with its tags on one study or run. */
export const annotationSchema = z.object({
  /** study / run. */
  kind: annotationKindSchema,
  /** Study or run id. */
  targetId: z.string(),
  /** Free text. */
  note: z.string(),
  /** Tags, trimmed and unique. */
  tags: z.array(z.string()),
  /** ISO time of the last edit. */
  updatedAt: z.string(),
})

export const notesApi = {
  'notes.list': method(z.object({ kind: annotationKindSchema.optional() }), z.array(annotationSchema), 'Every note and tag list on studies and runs (or of one kind).'),
  'notes.set': method(
    z.object({ kind: annotationKindSchema, id: z.string().min(1), note: z.string().max(20_000), tags: z.array(z.string().max(60)).max(50) }),
    annotationSchema.nullable(),
    'Writes the note and tags of a study or run (both empty: removes them); answers null when removed.',
  ),
} as const

export const notesEvents = {
  /** A note or its tags changed (another window updates its lists). */
  onNotesChanged: z.object({ kind: annotationKindSchema, targetId: z.string() }),
} as const
