// Notes store: loads every note once, saves one, gives searchable text, drops a removed one, and
// shows the service's sentence when a save is refused.
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { LabError } from '../../src-renderer/api/client.ts'
import { setLab } from '../../src-renderer/api/index.ts'
import { useNotesStore } from '../../src-renderer/stores/notes.ts'
import { fakeLab } from './fake-lab.ts'

describe('notes store', () => {
  it('loads, saves and removes notes, and makes them searchable', async () => {
    const stored = [{ kind: 'run', targetId: 'r1', note: 'odd loss', tags: ['check'], updatedAt: 't0' }]
    setLab(fakeLab({
      'notes.list': () => stored,
      'notes.set': (i) => ((i.note as string) || (i.tags as string[]).length ? { kind: i.kind, targetId: i.id, note: i.note, tags: i.tags, updatedAt: 't1' } : null),
    }).api)
    setActivePinia(createPinia())
    const s = useNotesStore()
    await s.load()
    expect(s.text('run', 'r1')).toBe('odd loss #check check')
    expect(await s.save('study', 'st-1', 'pilot', ['cpu'])).toBe(true)
    expect(s.of('study', 'st-1')?.tags).toEqual(['cpu'])
    await s.save('run', 'r1', '', [])
    expect(s.of('run', 'r1')).toBeUndefined()
  })

  it('keeps the refusal sentence', async () => {
    setLab(fakeLab({ 'notes.set': () => Promise.reject(new LabError('NOT_FOUND', 'There is no run "r9" to write a note on; it may have been removed. Reload the list.')) }).api)
    setActivePinia(createPinia())
    const s = useNotesStore()
    expect(await s.save('run', 'r9', 'x', [])).toBe(false)
    expect(s.error).toContain('There is no run "r9"')
  })
})
