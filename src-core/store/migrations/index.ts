// Every migration, in order. Add one line per new numbered file.
import type { Migration } from '../migration.ts'

export const migrations: readonly Migration[] = []
