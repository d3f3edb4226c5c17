// `xlab doctor`'s data-root section: the data root is self-contained (DESIGN.md "Data on disk"),
// so every folder and file the lab writes is stored relative to it. A stored path that points
// outside (a database copied from another root by an older version, a hand edit) is listed: the
// lab reads that other place and refuses to delete there.
import { existsSync } from 'node:fs'
import { layout } from '../config/paths.ts'
import { pathsOutsideRoot } from '../store/data-root.ts'
import { openDatabase } from '../store/db.ts'
import type { DoctorContext, DoctorSection } from './report.ts'

/** How many outside paths are named one by one (the rest are counted). */
const SHOWN = 10

export function dataRootSection({ dataRoot }: DoctorContext): DoctorSection {
  const file = layout(dataRoot).db
  if (!existsSync(file)) return { id: 'data-root', title: 'Data root', status: 'ok', rows: [['data root', dataRoot], ['database', 'none yet']], notes: [] }
  const db = openDatabase(file)
  try {
    const outside = pathsOutsideRoot(db)
    const owned = outside.filter((p) => p.labOwned)
    const sources = outside.length - owned.length
    const rows: [string, string][] = [
      ['data root', dataRoot],
      ['lab paths outside it', String(owned.length)],
      ['import sources outside it', `${sources} (expected: sources are read where they are)`],
    ]
    for (const p of owned.slice(0, SHOWN)) rows.push([`${p.what} ${p.owner}`, p.path])
    const notes = owned.length
      ? [
          `${owned.length} stored path(s) of the lab's own files point outside this data root${owned.length > SHOWN ? ` (the first ${SHOWN} are listed)` : ''}: the lab reads them there and refuses to delete them. ` +
            'Copy those folders into this data root (datasets/<id>, runs/<id>) or import the datasets again here.',
        ]
      : []
    return { id: 'data-root', title: 'Data root', status: owned.length ? 'warn' : 'ok', rows, notes, data: { outside } }
  } finally {
    db.close()
  }
}
