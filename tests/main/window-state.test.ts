// Window state: round trip, damaged files, windows that would open off-screen.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_STATE, loadWindowState, saveWindowState } from '../../src-main/window-state.ts'

const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }]

describe('window state', () => {
  it('round-trips size, position and maximised state', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'ws-')), 'sub', 'state.json')
    saveWindowState(f, { x: 100, y: 80, width: 1000, height: 700, maximized: true })
    expect(loadWindowState(f, screen)).toEqual({ x: 100, y: 80, width: 1000, height: 700, maximized: true })
  })

  it('falls back to the default for a missing or damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws-'))
    expect(loadWindowState(join(dir, 'none.json'), screen)).toEqual(DEFAULT_STATE)
    writeFileSync(join(dir, 'bad.json'), '{"width": "wide"')
    expect(loadWindowState(join(dir, 'bad.json'), screen)).toEqual(DEFAULT_STATE)
  })

  it('drops a position that is on no display (an unplugged monitor) and tiny sizes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws-'))
    const f = join(dir, 's.json')
    writeFileSync(f, JSON.stringify({ x: 3000, y: 200, width: 50, height: 700, maximized: false }))
    expect(loadWindowState(f, screen)).toEqual({ width: DEFAULT_STATE.width, height: 700, maximized: false })
  })
})
