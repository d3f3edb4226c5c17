// `xlab runs prune`: what the run folders hold by category (a dry run by default) and, with --yes,
// reclaiming it through storage.prune (src-core/service/storage.ts decides what may go).
import type { z } from 'zod'
import { STORAGE_DEFAULT_PRUNE, storageCategoryIdSchema, type storageUsageSchema } from '../../api/storage.ts'
import { formatBytes } from '../../doctor/report.ts'
import { flagList, type CliArgs } from '../args.ts'
import { badRequest } from '../service-command.ts'

type Usage = z.output<typeof storageUsageSchema>

type CategoryId = z.infer<typeof storageCategoryIdSchema>

export const PRUNE_HELP = `  prune [--older-than DAYS] [--category NAME]... [--yes] [--show N]
                                        what run folders hold that no study needs, by category (dry run);
                                        --yes deletes it; --category: only these (comma-separated or
                                        repeated); downstream-weights and pretext-weights (weights of
                                        finished runs) go only when named; --older-than: age of
                                        failed/cancelled runs whose checkpoints count (default 7);
                                        --show: runs listed per category (default 5)`

/** The categories a prune deletes: those named with --category, else every category that is not opt-in. */
export function pruneCategories(args: CliArgs): CategoryId[] {
  const named = flagList(args, 'category').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  if (args.flags.category === true || (args.flags.category !== undefined && !named.length)) throw badRequest(`--category needs a name: one of ${storageCategoryIdSchema.options.join(', ')}.`)
  const unknown = named.filter((n) => !(storageCategoryIdSchema.options as readonly string[]).includes(n))
  if (unknown.length) throw badRequest(`Unknown storage categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((n) => `"${n}"`).join(', ')}; name one of ${storageCategoryIdSchema.options.join(', ')}.`)
  return named.length ? [...new Set(named as CategoryId[])] : [...STORAGE_DEFAULT_PRUNE]
}

/** The last line of a dry run: what `--yes` would delete with the same categories. */
export function dryRunNote(u: Usage, categories: CategoryId[]): string {
  const reclaim = u.categories.filter((c) => categories.includes(c.id)).reduce((n, c) => n + c.bytes, 0)
  const names = categories.join(', ')
  const optIn = u.categories.filter((c) => c.optIn && c.bytes > 0 && !categories.includes(c.id))
  const also = optIn.length ? ` Not included unless named: ${optIn.map((c) => `${c.id} (${formatBytes(c.bytes)})`).join(', ')}; add --category NAME to reclaim one.` : ''
  return `Dry run: nothing was deleted. ${reclaim > 0 ? `Run again with --yes to delete ${names} (${formatBytes(reclaim)}).` : `Nothing to reclaim in ${names}.`}${also}`
}

/** The usage as a person reads it: what stays, then each category with what it holds and its largest runs. */
export function formatUsage(u: Usage, show = 5): string {
  const lines = [
    `Run folders: ${formatBytes(u.totalBytes)} in ${u.runsDir}`,
    `Kept: weights ${formatBytes(u.kept.weightsBytes)}, encoders ${formatBytes(u.kept.encoderBytes)}, logs and outputs ${formatBytes(u.kept.otherBytes)}, checkpoints of unfinished or recent failed/cancelled runs ${formatBytes(u.kept.activeBytes)}`,
    '',
  ]
  for (const c of u.categories) {
    lines.push(`${c.title} [${c.id}${c.optIn ? `: only with --category ${c.id}` : ''}]: ${formatBytes(c.bytes)} in ${c.count} run${c.count === 1 ? '' : 's'} (${c.files} files)`, `  ${c.holds}`)
    for (const i of c.items.slice(0, show)) lines.push(`    ${(i.runId ?? '(no run)').padEnd(15)} ${(i.state ?? '-').padEnd(10)} ${formatBytes(i.bytes).padStart(9)}  ${i.name}  [${i.files.join(', ')}]`)
    if (c.items.length > show) lines.push(`    ... and ${c.items.length - show} more`)
    lines.push('')
  }
  return lines.join('\n')
}
