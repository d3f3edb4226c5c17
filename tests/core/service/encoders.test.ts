// Reference encoders through the lab service, with a real torchvision resnet18 state_dict written
// by the engine's torch (nothing downloaded): imported under a name with both checksums, the same
// file again is a no-op, other weights under a taken name and a file that is no resnet18 are
// refused with a sentence and leave nothing behind; runs resolve {"$reference": name} to the
// stored file and refuse weights that changed since they were planned; the CLI does the same.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodersApi } from '../../../src-core/api/encoders.ts'
import { buildJob, JobBuildError } from '../../../src-core/runner/job-builder.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import type { RunRecord } from '../../../src-core/store/runs.ts'
import { getReferenceEncoder } from '../../../src-core/store/reference-encoders.ts'
import { previewPlan } from '../../../src-core/study/plan-service.ts'
import { planStudy } from '../../../src-core/study/planner.ts'
import { currentProvenance } from '../../../src-core/study/plan-service.ts'
import { parseStudyConfig } from '../../../src-core/study/config.ts'
import { tmp } from '../datasets/helpers.ts'
import { tinyConfig } from '../runner/helpers.ts'

const REPO = resolve(import.meta.dirname, '..', '..', '..')
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex')

/** Writes torchvision resnet18 state_dicts (seeded, so two seeds give two different files). */
function writeResnet18(file: string, seed: number, wrap = false) {
  const code = `import torch, torchvision
torch.manual_seed(${seed})
sd = torchvision.models.resnet18(weights=None).state_dict()
torch.save({"state_dict": sd} if ${wrap ? 'True' : 'False'} else sd, ${JSON.stringify(file)})`
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'py.mjs'), '-c', code], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(r.stderr)
}

