// `xlab runs list|show|logs|metrics|prune`.
import { flagNumber, flagString, type CliArgs } from '../args.ts'
import { badRequest as bad, runServiceCommand } from '../service-command.ts'
import { dryRunNote, formatUsage, PRUNE_HELP, pruneCategories } from './prune.ts'
import type { z } from 'zod'
import type { storageApi } from '../../api/storage.ts'

const HELP = `usage: xlab runs <command> [options]   (global: --data DIR)

  list [--study NAME] [--state STATE]   runs with their states
  show RUN                              one run: spec, state, reason, summary, dependencies
  logs RUN [--tail N]                   the worker's log (stderr)
  metrics RUN [--split S]               every metric the worker reported
${PRUNE_HELP}
  --json prints machine-readable output.
`

export function run(args: CliArgs): Promise<number> {
  return runServiceCommand(args, HELP, async ({ sub, rest: [id], json, call, print }) => {
    if (sub !== 'list' && sub !== 'prune' && !id) throw bad(`xlab runs ${sub} needs a run id or name (see \`xlab runs list\`).`)
    switch (sub) {
      case 'list': {
        const runs = (await call('runs.list', { studyId: flagString(args, 'study'), state: flagString(args, 'state') })) as { id: string; name: string; state: string; stage: string; reason: string | null; attempts: number }[]
        if (json) print(runs)
        else for (const r of runs) process.stdout.write(`${r.id}  ${r.state.padEnd(11)} ${r.stage.padEnd(10)} ${r.name}${r.reason ? `  (${r.reason})` : ''}\n`)
        return 0
      }
      case 'show':
        print(await call('runs.get', { id }))
        return 0
      case 'logs': {
        const r = (await call('runs.logs', { id, tail: flagNumber(args, 'tail') ?? 200 })) as { file: string; lines: string[]; events: { t: string; level: string; message: string }[] }
        if (json) print(r)
        else {
          process.stdout.write(`== events (lab database)\n${r.events.map((e) => `${e.t} ${e.level.padEnd(7)} ${e.message}`).join('\n') || '(none)'}\n`)
          process.stdout.write(`== ${r.file}\n${r.lines.join('\n') || '(empty: the worker wrote nothing to stderr)'}\n`)
        }
        return 0
      }
      case 'metrics': {
        const split = flagString(args, 'split')
        const rows = ((await call('runs.metrics', { id })) as { split: string; epoch: number; step: number; name: string; value: number }[]).filter((m) => !split || m.split === split)
        if (json) print(rows)
        else for (const m of rows) process.stdout.write(`${m.split.padEnd(6)} epoch ${String(m.epoch).padStart(3)} step ${String(m.step).padStart(6)}  ${m.name.padEnd(20)} ${m.value.toPrecision(5)}\n`)
        return 0
      }
      case 'prune': {
        const olderThanDays = flagNumber(args, 'older-than') ?? 7
        if (olderThanDays < 0) throw bad(`--older-than is ${olderThanDays}; give an age in days (0 or more).`)
        type UsageOut = z.output<(typeof storageApi)['storage.usage']['output']>
        type PruneOut = z.output<(typeof storageApi)['storage.prune']['output']>
        const show = flagNumber(args, 'show') ?? 5
        const categories = pruneCategories(args)
        if (!args.flags.yes) {
          const u = (await call('storage.usage', { olderThanDays })) as UsageOut
          if (json) print(u)
          else process.stdout.write(`${formatUsage(u, show)}${dryRunNote(u, categories)}\n`)
          return 0
        }
        const r = (await call('storage.prune', { olderThanDays, categories })) as PruneOut
        if (json) print(r)
        else {
          for (const x of r.removed) process.stdout.write(`removed ${x.id}: ${x.count} run(s), ${x.files} files, ${(x.bytes / 1e9).toFixed(2)} GB\n`)
          process.stdout.write(`\n${formatUsage(r.usage, show)}`)
        }
        return 0
      }
      default:
        throw bad(`Unknown runs command "${sub}".\n\n${HELP}`)
    }
  })
}
