// Remembers the window's size, position and maximised state between launches (a small JSON file
// in the app's user-data folder). A damaged or off-screen state falls back to the default.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface WindowState {
  /** Left edge, absent to let the OS place the window. */
  x?: number
  /** Top edge. */
  y?: number
  /** Width in DIP. */
  width: number
  /** Height in DIP. */
  height: number
  /** Was the window maximised. */
  maximized: boolean
}

/** A display's work area. */
export interface Area {
  /** Left edge. */
  x: number
  /** Top edge. */
  y: number
  /** Width. */
  width: number
  /** Height. */
  height: number
}

export const DEFAULT_STATE: WindowState = { width: 1280, height: 860, maximized: false }

/** Reads the saved state; keeps the position only if the window would be visible on some display. */
export function loadWindowState(file: string, displays: readonly Area[]): WindowState {
  let raw: Partial<WindowState>
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>
  } catch {
    return { ...DEFAULT_STATE }
  }
  const num = (v: unknown, min: number) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined)
  const width = num(raw.width, 400) ?? DEFAULT_STATE.width
  const height = num(raw.height, 300) ?? DEFAULT_STATE.height
  const state: WindowState = { width, height, maximized: raw.maximized === true }
  const x = typeof raw.x === 'number' ? raw.x : undefined
  const y = typeof raw.y === 'number' ? raw.y : undefined
  if (x !== undefined && y !== undefined) {
    // At least a 100x50 corner of the title bar must be on a display, or the window would be lost.
    const visible = displays.some((d) => x + 100 > d.x && x < d.x + d.width - 50 && y >= d.y - 10 && y < d.y + d.height - 50)
    if (visible) Object.assign(state, { x, y })
  }
  return state
}

/** Writes the state atomically (temp file + rename) so a crash cannot leave half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  writeFileSync(tmp, JSON.stringify(state))
  renameSync(tmp, file)
}
