// The import report stored with the dataset: counts per label and split, the ChestX-ray14 targets,
// and every skipped file with its reason.
import { BINARY_NAMES, THREE_CLASS_NAMES, binaryTarget, threeClassTarget } from './chest-labels.ts'
import { syntaxName } from './dicom-codecs.ts'
import { POLICY_DESCRIPTIONS, type ResizePolicy } from './image-decode.ts'
import { WINDOW_DESCRIPTIONS, type WindowSource } from './window.ts'
import type { SkippedFile } from './plan.ts'
import type { SplitName } from './splits.ts'

/** Per-split counts. */
export type SplitCounts = Record<SplitName | 'total', number>

/** What `xlab datasets show` prints and `datasets.report` returns. */
export interface ImportReport {
  /** Files considered (rows kept + skipped). */
  considered: number
  /** Rows in the cache. */
  imported: number
  /** Files left out. */
  skippedCount: number
  /** Rows per split. */
  splits: SplitCounts
  /** Images carrying each label, per split. */
  perLabel: Record<string, SplitCounts>
  /** ChestX-ray14 targets per split (binary and 3-class), when the labels are ChestX-ray14's. */
  targets: Record<string, Record<string, SplitCounts>> | null
  /** Distinct patients, per split, when the source has patients. */
  patients: SplitCounts | null
  /** Skipped files with reason and message. */
  skipped: SkippedFile[]
  /** Count of skipped files per reason. */
  skippedByReason: Record<string, number>
  /** Non-fatal notes (unknown labels, ...). */
  warnings: string[]
  /** Where the split came from. */
  splitSource: string
  /** Resize policy and output size. */
  resize: { policy: string; size: number; channels: number; lateralityFlip: boolean }
  /** Seconds the import took (this run; a resumed import counts only its own part). */
  seconds: number
  /** True when an interrupted import was continued. */
  resumed: boolean
  /**
   * How the imported images were taken to 8 bits (rows per window source: 8-bit, percentile,
   * dicom-window, dicom-voi-lut, min-max) and the DICOM transfer syntaxes seen (rows per UID).
   * Absent in reports of older versions.
   */
  decoding?: { windows: Record<string, number>; transferSyntaxes: Record<string, number> }
}

const zero = (): SplitCounts => ({ train: 0, val: 0, test: 0, total: 0 })

