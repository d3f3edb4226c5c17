// The plumbing `xlab runs` and `xlab encoders` share (cli/service-command.ts): help and its exit
// codes, the subcommand's words and --json, calls into the lab API, and the service closed also
// when the subcommand fails; then both commands through bin/xlab.mjs.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseArgs } from '../../../src-core/cli/args.ts'
import { badRequest, runServiceCommand } from '../../../src-core/cli/service-command.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { tmp } from '../datasets/helpers.ts'

const REPO = join(import.meta.dirname, '..', '..', '..')
afterEach(() => vi.restoreAllMocks())

describe('runServiceCommand', () => {
  it('prints the help without opening the lab: exit 2 with no subcommand, 0 for --help', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const open = vi.spyOn(LabService, 'open')
    const body = vi.fn(async () => 0)
    expect(await runServiceCommand(parseArgs([]), 'usage: xlab thing\n', body)).toBe(2)
    expect(await runServiceCommand(parseArgs(['list', '--help']), 'usage: xlab thing\n', body)).toBe(0)
    expect(out.mock.calls).toEqual([['usage: xlab thing\n'], ['usage: xlab thing\n']])
    expect(body).not.toHaveBeenCalled()
    expect(open).not.toHaveBeenCalled()
  })

  it('gives the subcommand its words, --json and the lab API, and closes the lab when it throws', async () => {
    const data = tmp('xlab-svc-cmd-')
    const close = vi.spyOn(LabService.prototype, 'close')
    const seen: unknown[] = []
    const code = await runServiceCommand(parseArgs(['--data', data, 'show', 'r-1', '--json']), '', async ({ sub, rest, json, call }) => {
      seen.push(sub, rest, json, await call('encoders.list', {}))
      return 0
    })
    expect([code, ...seen]).toEqual([0, 'show', ['r-1'], true, []])
    expect(close).toHaveBeenCalledTimes(1)
    await expect(runServiceCommand(parseArgs(['--data', data, 'frob']), '', async ({ sub }) => { throw badRequest(`no ${sub}`) })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'no frob' })
    expect(close).toHaveBeenCalledTimes(2)
  })
})

describe('xlab runs and xlab encoders on the shared plumbing', () => {
  it('list, refuse a missing run id and an unknown subcommand with exit 2', () => {
    const data = tmp('xlab-svc-cli-')
    const xlab = (...a: string[]) => spawnSync(process.execPath, [join(REPO, 'bin', 'xlab.mjs'), '--data', data, ...a], { encoding: 'utf8', timeout: 120_000 })
    const list = xlab('runs', 'list', '--json')
    expect([list.status, JSON.parse(list.stdout)], list.stderr).toEqual([0, []])
    expect(xlab('encoders', 'list').stdout).toContain('no reference encoders')
    const show = xlab('runs', 'show')
    expect([show.status, show.stderr]).toEqual([2, expect.stringContaining('xlab runs show needs a run id or name')])
    const unknown = xlab('encoders', 'frob')
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('unknown encoders command "frob"')])
    const help = xlab('runs')
    expect([help.status, help.stdout]).toEqual([2, expect.stringMatching(/^usage: xlab runs <command>/)])
  }, 120_000)
})
