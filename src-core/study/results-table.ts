// The table `npm run demo` and `xlab study status --results` print: one row per downstream run
// (encoder / protocol / task) with its test metrics, from the runs store.
import type { Db } from '../store/db.ts'
import { listRuns, studyTestMetrics } from '../store/runs.ts'

const COLUMNS = ['accuracy', 'f1_weighted', 'balanced_accuracy', 'roc_auc'] as const

/** One printed row. */
export interface ResultRow {
  /** `rotation/demo-mammo`, `rotation+inpainting/demo-mammo` for fusion, `scratch` for the baseline. */
  encoder: string
  /** linear / knn / finetune / scratch, `fusion-linear` / `fusion-finetune`; `linear@10%` for a run on a label fraction. */
  protocol: string
  /** binary / 3class. */
  task: string
  /** Seed. */
  seed: number
  /** Run state (metrics are null unless done). */
  state: string
  /** Test metrics by name. */
  metrics: Partial<Record<(typeof COLUMNS)[number], number>>
}

function encoderLabel(encoders: string[] | null): string {
  if (!encoders || !encoders.length) return 'scratch'
  // The supervised reference (issue 24): marked, and listed first in its task and protocol.
  if (encoders.length === 1) return encoders[0]!.startsWith('supervised/') ? `${encoders[0]!} (reference)` : encoders[0]!
  const datasets = new Set(encoders.map((e) => e.split('/')[1]))
  return datasets.size === 1 ? `${encoders.map((e) => e.split('/')[0]).join('+')}/${[...datasets][0]}` : encoders.join('+')
}

/** `@10%` for a run trained on a fraction of the labels (the planner leaves label_fraction out at 1). */
function fractionTag(fraction: unknown): string {
  return typeof fraction === 'number' && fraction < 1 ? `@${Number((fraction * 100).toPrecision(3))}%` : ''
}

export function resultRows(db: Db, studyId: string): ResultRow[] {
  const metrics = new Map<string, Record<string, number>>()
  for (const m of studyTestMetrics(db, studyId)) {
    const r = metrics.get(m.runId) ?? {}
    // Rows come newest first per name: keep the first (final) value.
    if (!(m.name in r)) r[m.name] = m.value
    metrics.set(m.runId, r)
  }
  return listRuns(db, { studyId })
    .filter((r) => r.stage === 'downstream')
    .map((r) => ({
      encoder: encoderLabel(r.encoders),
      protocol: `${r.fusionMode ? `fusion-${r.fusionMode}` : (r.protocol ?? '?')}${fractionTag(r.spec.params.label_fraction)}`,
      task: r.target ?? '?',
      seed: r.seed,
      state: r.state,
      metrics: metrics.get(r.id) ?? {},
    }))
    .sort((a, b) => a.task.localeCompare(b.task) || a.protocol.localeCompare(b.protocol) || Number(b.encoder.endsWith('(reference)')) - Number(a.encoder.endsWith('(reference)')) || a.encoder.localeCompare(b.encoder) || a.seed - b.seed)
}

/** A fixed-width text table (also valid Markdown). */
export function formatResultTable(rows: ResultRow[]): string {
  const head = ['task', 'protocol', 'encoder', 'seed', 'accuracy', 'F1 (weighted)', 'balanced acc.', 'AUC']
  const body = rows.map((r) => [r.task, r.protocol, r.encoder, String(r.seed), ...COLUMNS.map((c) => (r.metrics[c] === undefined ? (r.state === 'done' ? '-' : r.state) : r.metrics[c]!.toFixed(3)))])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}
