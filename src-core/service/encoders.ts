// The reference-encoder domain of the lab service: handlers for src-core/api/encoders.ts. An import
// hashes the user's file, refuses a taken name for other weights, has the engine check and convert
// the file into a temporary folder, and only then moves it into place and stores the row, so a
// refused or failed import leaves nothing behind.
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { encodersApi } from '../api/encoders.ts'
import { EncoderImportError, engineImportEncoder } from '../encoders/engine-import.ts'
import { fileSha256, referenceDir, writeManifest } from '../encoders/reference-files.ts'
import { getReferenceEncoder, insertReferenceEncoder, listReferenceEncoders, type EncoderNormalisation, type ReferenceEncoderRecord } from '../store/reference-encoders.ts'
import { REFERENCE_NAME } from '../study/config.ts'
import type { DomainFactory } from './context.ts'
import { removeInsideRoot } from '../util/inside-root.ts'

const sameNorm = (a: EncoderNormalisation | null, b: EncoderNormalisation | null) => JSON.stringify(a) === JSON.stringify(b)

export const encodersDomain: DomainFactory = (ctx) => {
  // One import at a time per name: two concurrent imports of one name must not both pass the check.
  const busy = new Set<string>()
  const handlers: Handlers<typeof encodersApi> = {
    'encoders.list': async () => listReferenceEncoders(ctx.db),
    'encoders.import': async ({ path, name, mean, std }) => {
      if (!REFERENCE_NAME.test(name)) throw new ApiError('BAD_REQUEST', `"${name}" is not a usable encoder name: use letters, digits, ".", "_", "-" (at most 64, starting with a letter or digit), e.g. imagenet.`)
      if ((mean === undefined) !== (std === undefined)) throw new ApiError('BAD_REQUEST', 'Give both --mean and --std (three numbers each, R,G,B) or neither.')
      if (std?.some((s) => !(s > 0))) throw new ApiError('BAD_REQUEST', `Every --std value must be above 0 (got ${std.join(',')}).`)
      const norm: EncoderNormalisation | null = mean && std ? { mean, std } : null
      const src = ctx.pathGuard.check(path)
      if (!existsSync(src) || !statSync(src).isFile()) throw new ApiError('BAD_REQUEST', `${path} is not a file. Give the .pth (or .safetensors) file holding the resnet18 state_dict.`)
      if (busy.has(name)) throw new ApiError('BUSY', `An import of "${name}" is already running; wait for it to finish.`)
      busy.add(name)
      try {
        const sourceSha256 = await fileSha256(src)
        const existing = getReferenceEncoder(ctx.db, name)
        if (existing) {
          if (existing.sourceSha256 === sourceSha256 && sameNorm(existing.normalisation, norm)) return { ...existing, created: false }
          const what = existing.sourceSha256 !== sourceSha256 ? `from another file (${existing.sourcePath}, sha256 ${existing.sourceSha256.slice(0, 12)}; this one is ${sourceSha256.slice(0, 12)})` : `with another normalisation (${JSON.stringify(existing.normalisation)})`
          throw new ApiError('BAD_REQUEST', `A reference encoder named "${name}" was already imported ${what}. Runs that used it are tied to those weights: import this file under another name (--name ${name}-2).`)
        }
        const root = ctx.paths.encoders
        mkdirSync(root, { recursive: true })
        const tmp = join(root, `.${name}.importing-${process.pid}-${Date.now()}`)
        const dir = referenceDir(root, name)
        try {
          const r = await engineImportEncoder(src, tmp, name, norm).catch((e: unknown) => {
            if (e instanceof EncoderImportError) throw new ApiError('BAD_REQUEST', `${path} cannot be imported as a reference encoder: ${e.message}`)
            throw e
          })
          // Trust the file, not the report: the checksum runs are tied to is the one of the bytes on disk.
          const sha256 = await fileSha256(r.encoder)
          if (sha256 !== r.sha256) throw new Error(`The engine reported sha256 ${r.sha256.slice(0, 12)} for ${r.encoder}, but the file has ${sha256.slice(0, 12)}; import again.`)
          writeManifest(tmp, { name, file: basename(r.encoder), sha256 })
          removeInsideRoot(ctx.dataRoot, dir)
          renameSync(tmp, dir)
          const rec: ReferenceEncoderRecord = insertReferenceEncoder(ctx.db, { name, path: join(dir, basename(r.encoder)), sha256, sourcePath: src, sourceSha256, normalisation: norm, parameters: r.parameters })
          ctx.log('encoders', `imported ${name} from ${src} (sha256 ${sha256.slice(0, 12)})`)
          ctx.events.emit('onEncodersChanged', {})
          return { ...rec, created: true }
        } finally {
          removeInsideRoot(ctx.dataRoot, tmp)
        }
      } finally {
        busy.delete(name)
      }
    },
  }
  return { handlers }
}
