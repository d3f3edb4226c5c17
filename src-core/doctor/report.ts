// `xlab doctor`'s report: a list of sections, each from one check, printed as text or JSON. A new
// subsystem adds its check to checks.ts (one line) and appears in the CLI, the API and the app.

/** A section's verdict: `fail` makes doctor exit non-zero. */
export type DoctorStatus = 'ok' | 'warn' | 'fail'

/** One section of the report. */
export interface DoctorSection {
  /** Stable id (`accelerator`, `environment`, `engine`, `disk`, ...). */
  id: string
  /** Heading for people. */
  title: string
  /** Overall verdict of the section. */
  status: DoctorStatus
  /** Label/value pairs shown as a table. */
  rows: [string, string][]
  /** Sentences: warnings and what to do. */
  notes: string[]
  /** Machine-readable details (printed by --json). */
  data?: unknown
}

/** The whole report. */
export interface DoctorReport {
  /** No section failed. */
  ok: boolean
  /** ISO time. */
  generatedAt: string
  /** Sections in order. */
  sections: DoctorSection[]
}

/** What every check may use. */
export interface DoctorContext {
  /** The data root in use. */
  dataRoot: string
}

/** One check: returns its section; a throw becomes a failed section (the report still comes out). */
export type DoctorCheck<C extends DoctorContext = DoctorContext> = { id: string; title: string; run: (ctx: C) => DoctorSection | Promise<DoctorSection> }

/** Runs the checks in order. */
export async function runDoctor<C extends DoctorContext>(checks: DoctorCheck<C>[], ctx: C): Promise<DoctorReport> {
  const sections: DoctorSection[] = []
  for (const check of checks) {
    try {
      sections.push(await check.run(ctx))
    } catch (e) {
      sections.push({ id: check.id, title: check.title, status: 'fail', rows: [], notes: [`The check itself failed: ${(e as Error).message}`] })
    }
  }
  return { ok: sections.every((s) => s.status !== 'fail'), generatedAt: new Date().toISOString(), sections }
}

const MARK: Record<DoctorStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' }

/** Plain-text rendering for the terminal. */
export function formatDoctorReport(r: DoctorReport): string {
  const out: string[] = []
  for (const s of r.sections) {
    out.push(`[${MARK[s.status]}] ${s.title}`)
    const width = Math.max(0, ...s.rows.map(([k]) => k.length))
    for (const [k, v] of s.rows) out.push(`       ${k.padEnd(width)}  ${v}`)
    for (const n of s.notes) out.push(`       ! ${n}`)
    out.push('')
  }
  out.push(r.ok ? 'doctor: everything needed to train is in place.' : 'doctor: something above needs attention (FAIL).')
  return `${out.join('\n')}\n`
}

/** Bytes as `12.3 GB` (decimal units, as disks are sold). */
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
