import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PathGuard } from '../../../src-core/service/path-guard.ts'

describe('PathGuard', () => {
  const root = mkdtempSync(join(tmpdir(), 'xlab-guard-'))
  const chosen = join(root, 'chosen')
  const other = join(root, 'other')
  mkdirSync(join(chosen, 'sub'), { recursive: true })
  mkdirSync(other)
  symlinkSync(other, join(chosen, 'escape'))

  it('accepts paths inside a chosen folder and refuses the rest', () => {
    const g = new PathGuard()
    g.allow(chosen)
    expect(g.check(join(chosen, 'sub'))).toBe(join(chosen, 'sub'))
    expect(g.check(chosen)).toBe(chosen)
    expect(() => g.check(other)).toThrow(/outside the folders/)
    expect(() => g.check(join(chosen, '..', 'other'))).toThrow(/outside the folders/)
    expect(() => g.check(`${chosen}-sibling`)).toThrow(/outside the folders/)
  })

  it('follows symlinks so a link cannot lead outside', () => {
    const g = new PathGuard()
    g.allow(chosen)
    expect(() => g.check(join(chosen, 'escape'))).toThrow(/outside the folders/)
  })

  it('refuses empty and NUL paths even when everything is allowed', () => {
    const g = new PathGuard(true)
    expect(() => g.check('')).toThrow(/empty or malformed/)
    expect(() => g.check('a\0b')).toThrow(/empty or malformed/)
    expect(g.check(other)).toBe(other)
  })
})
