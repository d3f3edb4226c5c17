// Every migration, in order. Add one line per new numbered file.
import type { Migration } from '../migration.ts'
import { migration0001 } from './0001-datasets.ts'
import { migration0002 } from './0002-studies-runs.ts'
import { migration0003 } from './0003-notes-tags.ts'
import { migration0004 } from './0004-reference-encoders.ts'
import { migration0005 } from './0005-analysis-results.ts'
import { migration0006 } from './0006-relative-paths.ts'
import { migration0010 } from './0010-device-throughput.ts'
import { migration0011 } from './0011-work-costs.ts'

export const migrations: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0010,
  migration0011,
]
