// Where an imported reference encoder lives and how a run finds it: `<data root>/encoders/<name>/`
// holds the engine's copy of the weights and reference.json (name, file, sha256), written last, so
// the job builder resolves `{"$reference": name}` from the files alone, as it does datasets.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync, readSync, openSync, closeSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

/** The manifest of a stored reference encoder. */
export interface ReferenceManifest {
  /** Its name. */
  name: string
  /** File name of the weights inside the folder. */
  file: string
  /** sha256 of that file. */
  sha256: string
}

/** The folder of reference encoder `name` under the encoders root. */
export function referenceDir(encodersRoot: string, name: string): string {
  return join(encodersRoot, name)
}

/** The encoders root of the data root that holds a run folder (`<root>/runs/<id>` -> `<root>/encoders`). */
export function encodersRootOfRunDir(runDir: string): string {
  return join(runDir, '..', '..', 'encoders')
}

/** Writes reference.json last, after the weights are in place. */
export function writeManifest(dir: string, m: ReferenceManifest): void {
  writeFileSync(join(dir, 'reference.json'), `${JSON.stringify(m, null, 2)}\n`)
}

/** The manifest and absolute weights path of a stored encoder; null when there is none. */
export function readManifest(dir: string): (ReferenceManifest & { path: string }) | null {
  const f = join(dir, 'reference.json')
  if (!existsSync(f)) return null
  try {
    const m = JSON.parse(readFileSync(f, 'utf8')) as ReferenceManifest
    if (typeof m.file !== 'string' || typeof m.sha256 !== 'string' || basename(m.file) !== m.file) return null
    return { ...m, path: join(dir, m.file) }
  } catch {
    return null
  }
}

/** sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** sha256 of a file, read synchronously in blocks (the job builder is synchronous). */
export function fileSha256Sync(path: string): string {
  const h = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (!n) break
      h.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}
