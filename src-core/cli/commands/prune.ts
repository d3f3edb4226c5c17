// `xlab runs prune`: what the run folders hold by category (a dry run by default) and, with --yes,
// reclaiming it through storage.prune (src-core/service/storage.ts decides what may go).
import type { z } from 'zod'
import type { storageUsageSchema } from '../../api/storage.ts'
import { formatBytes } from '../../doctor/report.ts'

type Usage = z.output<typeof storageUsageSchema>

export const PRUNE_HELP = `  prune [--older-than DAYS] [--yes] [--show N]
                                        what run folders hold that no study needs, by category (dry run);
                                        --yes deletes it; --older-than: age of failed/cancelled runs whose
                                        checkpoints count (default 7); --show: runs listed per category (default 5)`

/** The usage as a person reads it: what stays, then each category with what it holds and its largest runs. */
export function formatUsage(u: Usage, show = 5): string {
  const lines = [
    `Run folders: ${formatBytes(u.totalBytes)} in ${u.runsDir}`,
    `Kept: weights ${formatBytes(u.kept.weightsBytes)}, encoders ${formatBytes(u.kept.encoderBytes)}, logs and outputs ${formatBytes(u.kept.otherBytes)}, checkpoints of unfinished or recent failed/cancelled runs ${formatBytes(u.kept.activeBytes)}`,
    '',
  ]
  for (const c of u.categories) {
    lines.push(`${c.title}: ${formatBytes(c.bytes)} in ${c.count} run${c.count === 1 ? '' : 's'} (${c.files} files)`, `  ${c.holds}`)
    for (const i of c.items.slice(0, show)) lines.push(`    ${(i.runId ?? '(no run)').padEnd(15)} ${(i.state ?? '-').padEnd(10)} ${formatBytes(i.bytes).padStart(9)}  ${i.name}  [${i.files.join(', ')}]`)
    if (c.items.length > show) lines.push(`    ... and ${c.items.length - show} more`)
    lines.push('')
  }
  return lines.join('\n')
}
