// The storage checks on real files: what makes an extract run's encoder files intact (both formats,
// a zip .pth that ends in its directory, a safetensors file exactly as long as its header says), and
// that dropping a run's weights deletes best.pth and nothing else.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dropWeights, encoderFilesProblem, hasCheckpoint, removeTempFiles, runFolderUsage } from '../../../src-core/runner/run-files.ts'

/** A zip with no members: just its end-of-central-directory record, as torch.save's zip ends. */
const emptyZip = () => Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)])

/** A safetensors file of one float32 tensor `w` of `n` values. */
function safetensors(n: number): Buffer {
  const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } }))
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(header.length))
  return Buffer.concat([len, header, Buffer.alloc(4 * n)])
}

function runDir(files: Record<string, Buffer | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'xlab-run-files-'))
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), content)
  }
  return dir
}

const PTH = 'encoders/encoder__rotation__demo__s0.pth'
const ST = 'encoders/encoder__rotation__demo__s0.safetensors'

describe('run files', () => {
  it('accepts intact encoder files and names what is wrong with the others', () => {
    const zip = emptyZip()
    const st = safetensors(3)
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: st }))).toBeNull()
    // A legacy (pickle) .pth has no directory to check: it only must not be empty.
    expect(encoderFilesProblem(runDir({ [PTH]: 'legacy pickle', [ST]: st }))).toBeNull()
    expect(encoderFilesProblem(runDir({ 'job.json': '{}' }))).toBe('it has no encoders/ folder')
    expect(encoderFilesProblem(runDir({ [ST]: st }))).toBe('it has 0 encoder .pth files, expected one')
    expect(encoderFilesProblem(runDir({ [PTH]: zip, 'encoders/encoder__x__demo__s0.pth': zip, [ST]: st }))).toBe('it has 2 encoder .pth files, expected one')
    expect(encoderFilesProblem(runDir({ [PTH]: zip }))).toBe('encoder__rotation__demo__s0.safetensors is missing')
    expect(encoderFilesProblem(runDir({ [PTH]: '', [ST]: st }))).toBe('encoder__rotation__demo__s0.pth is empty')
    expect(encoderFilesProblem(runDir({ [PTH]: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100)]), [ST]: st }))).toBe('encoder__rotation__demo__s0.pth is cut short (no zip directory at its end)')
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: st.subarray(0, st.length - 1) }))).toBe(`encoder__rotation__demo__s0.safetensors has ${st.length - 1} bytes where its header says ${st.length}`)
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: Buffer.concat([st, Buffer.alloc(1)]) }))).toMatch(/has \d+ bytes where its header says/)
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: st.subarray(0, 20) }))).toMatch(/safetensors is cut short \(its header alone needs \d+ bytes, the file has 20\)/)
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: st.subarray(0, 5) }))).toBe('encoder__rotation__demo__s0.safetensors is cut short')
    const garbled = Buffer.from(st)
    garbled.write('!', 9)
    expect(encoderFilesProblem(runDir({ [PTH]: zip, [ST]: garbled }))).toBe('encoder__rotation__demo__s0.safetensors has an unreadable header')
  })

  it('drops only best.pth, and knows when no checkpoint is left', () => {
    const dir = runDir({ 'best.pth': 'weights', 'summary.json': '{}', 'test_predictions.json': '{}', 'worker.log': '', [PTH]: emptyZip(), [ST]: safetensors(1) })
    expect(hasCheckpoint(dir)).toBe(true)
    expect(dropWeights(dir)).toEqual({ files: ['best.pth'], bytes: 7 })
    expect(readdirSync(dir).sort()).toEqual(['encoders', 'summary.json', 'test_predictions.json', 'worker.log'])
    expect(readdirSync(join(dir, 'encoders')).length).toBe(2)
    expect(hasCheckpoint(dir)).toBe(false)
    writeFileSync(join(dir, 'last.pth'), 'resumable')
    expect(hasCheckpoint(dir)).toBe(true)
    rmSync(dir, { recursive: true })
  })
})

describe('encoder snapshots of a pretext run', () => {
  it('counts snapshots/ as encoder files (never pruned as weights) and removes their temp files', () => {
    const snap = 'snapshots/encoder__rotation__demo__s0__step12.pth'
    const dir = runDir({ [snap]: emptyZip(), 'snapshots/encoder__rotation__demo__s0__step12.json': '{}', 'snapshots/.encoder__rotation__demo__s0__step24.pth.tmp-77': 'half', 'best.pth': 'w' })
    const usage = runFolderUsage(dir)
    expect(usage.files.encoder.sort()).toEqual(['snapshots/encoder__rotation__demo__s0__step12.json', snap])
    expect(usage.files.resumable).toEqual(['snapshots/.encoder__rotation__demo__s0__step24.pth.tmp-77'])
    expect(removeTempFiles(dir).files).toEqual(['snapshots/.encoder__rotation__demo__s0__step24.pth.tmp-77'])
    expect(readdirSync(join(dir, 'snapshots')).sort()).toEqual(['encoder__rotation__demo__s0__step12.json', 'encoder__rotation__demo__s0__step12.pth'])
    rmSync(dir, { recursive: true })
  })
})