/** Builds the report from the kept rows. */
export function buildReport(a: {
  labelNames: string[]
  rows: { labels: number[]; split: SplitName; patient: number | null }[]
  skipped: SkippedFile[]
  warnings: string[]
  splitSource: string
  resize: ImportReport['resize']
  seconds: number
  resumed: boolean
  considered: number
  decoding?: ImportReport['decoding']
}): ImportReport {
  const splits = zero()
  const perLabel: Record<string, SplitCounts> = Object.fromEntries(a.labelNames.map((l) => [l, zero()]))
  const chest = a.labelNames.includes('No Finding') && a.labelNames.includes('Pneumonia')
  const targets = chest
    ? { binary: Object.fromEntries(BINARY_NAMES.map((n) => [n, zero()])), '3class': Object.fromEntries(THREE_CLASS_NAMES.map((n) => [n, zero()])) }
    : null
  const patientSets = { train: new Set<number>(), val: new Set<number>(), test: new Set<number>(), total: new Set<number>() }
  let hasPatients = false
  for (const r of a.rows) {
    splits[r.split]++
    splits.total++
    for (const l of r.labels) {
      perLabel[a.labelNames[l]!]![r.split]++
      perLabel[a.labelNames[l]!]!.total++
    }
    if (targets) {
      const names = r.labels.map((l) => a.labelNames[l]!)
      const b = BINARY_NAMES[binaryTarget(names)]
      const t = THREE_CLASS_NAMES[threeClassTarget(names)]
      targets.binary[b]![r.split]++
      targets.binary[b]!.total++
      targets['3class'][t]![r.split]++
      targets['3class'][t]!.total++
    }
    if (r.patient !== null) {
      hasPatients = true
      patientSets[r.split].add(r.patient)
      patientSets.total.add(r.patient)
    }
  }
  const skippedByReason: Record<string, number> = {}
  for (const s of a.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1
  return {
    considered: a.considered,
    imported: a.rows.length,
    skippedCount: a.skipped.length,
    splits,
    perLabel,
    targets,
    patients: hasPatients ? { train: patientSets.train.size, val: patientSets.val.size, test: patientSets.test.size, total: patientSets.total.size } : null,
    skipped: a.skipped,
    skippedByReason,
    warnings: a.warnings,
    splitSource: a.splitSource,
    resize: a.resize,
    seconds: a.seconds,
    resumed: a.resumed,
    ...(a.decoding ? { decoding: a.decoding } : {}),
  }
}

/**
 * What the report says about left/right: a mirrored cache has a constant orientation, which the
 * rotation and structure pretext tasks then randomise per image (engine/xlab/train_pretext.py).
 */
export function lateralityNote(resize: { channels: number; lateralityFlip: boolean }): string {
  if (resize.lateralityFlip) return ', mirrored to face left (pretext tasks mirror each image at random, so the constant orientation gives rotation no answer)'
  return resize.channels === 1 ? ', orientation as acquired (not mirrored)' : ''
}

/** Human-readable report for the CLI. */
export function formatReport(r: ImportReport, maxSkipped = 50): string {
  const pct = (n: number) => (r.imported ? ((100 * n) / r.imported).toFixed(1) : '0.0')
  const row = (name: string, c: SplitCounts) => `  ${name.padEnd(22)} ${String(c.total).padStart(7)} ${pct(c.total).padStart(6)}%  train ${String(c.train).padStart(6)}  val ${String(c.val).padStart(5)}  test ${String(c.test).padStart(6)}`
  const lines = [
    `imported ${r.imported} of ${r.considered} files (${r.skippedCount} skipped)${r.resumed ? ', resumed after an interruption' : ''}`,
    `resize: ${r.resize.policy} to ${r.resize.size}x${r.resize.size} (${POLICY_DESCRIPTIONS[r.resize.policy as ResizePolicy] ?? 'policy recorded by an older version'}), ${r.resize.channels === 1 ? 'grey' : 'colour'}${lateralityNote(r.resize)}`,
    `split: ${r.splitSource}`,
    row('all images', r.splits),
  ]
  if (r.decoding) {
    const windows = Object.entries(r.decoding.windows)
    if (windows.some(([w]) => w !== '8-bit')) lines.push(`to 8 bits: ${windows.map(([w, n]) => `${n} by ${WINDOW_DESCRIPTIONS[w as WindowSource] ?? w}`).join('; ')}`)
    const ts = Object.entries(r.decoding.transferSyntaxes)
    if (ts.length) lines.push(`DICOM transfer syntaxes: ${ts.map(([uid, n]) => `${syntaxName(uid)} ${n}`).join(', ')}`)
  }
  if (r.patients) lines.push(`  ${'patients'.padEnd(22)} ${String(r.patients.total).padStart(7)}         train ${String(r.patients.train).padStart(6)}  val ${String(r.patients.val).padStart(5)}  test ${String(r.patients.test).padStart(6)}`)
  lines.push('labels:')
  for (const [l, c] of Object.entries(r.perLabel)) lines.push(row(l, c))
  if (r.targets) {
    for (const [t, m] of Object.entries(r.targets)) {
      lines.push(`target ${t}:`)
      for (const [c, v] of Object.entries(m)) lines.push(row(c, v))
    }
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`)
  if (r.skippedCount) {
    lines.push(`skipped (${Object.entries(r.skippedByReason).map(([k, v]) => `${k} ${v}`).join(', ')}):`)
    for (const s of r.skipped.slice(0, maxSkipped)) lines.push(`  ${s.file}: ${s.reason}: ${s.message}`)
    if (r.skipped.length > maxSkipped) lines.push(`  ... and ${r.skipped.length - maxSkipped} more (xlab datasets show <id> --all)`)
  }
  return lines.join('\n')
}
