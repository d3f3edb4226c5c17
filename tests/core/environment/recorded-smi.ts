// Recorded nvidia-smi outputs (tests/fixtures/nvidia-smi/<case>/): query.txt is the
// `--query-gpu` CSV, smi.txt the plain view, exit.json the exit codes where they were not 0.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CommandRunner } from '../../../src-core/environment/nvidia-smi.ts'

export const SMI_FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'nvidia-smi')

/** Every recorded case's name. */
export const smiCases = () => readdirSync(SMI_FIXTURES)

/** A CommandRunner that answers nvidia-smi from a recorded case (or as if nvidia-smi were missing). */
export function recordedSmi(name: string | null): CommandRunner {
  return (cmd, args) => {
    if (cmd !== 'nvidia-smi') throw new Error(`unexpected command ${cmd}`)
    if (name === null) return { status: null, stdout: '', stderr: '', error: Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }) }
    const dir = join(SMI_FIXTURES, name)
    const exit = existsSync(join(dir, 'exit.json')) ? (JSON.parse(readFileSync(join(dir, 'exit.json'), 'utf8')) as { query: number; smi: number }) : { query: 0, smi: 0 }
    const which = args.length === 0 ? 'smi' : 'query'
    const text = readFileSync(join(dir, `${which}.txt`), 'utf8')
    // nvidia-smi prints its failures on stdout, so the recorded text goes there either way.
    return { status: exit[which], stdout: text, stderr: '' }
  }
}
