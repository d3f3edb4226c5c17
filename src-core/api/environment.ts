// The engine environment: its status and last verification, doctor's report, and set-up / repair
// with pushed progress (the app's first-run screen and Environment view).
import { z } from 'zod'
import { method } from './contract.ts'

const row = z.tuple([z.string(), z.string()])

/** One section of doctor's report (src-core/doctor/report.ts). */
export const doctorSectionSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'fail']),
  rows: z.array(row),
  notes: z.array(z.string()),
  data: z.unknown().optional(),
})

export const doctorReportSchema = z.object({ ok: z.boolean(), generatedAt: z.string(), sections: z.array(doctorSectionSchema) })

/** The last verification (src-core/environment/verify.ts). */
export const verificationSchema = z.object({
  ok: z.boolean(),
  at: z.string(),
  python: z.string(),
  versions: z.record(z.string(), z.string().nullable()),
  device: z.record(z.string(), z.unknown()).nullable(),
  gpus: z.array(z.object({ index: z.number(), name: z.string(), memory_total_bytes: z.number(), memory_free_bytes: z.number(), capability: z.string() })),
  conv: z.object({ dtype: z.string(), ok: z.boolean(), seconds: z.number(), error: z.string().nullable() }).nullable(),
  disk: z.object({ path: z.string(), freeBytes: z.number(), totalBytes: z.number() }).nullable(),
  errors: z.array(z.string()),
  engine_path: z.string().optional(),
})

export const environmentStatusSchema = z.object({
  /** The engine's Python. */
  python: z.string(),
  /** env (XLAB_PYTHON), dev (a checkout's .venv) or managed. */
  source: z.enum(['env', 'dev', 'managed']),
  /** The managed environment folder. */
  envDir: z.string(),
  /** The install record of the managed environment, null when not installed. */
  installed: z.object({ lock: z.string(), variant: z.string(), tool: z.string(), toolVersion: z.string(), installedAt: z.string() }).nullable(),
  /** The last verification, null when none ran. */
  verification: verificationSchema.nullable(),
  /** True while a set-up or repair runs. */
  busy: z.boolean(),
  /** True when the managed environment must be set up before anything can train (first run). */
  needsSetup: z.boolean(),
})

export const environmentApi = {
  'environment.status': method(z.object({}), environmentStatusSchema, 'Where the engine\'s Python is, what was installed, and the last verification (reads files only; fast).'),
  'environment.doctor': method(z.object({}), doctorReportSchema, 'Detects the accelerator, verifies the engine environment and reports every doctor section (as `xlab doctor --json`).'),
  'environment.setup': method(
    z.object({ repair: z.boolean().default(false) }),
    z.object({ action: z.enum(['created', 'updated', 'repaired', 'up-to-date']), status: environmentStatusSchema }),
    'Creates the managed environment (or rebuilds it with repair: true), with onEnvironmentProgress events; datasets and runs are not touched.',
  ),
} as const

export const environmentEvents = {
  /** A set-up step: phase, a line for people, sizes where the installer gives them. */
  onEnvironmentProgress: z.object({
    phase: z.enum(['detect', 'python', 'venv', 'download', 'install', 'verify', 'done']),
    message: z.string(),
    package: z.string().optional(),
    bytes: z.number().optional(),
    doneBytes: z.number().optional(),
    packages: z.number().optional(),
  }),
} as const
