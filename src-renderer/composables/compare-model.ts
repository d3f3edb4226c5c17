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

/** Runs whose text holds every word of the query (case-insensitive), best match first, at most `limit`:
 *  a run whose name is the query, then runs whose name holds every word as a whole word (`mammo` in
 *  `demo-mammo`, not in `mammography`), then the rest; among equals, the name with the fewest other
 *  words first (`binary-linear-rotation@demo-mammo-s0` before the fusion run that also holds those words). */
export function searchRuns<R extends PickableRun>(runs: readonly R[], query: string, limit = 40): R[] {
  const q = query.toLowerCase().trim()
  const terms = q.split(/\s+/).filter(Boolean)
  const words = (t: string) => t.toLowerCase().split(/[^a-z0-9%.]+/).filter(Boolean)
  const scored: { r: R; score: number; extra: number; i: number }[] = []
  runs.forEach((r, i) => {
    const t = r.text.toLowerCase()
    if (!terms.every((w) => t.includes(w))) return
    const nameWords = words(r.name)
    const whole = terms.filter((w) => nameWords.includes(w) || words(w).every((x) => nameWords.includes(x))).length
    const score = r.name.toLowerCase() === q ? 1000 : whole * 10 + (terms.every((w) => r.name.toLowerCase().includes(w)) ? 5 : 0)
    scored.push({ r, score, extra: nameWords.length, i })
  })
  return scored.sort((a, b) => b.score - a.score || a.extra - b.extra || a.i - b.i).slice(0, limit).map((x) => x.r)
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
