// Small display helpers shared by the views.

/** "1 h 02 min", "3 min 05 s", "42 s"; em dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** A metric with 3 decimals; em dash when missing. */
export function formatMetric(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3)
}

/** An ISO time in the reader's local time zone: "5 Dec 2026, 17:04:12"; the text itself when it is not a time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString([], { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

/** Bytes in decimal units ("12.8 GB"), as `xlab runs prune` prints them (src-core/doctor/report.ts formatBytes; the renderer may not import src-core code). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

/** A name cut after each separator (/ @ · _ - + . , and spaces), so it can wrap there and only there:
 *  `binary-linear-rotation@demo-mammo-s0` -> `binary-`, `linear-`, `rotation@`, `demo-`, `mammo-`, `s0`.
 *  A point or comma between two digits belongs to its number (`f0.25`, `1,000`) and is no break. */
export function nameParts(name: string): string[] {
  const isSep = (c: string | undefined) => c !== undefined && /[/@·_\-+.,\s]/.test(c)
  const isDigit = (c: string | undefined) => c !== undefined && /\d/.test(c)
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!
    const next = name[i + 1]
    cur += ch
    const inNumber = (ch === '.' || ch === ',') && isDigit(name[i - 1]) && isDigit(next)
    if (isSep(ch) && !inNumber && next !== undefined && !isSep(next)) {
      parts.push(cur)
      cur = ''
    }
  }
  if (cur) parts.push(cur)
  return parts.length ? parts : [name]
}
