import { describe, expect, it } from 'vitest'
import { flagList, flagNumber, flagString, parseArgs } from '../../../src-core/cli/args.ts'

describe('parseArgs', () => {
  it('separates positionals, valued flags, boolean flags and repeated flags', () => {
    const a = parseArgs(['import', 'chestxray14', '/data/cxr', '--size', '256', '--json', '--split=official', '--allow', 'a', '--allow', 'b'])
    expect(a.positional).toEqual(['import', 'chestxray14', '/data/cxr'])
    expect(flagNumber(a, 'size')).toBe(256)
    expect(a.flags.json).toBe(true)
    expect(flagString(a, 'split')).toBe('official')
    expect(flagList(a, 'allow')).toEqual(['a', 'b'])
  })

  it('explains a non-numeric number flag', () => {
    expect(() => flagNumber(parseArgs(['--size', 'big']), 'size')).toThrow('--size expects a number, got "big".')
  })

  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--', '--not-a-flag']).positional).toEqual(['--not-a-flag'])
  })
})