describe('reference encoders', () => {
  let service: LabService
  let files: string
  const events: string[] = []
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    files = tmp('xlab-enc-src-')
    writeResnet18(join(files, 'resnet18-a.pth'), 1)
    writeResnet18(join(files, 'resnet18-b.pth'), 2, true)
    writeFileSync(join(files, 'not-a-model.pth'), 'hello')
    service = await LabService.open({ dataRoot: tmp('xlab-enc-lab-'), allowAllPaths: false, startQueue: false })
    service.ctx.pathGuard.allow(files)
    service.ctx.events.onAny((event) => events.push(event))
  })
  afterAll(() => service.close())

  it('imports a resnet18 state_dict under a name with its checksums, under the data root', async () => {
    const src = join(files, 'resnet18-a.pth')
    const e = encodersApi['encoders.import'].output.parse(await call('encoders.import', { path: src, name: 'imagenet', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }))
    expect(e).toMatchObject({ name: 'imagenet', created: true, sourcePath: src, sourceSha256: sha(src), normalisation: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } })
    // The engine counts the state_dict's numbers: resnet18's 11,689,512 weights less fc's 513,000,
    // plus 9,620 BatchNorm buffers (running means and variances, the step counters).
    expect(e.parameters).toBe(11_689_512 - 513_000 + 9_620)
    expect(e.path.startsWith(join(service.ctx.dataRoot, 'encoders', 'imagenet'))).toBe(true)
    expect(sha(e.path)).toBe(e.sha256)
    expect(encodersApi['encoders.list'].output.parse(await call('encoders.list', {})).map((x) => [x.name, x.sha256])).toEqual([['imagenet', e.sha256]])
    expect(events).toContain('onEncodersChanged')
  })

  it('the same file again is a no-op; other weights under the name are refused and change nothing', async () => {
    const again = await call('encoders.import', { path: join(files, 'resnet18-a.pth'), name: 'imagenet', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] })
    expect(again).toMatchObject({ created: false })
    const before = await call('encoders.list', {})
    await expect(call('encoders.import', { path: join(files, 'resnet18-b.pth'), name: 'imagenet' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/A reference encoder named "imagenet" was already imported from another file .*import this file under another name \(--name imagenet-2\)/),
    })
    expect(await call('encoders.list', {})).toEqual(before)
    // Nested under "state_dict" is accepted under a free name.
    expect(await call('encoders.import', { path: join(files, 'resnet18-b.pth'), name: 'other-tool' })).toMatchObject({ created: true, normalisation: null })
  })

  it('refuses a file that is not a resnet18, a path outside the opened folders, a bad name and half a normalisation', async () => {
    await expect(call('encoders.import', { path: join(files, 'not-a-model.pth'), name: 'junk' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('cannot be imported as a reference encoder') })
    const outside = tmp('xlab-enc-outside-')
    writeFileSync(join(outside, 'x.pth'), 'x')
    await expect(call('encoders.import', { path: join(outside, 'x.pth'), name: 'x' })).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    await expect(call('encoders.import', { path: join(files, 'resnet18-a.pth'), name: 'image net' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('is not a usable encoder name') })
    await expect(call('encoders.import', { path: join(files, 'resnet18-a.pth'), name: 'half', mean: [0.5, 0.5, 0.5] })).rejects.toMatchObject({ message: expect.stringContaining('Give both --mean and --std') })
    expect((await call('encoders.list', {}) as { name: string }[]).map((e) => e.name)).toEqual(['imagenet', 'other-tool'])
    // Nothing left half-written: only the two imported folders.
    expect(readdirSync(join(service.ctx.dataRoot, 'encoders')).sort()).toEqual(['imagenet', 'other-tool'])
  })

  it('a study naming an encoder that is not imported is refused with how to import it', () => {
    expect(() => previewPlan(service.ctx.db, tinyConfig({ referenceEncoders: ['chexpert'] }), () => 1)).toThrow(/referenceEncoders: "chexpert" is not imported; import it with xlab encoders import FILE --name chexpert .*imported: imagenet, other-tool/)
  })

  it('a run resolves {"$reference": name} to the stored file, and refuses weights changed since it was planned', () => {
    const cfg = parseStudyConfig(tinyConfig({ referenceEncoders: ['imagenet'], protocols: ['linear'] }))
    const planned = planStudy(cfg, currentProvenance(service.ctx.db)).runs.find((r) => r.name === 'binary-linear-ref-imagenet-s0')!
    const runDir = join(service.ctx.paths.runs, planned.id)
    mkdirSync(runDir, { recursive: true })
    const run = { ...planned, studyId: 'st', specHash: planned.hash, state: 'queued', reason: null, attempts: 0, runDir, summary: null, createdAt: '', startedAt: null, finishedAt: null, progress: null } as unknown as RunRecord
    const opts = { datasets: () => ({ id: 'd', name: 'tiny-chest', dir: '/d', status: 'ready' }), runs: { run: () => null }, device: 'cpu', threads: 1 }
    // The record's path: the row holds it relative to the data root (store/data-root.ts).
    const stored = getReferenceEncoder(service.ctx.db, 'imagenet')!
    expect(run.spec.provenance?.references).toEqual({ imagenet: stored.sha256 })
    expect(buildJob(run, opts).params.encoders).toEqual([stored.path])
    const other = { ...run, spec: { ...run.spec, provenance: { ...run.spec.provenance!, references: { imagenet: 'f'.repeat(64) } } } }
    expect(() => buildJob(other, opts)).toThrow(JobBuildError)
    expect(() => buildJob(other, opts)).toThrow(/Reference encoder "imagenet" has other weights than when binary-linear-ref-imagenet-s0 was planned/)
    const missing = { ...run, spec: { ...run.spec, params: { ...run.spec.params, encoders: [{ $reference: 'gone' }] } } }
    expect(() => buildJob(missing, opts)).toThrow(/Reference encoder "gone" is not imported in this lab. Import it \(xlab encoders import FILE --name gone\)/)
  })

  it('xlab encoders import and list', () => {
    const data = tmp('xlab-enc-cli-')
    const xlab = (...a: string[]) => spawnSync(process.execPath, [join(REPO, 'bin', 'xlab.mjs'), '--data', data, 'encoders', ...a], { encoding: 'utf8', timeout: 180_000 })
    const r = xlab('import', join(files, 'resnet18-a.pth'), '--name', 'imagenet', '--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^imported imagenet {2}sha256 [0-9a-f]{64} {2}11,186,132 parameters/)
    const l = xlab('list', '--json')
    expect(l.status, l.stderr).toBe(0)
    expect((JSON.parse(l.stdout) as { name: string; sourceSha256: string }[]).map((e) => [e.name, e.sourceSha256])).toEqual([['imagenet', sha(join(files, 'resnet18-a.pth'))]])
    const bad = xlab('import', join(files, 'resnet18-a.pth'), '--name', 'x', '--mean', '1,2')
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('--mean takes three numbers R,G,B')])
    expect(existsSync(join(data, 'encoders', 'imagenet', 'reference.json'))).toBe(true)
  })
})
