// The shapes shared by the lab service and its domains: the per-service context and what a
// domain module is. Kept apart from lab-service.ts (which imports every domain) so the domains
// import these types without an import circle.
import type { CallContext } from '../api/contract.ts'
import type { layout } from '../config/paths.ts'
import type { Db } from '../store/db.ts'
import type { LabEvents } from './events.ts'
import type { PathGuard } from './path-guard.ts'

/** Everything a domain's handlers need; built once per service. */
export interface LabContext {
  /** Absolute data root (lab.sqlite, datasets/, runs/). */
  dataRoot: string
  /** Fixed sub-paths of the data root. */
  paths: ReturnType<typeof layout>
  /** The run store; only src-core/store modules run SQL on it. */
  db: Db
  /** Pushed events for the transports. */
  events: LabEvents
  /** Checks user-supplied paths. */
  pathGuard: PathGuard
  /** Human log line with a component tag (stderr). */
  log(component: string, message: string): void
}

export interface LabServiceOptions {
  /** Data root; defaults to XLAB_DATA or the per-user folder. */
  dataRoot?: string
  /** Accept any path (CLI). Transports leave it false and allow folders explicitly. */
  allowAllPaths?: boolean
  /** Start the run queue (false for one-shot CLI commands that only read). */
  startQueue?: boolean
}

/** What a domain factory returns: its handlers (typed with Handlers<typeof itsApi>) and a lifecycle. */
export interface DomainModule {
  handlers: Record<string, (input: never, ctx: CallContext) => Promise<unknown>>
  start?(): Promise<void> | void
  stop?(): Promise<void> | void
}

export type DomainFactory = (ctx: LabContext, opts: LabServiceOptions) => DomainModule
