// The Runs list: text filter (also over notes and tags), grouping by stage, state, task, dataset or
// study, and sorting by name, start time, duration or state. Pure, so it is tested without a DOM.
import { secondsBetween } from './run-status.ts'

/** The fields of a run the list uses. */
export interface ListRun {
  /** Run id. */
  id: string
  /** Study that planned it. */
  studyId: string
  /** Readable name. */
  name: string
  /** pretext / extract / downstream / probe. */
  stage: string
  /** Run state. */
  state: string
  /** Pretraining dataset (single-encoder runs). */
  pretrainDataset: string | null
  /** binary / 3class. */
  target: string | null
  /** Protocol (fusion runs: their mode). */
  protocol: string | null
  /** Created (queued) time. */
  createdAt: string
  /** Start time. */
  startedAt: string | null
  /** Finish time. */
  finishedAt: string | null
}

export const GROUP_KEYS = ['none', 'stage', 'state', 'task', 'dataset', 'study'] as const
export type GroupKey = (typeof GROUP_KEYS)[number]
export const SORT_KEYS = ['queue', 'name', 'started', 'duration', 'state'] as const
export type SortKey = (typeof SORT_KEYS)[number]

/** How the list is shown. */
export interface ListOptions {
  /** Words that must all appear (name, stage, state, factors, study name, notes, tags). */
  filter: string
  /** Grouping. */
  groupBy: GroupKey
  /** Sort key. */
  sortBy: SortKey
  /** Descending? */
  desc: boolean
}

/** One group of the list. */
export interface RunGroup<R> {
  /** Group key value ('' for the single group). */
  key: string
  /** Heading. */
  label: string
  /** Runs in order. */
  runs: R[]
}

function groupValue(r: ListRun, g: GroupKey, studyName: (id: string) => string): string {
  switch (g) {
    case 'stage': return r.stage
    case 'state': return r.state
    case 'task': return r.target ?? '(no task: pretext, extract, probe)'
    case 'dataset': return r.pretrainDataset ?? '(no pretraining dataset)'
    case 'study': return studyName(r.studyId)
    default: return ''
  }
}

function sortValue(r: ListRun, s: SortKey, now: number): string | number {
  switch (s) {
    case 'name': return r.name
    case 'started': return r.startedAt ?? '\uffff'
    case 'duration': return secondsBetween(r.startedAt, r.finishedAt, now) ?? -1
    case 'state': return r.state
    default: return r.createdAt
  }
}

/** Filters, sorts and groups runs. `extraText(id)` adds searchable text (notes, tags). */
export function listRuns<R extends ListRun>(runs: readonly R[], o: ListOptions, studyName: (id: string) => string = (id) => id, extraText: (id: string) => string = () => '', now = Date.now()): RunGroup<R>[] {
  const terms = o.filter.toLowerCase().split(/\s+/).filter(Boolean)
  const kept = terms.length === 0 ? [...runs] : runs.filter((r) => {
    const text = [r.name, r.stage, r.state, r.pretrainDataset, r.target, r.protocol, studyName(r.studyId), extraText(r.id)].join(' ').toLowerCase()
    return terms.every((t) => text.includes(t))
  })
  const dir = o.desc ? -1 : 1
  const keyed = kept.map((r, i) => ({ r, v: sortValue(r, o.sortBy, now), i }))
  keyed.sort((a, b) => (a.v === b.v ? a.i - b.i : (a.v < b.v ? -1 : 1) * dir))
  const groups = new Map<string, R[]>()
  for (const { r } of keyed) {
    const g = groupValue(r, o.groupBy, studyName)
    groups.set(g, [...(groups.get(g) ?? []), r])
  }
  return [...groups.entries()].sort(([a], [b]) => (o.groupBy === 'none' ? 0 : a < b ? -1 : 1)).map(([key, rs]) => ({ key, label: key, runs: rs }))
}

/** "09:41:07" today, "1 Dec 09:41" otherwise; em dash when not started. */
export function startText(iso: string | null, now = new Date()): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time.slice(0, 5)}`
}
