// The runs table's filtering and sorting, kept pure so the table stays fluid with thousands of
// rows (measured by scripts/bench-runs-table.ts) and so it can be tested without a DOM.

/** A column of the runs table. */
export interface Column<Row> {
  /** Stable key (also the CSV header). */
  key: string
  /** Header text. */
  label: string
  /** The cell's value for sorting, filtering and CSV. */
  value(row: Row): string | number | null
  /** Formats the cell for display. */
  format?(v: string | number | null): string
  /** Display text from the whole row (wins over format; sorting and CSV still use value). */
  display?(row: Row): string
  /** Relative width (flex grow), 1 by default: names get more room than numbers. */
  grow?: number
  /** Smallest width in characters (a value with its interval, "0.822 [0.768, 0.871]", is never cut). */
  minCh?: number
}

/** Sort state. */
export interface SortState {
  /** Column key. */
  key: string
  /** Ascending? */
  asc: boolean
}

/**
 * Keeps rows whose text contains every whitespace-separated term (case-insensitive), then sorts.
 * The search text of a row is built once per row and cached in a WeakMap, so typing a filter
 * does not re-stringify a thousand rows on every key press.
 */
export function filterAndSort<Row extends object>(rows: readonly Row[], columns: readonly Column<Row>[], filter: string, sort: SortState | null, cache = new WeakMap<Row, string>()): Row[] {
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean)
  let out: Row[]
  if (terms.length === 0) out = rows.slice()
  else {
    out = []
    for (const row of rows) {
      let text = cache.get(row)
      if (text === undefined) {
        text = columns.map((c) => String(c.value(row) ?? '')).join('\u0001').toLowerCase()
        cache.set(row, text)
      }
      if (terms.every((t) => text.includes(t))) out.push(row)
    }
  }
  if (!sort) return out
  const col = columns.find((c) => c.key === sort.key)
  if (!col) return out
  // Decorate-sort-undecorate: each value is computed once, not once per comparison.
  const keyed = out.map((row, i) => ({ row, v: col.value(row), i }))
  const dir = sort.asc ? 1 : -1
  keyed.sort((a, b) => {
    if (a.v === b.v) return a.i - b.i
    if (a.v === null) return 1
    if (b.v === null) return -1
    if (typeof a.v === 'number' && typeof b.v === 'number') return (a.v - b.v) * dir
    return (String(a.v) < String(b.v) ? -1 : 1) * dir
  })
  return keyed.map((k) => k.row)
}

/** The rows a virtual table draws: those in view plus a few above and below. */
export function visibleWindow(total: number, scrollTop: number, viewport: number, rowHeight: number, overscan = 8): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan)
  return { start, end }
}

/** CSV (RFC 4180 quoting) of rows over the given columns. */
export function toCsv<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines = [columns.map((c) => q(c.key)).join(',')]
  for (const r of rows) lines.push(columns.map((c) => q(c.value(r))).join(','))
  return lines.join('\r\n') + '\r\n'
}
