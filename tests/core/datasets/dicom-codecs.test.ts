// Compressed DICOM: one uncompressed 12-bit source (and an 8-bit one for JPEG baseline) written by
// pydicom, converted by GDCM into each transfer syntax; each must decode to the source within 1 grey
// level (lossless) or within the codec's error (lossy), and the import report names the syntaxes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeRle, syntaxName } from '../../../src-core/datasets/dicom-codecs.ts'
import { decodeDicom, readDicomValues } from '../../../src-core/datasets/dicom.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { formatReport, type ImportReport } from '../../../src-core/datasets/report.ts'
import { getReport } from '../../../src-core/store/datasets.ts'
import { freshEnv, REPO, runPython, tmp } from './helpers.ts'

interface Written {
  name: string
  file: string
  source: string
  /** Lossy files: GDCM's decode of the same stream, raw little-endian samples. */
  reference?: string
}

/** Largest difference in 8-bit grey levels between two decodes. */
const worst = (a: Uint8Array, b: Uint8Array) => {
  expect(a.length).toBe(b.length)
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!))
  return w
}

describe('compressed DICOM', () => {
  const root = tmp('xlab-dcm-codecs-')
  let files: Written[] = []
  beforeAll(() => {
    files = JSON.parse(runPython(join(REPO, 'tests/core/datasets/fixtures-gen/compressed_dicoms.py'), root)) as Written[]
  })

  const LOSSLESS = ['jpeg2000-lossless', 'jpeg-lossless-sv1', 'jpeg-lossless', 'jpeg-ls-lossless', 'rle', 'deflate']

  it('decodes every lossless syntax within 1 grey level of the uncompressed source', async () => {
    const source = await decodeDicom(readFileSync(join(root, 'source-12bit.dcm')))
    const seen: string[] = []
    for (const name of LOSSLESS) {
      const f = files.find((w) => w.name === name)!
      const img = await decodeDicom(readFileSync(f.file))
      seen.push(img.transferSyntax)
      expect([img.width, img.height], name).toEqual([64, 48])
      expect(worst(img.data, source.data), name).toBeLessThanOrEqual(1)
      expect(img.window, name).toEqual(source.window)
    }
    expect(seen).toEqual(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.1.99'])
  })

  it('decodes lossy JPEG 2000 and JPEG baseline as the codec does, within its error of the source', async () => {
    for (const [name, source, bits] of [['jpeg2000-lossy', 'source-12bit', 12], ['jpeg-baseline', 'source-8bit', 8]] as const) {
      const f = files.find((w) => w.name === name)!
      const ours = (await readDicomValues(readFileSync(f.file))).values
      const src = (await readDicomValues(readFileSync(join(root, `${source}.dcm`)))).values
      // GDCM's decode of the same stream, clipped to the stored range as the lab clips it.
      const raw = readFileSync(f.reference!)
      const top = 2 ** bits - 1
      const gdcm = bits > 8 ? Array.from({ length: raw.length / 2 }, (_, i) => Math.min(top, raw.readUInt16LE(2 * i))) : [...raw]
      let vsCodec = 0
      let ourError = 0
      let codecError = 0
      for (let i = 0; i < ours.length; i++) {
        vsCodec = Math.max(vsCodec, Math.abs(ours[i]! - gdcm[i]!))
        ourError = Math.max(ourError, Math.abs(ours[i]! - src[i]!))
        codecError = Math.max(codecError, Math.abs(gdcm[i]! - src[i]!))
      }
      expect(vsCodec, name).toBeLessThanOrEqual(1)
      expect(ourError, name).toBeLessThanOrEqual(codecError + 1)
      // A lossy file still looks like its source: a small error against the full range.
      expect(codecError / top, name).toBeLessThan(0.1)
    }
    expect((await decodeDicom(readFileSync(join(root, 'jpeg2000-lossy.dcm')))).transferSyntax).toBe('1.2.840.10008.1.2.4.91')
    expect((await decodeDicom(readFileSync(join(root, 'jpeg-baseline.dcm')))).transferSyntax).toBe('1.2.840.10008.1.2.4.50')
  })

  it('imports a folder of every syntax, names the syntaxes in the report, and warns for the multi-frame file', async () => {
    const dir = join(root, 'import', 'films')
    mkdirSync(dir, { recursive: true })
    for (const f of files) writeFileSync(join(dir, `${f.name}.dcm`), readFileSync(f.file))
    // A syntax the lab has no codec for (JPEG extended 12-bit): skipped with the syntax named.
    const ext = readFileSync(join(root, 'jpeg-baseline.dcm')).toString('latin1').replace('1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51')
    writeFileSync(join(dir, 'jpeg-extended.dcm'), Buffer.from(ext, 'latin1'))
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'mammogram', path: join(root, 'import'), name: 'codecs', size: 16, lateralityFlip: false })).run({})
    expect(rec.n).toBe(files.length)
    const report = getReport(env.db, rec.id) as ImportReport
    expect(Object.keys(report.decoding!.transferSyntaxes).sort()).toEqual([
      '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.5',
    ])
    expect(report.decoding!.transferSyntaxes['1.2.840.10008.1.2.4.90']).toBe(2)
    // `xlab datasets show` names them.
    const shown = formatReport(report)
    expect(shown).toMatch(/DICOM transfer syntaxes: .*JPEG 2000 Lossless \(1\.2\.840\.10008\.1\.2\.4\.90\) 2/)
    expect(shown).toMatch(/RLE Lossless \(1\.2\.840\.10008\.1\.2\.5\) 1/)
    expect(shown).toMatch(/to 8 bits: 10 by percentile window 0\.5-99\.5%/)
    expect(report.warnings).toContain('films/multiframe-j2k.dcm holds 3 frames; only the first is imported.')
    expect(report.skipped).toEqual([expect.objectContaining({ file: 'films/jpeg-extended.dcm', reason: 'unsupported-format', message: expect.stringContaining(syntaxName('1.2.840.10008.1.2.4.51')) })])
    // The multi-frame file's first frame is the source image (later frames are its negative).
    const mf = await decodeDicom(readFileSync(join(root, 'multiframe-j2k.dcm')))
    const src = await decodeDicom(readFileSync(join(root, 'source-12bit.dcm')))
    expect(mf.frames).toBe(3)
    expect(worst(mf.data, src.data)).toBeLessThanOrEqual(1)
  })

  it('skips a damaged compressed frame with a readable reason, never "[object Object]"', async () => {
    const good = readFileSync(join(root, 'jpeg2000-lossless.dcm'))
    // Cut into the middle of the codestream: the fragment lengths no longer fit the file.
    const cut = good.subarray(0, good.length - 400)
    const err = await decodeDicom(cut).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).not.toMatch(/object Object|is not a function/)
    expect((err as Error).message.length).toBeGreaterThan(20)
    // RLE with a segment count that does not fit the image.
    const bad = new Uint8Array(64)
    bad[0] = 3
    expect(() => decodeRle(bad, { rows: 2, cols: 2, bitsAllocated: 16, signed: false })).toThrow(/3 segments where a grey image of 16 bits has 2/)
  })
})
