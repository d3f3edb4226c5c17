// Runs the engine's importer (`python -m xlab.encoders import SRC --out-dir DIR --name NAME`): it
// loads the file as a torchvision resnet18 state_dict (refusing anything else, with why) and writes
// the lab's encoder file. The lab never unpickles a user's file itself; the engine does, once.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { enginePython } from '../environment/locations.ts'
import { labResources } from '../environment/resources.ts'
import type { EncoderNormalisation } from '../store/reference-encoders.ts'

/** What the engine prints on success. */
export interface EngineImportResult {
  /** The written encoder file. */
  encoder: string
  /** sha256 of the written file. */
  sha256: string
  /** sha256 of the source file. */
  sourceSha256: string
  /** Parameters of the encoder. */
  parameters: number
}

/** The engine refused the file (not a resnet18 state_dict, unreadable, ...); the message says why. */
export class EncoderImportError extends Error {}

/** The engine folder (XLAB_ENGINE_PATH swaps in another build, as for the runner). */
export function engineDir(): string {
  return process.env.XLAB_ENGINE_PATH || labResources().engineDir
}

/** Imports `src` into `outDir` under `name` through the engine. */
export function engineImportEncoder(src: string, outDir: string, name: string, norm: EncoderNormalisation | null, timeoutMs = 300_000): Promise<EngineImportResult> {
  const python = enginePython()
  if (!existsSync(python)) return Promise.reject(new EncoderImportError(`The engine's Python (${python}) is not there; run xlab doctor to set the engine environment up, then import again.`))
  const args = ['-m', 'xlab.encoders', 'import', src, '--out-dir', outDir, '--name', name]
  if (norm) args.push('--mean', norm.mean.join(','), '--std', norm.std.join(','))
  const dir = engineDir()
  const env = { ...process.env, PYTHONPATH: [dir, process.env.PYTHONPATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':'), PYTHONUNBUFFERED: '1' }
  return new Promise((resolve, reject) => {
    execFile(python, args, { cwd: join(dir), env, timeout: timeoutMs, maxBuffer: 8 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? ''
      const out = parseLine(line)
      if (out?.ok === true && out.encoder && out.sha256 && out.source_sha256) {
        resolve({ encoder: out.encoder, sha256: out.sha256, sourceSha256: out.source_sha256, parameters: out.parameters ?? 0 })
      } else if (out?.ok === false) {
        reject(new EncoderImportError(out.message ?? 'the engine refused the file without saying why'))
      } else {
        const tail = `${stderr}`.trim().split('\n').slice(-5).join(' | ')
        reject(new Error(`The engine's encoder import failed (${err ? err.message.split('\n')[0] : 'no result printed'})${tail ? `: ${tail}` : ''}. Check the engine with xlab doctor.`))
      }
    })
  })
}

type EngineLine = { ok?: boolean; message?: string; encoder?: string; sha256?: string; source_sha256?: string; parameters?: number }

function parseLine(line: string): EngineLine | null {
  try {
    const v = JSON.parse(line) as unknown
    return v && typeof v === 'object' ? (v as EngineLine) : null
  } catch {
    return null
  }
}
