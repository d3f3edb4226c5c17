// Compare: which runs match a search (across studies), and which settings differ between the
// picked runs (the job parameters, flattened), so a side-by-side table shows only what matters.

/** A run the picker offers. */
export interface PickableRun {
  /** Run id. */
  runId: string
  /** Run name. */
  name: string
  /** Search text: name, encoder, task, protocol, seed, study name, notes, tags. */
  text: string
}

/** Runs whose text holds every word of the query (case-insensitive), at most `limit`. */
export function searchRuns<R extends PickableRun>(runs: readonly R[], query: string, limit = 40): R[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean)
  const out: R[] = []
  for (const r of runs) {
    const t = r.text.toLowerCase()
    if (terms.every((w) => t.includes(w))) out.push(r)
    if (out.length >= limit) break
  }
  return out
}

/** Dotted paths of an object's leaves: {a: {b: 1}} -> {"a.b": "1"}. Arrays are written as JSON. */
export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix) out[prefix] = typeof value === 'string' ? value : JSON.stringify(value)
  return out
}

/** Settings whose values are not the same in every run (a missing one counts as different). */
export function differingParams(specs: Record<string, unknown>, ids: readonly string[]): { key: string; values: Record<string, string> }[] {
  const flat = Object.fromEntries(ids.map((id) => [id, flatten(specs[id] ?? {})]))
  const keys = [...new Set(ids.flatMap((id) => Object.keys(flat[id]!)))].sort()
  return keys
    .filter((k) => !/^(run_id|run_dir|\$|params\.(dataset_dir|encoders|out_dir|checkpoint))/.test(k))
    .map((key) => ({ key, values: Object.fromEntries(ids.map((id) => [id, flat[id]![key] ?? '—'])) }))
    .filter((row) => new Set(Object.values(row.values)).size > 1)
}
