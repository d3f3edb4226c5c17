// The lab service: owns the database, the dataset importer, the planner and the run queue, and
// answers API calls. It runs in Electron's utilityProcess, under `xlab serve`, or inside the CLI.
import { mkdirSync } from 'node:fs'
import type { z } from 'zod'
import { apiMethods } from '../api/index.ts'
import { ApiError, type CallContext } from '../api/contract.ts'
import type { DomainFactory, DomainModule, LabContext, LabServiceOptions } from './context.ts'
import { layout, resolveDataRoot } from '../config/paths.ts'
import { openDatabase } from '../store/db.ts'
import { datasetsDomain } from './datasets.ts'
import { encodersDomain } from './encoders.ts'
import { environmentDomain } from './environment.ts'
import { foldersDomain } from './folders.ts'
import { LabEvents } from './events.ts'
import { galleryDomain } from './gallery.ts'
import { notesDomain } from './notes.ts'
import { PathGuard } from './path-guard.ts'
import { resultsDomain } from './results.ts'
import { runsDomain } from './runs.ts'
import { storageDomain } from './storage.ts'
import { studiesDomain } from './studies.ts'

export type { DomainFactory, DomainModule, LabContext, LabServiceOptions } from './context.ts'

/** Domain factories, one per src-core domain. Add one line per domain. */
const domains: DomainFactory[] = [
  datasetsDomain,
  studiesDomain,
  runsDomain,
  resultsDomain,
  galleryDomain,
  environmentDomain,
  notesDomain,
  storageDomain,
  encodersDomain,
  foldersDomain,
]

export class LabService {
  readonly ctx: LabContext
  private readonly handlers: Record<string, (input: never, ctx: CallContext) => Promise<unknown>> = {}
  private readonly modules: DomainModule[] = []

  private constructor(ctx: LabContext, opts: LabServiceOptions) {
    this.ctx = ctx
    for (const make of domains) {
      const mod = make(ctx, opts)
      this.modules.push(mod)
      Object.assign(this.handlers, mod.handlers)
    }
  }

  /** Opens the data root and starts every domain (the queue resumes interrupted runs). */
  static async open(opts: LabServiceOptions = {}): Promise<LabService> {
    const dataRoot = resolveDataRoot(opts.dataRoot)
    mkdirSync(dataRoot, { recursive: true })
    const paths = layout(dataRoot)
    const db = openDatabase(paths.db)
    const ctx: LabContext = {
      dataRoot,
      paths,
      db,
      events: new LabEvents(),
      pathGuard: new PathGuard(opts.allowAllPaths ?? false),
      log: (component, message) => process.stderr.write(`[${new Date().toISOString()}] [${component}] [pid ${process.pid}] ${message}\n`),
    }
    const service = new LabService(ctx, opts)
    for (const m of service.modules) await m.start?.()
    return service
  }

  /** Validates the input of a named method and runs its handler. */
  async dispatch(methodName: string, rawInput: unknown, callCtx: CallContext): Promise<unknown> {
    // Own properties only: "constructor", "__proto__" or "toString" are not API methods.
    const def = Object.hasOwn(apiMethods, methodName) ? (apiMethods as Record<string, { input: z.ZodType } | undefined>)[methodName] : undefined
    const handler = Object.hasOwn(this.handlers, methodName) ? this.handlers[methodName] : undefined
    if (!def || !handler) throw new ApiError('NOT_FOUND', `There is no API method called "${methodName}".`)
    const parsed = def.input.safeParse(rawInput ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
      throw new ApiError('BAD_REQUEST', `The request to ${methodName} was refused: ${issues}.`)
    }
    return handler(parsed.data as never, callCtx)
  }

  /** Stops every domain (the queue stops its workers, leaving runs resumable) and closes the database. */
  async close(): Promise<void> {
    for (const m of [...this.modules].reverse()) await m.stop?.()
    this.ctx.db.close()
  }
}
