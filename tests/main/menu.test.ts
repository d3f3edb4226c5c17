// The app menu reaches every view by keyboard accelerator.
import { describe, expect, it } from 'vitest'
import { menuTemplate } from '../../src-main/menu.ts'

describe('menu', () => {
  it('has a Go menu with one accelerator per view that shows that view', () => {
    const shown: string[] = []
    const t = menuTemplate({ showView: (v) => shown.push(v), openDataFolder: () => {} }, false)
    const go = t.find((m) => m.label === 'Go')!
    const items = go.submenu as { label: string; accelerator: string; click: () => void }[]
    expect(items.map((i) => i.accelerator)).toEqual(['CmdOrCtrl+1', 'CmdOrCtrl+2', 'CmdOrCtrl+3', 'CmdOrCtrl+4', 'CmdOrCtrl+5', 'CmdOrCtrl+6'])
    items.forEach((i) => i.click())
    expect(shown).toEqual(['datasets', 'builder', 'runs', 'results', 'compare', 'environment'])
    expect(t.some((m) => 'role' in m && m.role === 'appMenu')).toBe(false)
    expect(menuTemplate({ showView: () => {}, openDataFolder: () => {} }, true)[0]).toEqual({ role: 'appMenu' })
  })
})
