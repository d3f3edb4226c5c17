// A synthetic finished study for the analysis tests: planned by the real planner through the lab
// service, then every run marked done with test predictions, metrics and probe summaries whose
// structure is known (pretext and dataset effects, a fusion that copies its member, a better fusion).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeNpy } from '../../../src-core/datasets/npy.ts'
import { gaussian as normalDraw, mulberry32 as seededRandom } from '../../../src-core/util/rng.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as runsStore from '../../../src-core/store/runs.ts'
import { presetConfig } from '../../../src-core/study/presets.ts'

/** Writes a 1-D int64 .npy file (format 1.0). */
export function writeInt64Npy(file: string, values: number[]): void {
  writeNpy(file, 'i8', [values.length], BigInt64Array.from(values, (v) => BigInt(v)))
}

const N_IMAGES = 320
const TEST = Array.from({ length: 120 }, (_, i) => 200 + i)
const patientOf = (idx: number) => Math.floor(idx / 2)

const PRETEXT_EFFECT: Record<string, number> = { rotation: 0.9, structure: 0.5, inpainting: 0.1 }
const DATASET_EFFECT: Record<string, number> = { 'demo-mammo': 0.4, 'demo-brainct': 0.2, 'demo-natural': 0 }
const INVARIANCE: Record<string, Record<string, number>> = {
  rotation: { rot90: 0.35, rot180: 0.3, hflip: 0.8, vflip: 0.5, half_swap_lr: 0.6, half_swap_tb: 0.55, quadrant_shuffle: 0.5, mask: 0.85, brightness: 0.95, contrast: 0.9 },
  structure: { rot90: 0.6, rot180: 0.55, hflip: 0.6, vflip: 0.45, half_swap_lr: 0.4, half_swap_tb: 0.35, quadrant_shuffle: 0.3, mask: 0.8, brightness: 0.94, contrast: 0.9 },
  inpainting: { rot90: 0.9, rot180: 0.9, hflip: 0.95, vflip: 0.92, half_swap_lr: 0.85, half_swap_tb: 0.85, quadrant_shuffle: 0.8, mask: 0.5, brightness: 0.97, contrast: 0.93 },
}
const FRECHET: Record<string, number> = { 'demo-mammo': 12.5, 'demo-brainct': 20.1, 'demo-natural': 41.7 }

function targetOf(target: string, idx: number): number {
  const p = patientOf(idx)
  return target === 'binary' ? (p % 5 < 2 ? 1 : 0) : p % 3
}

function predictions(target: string, strength: number, seed: number) {
  const rand = seededRandom(seed)
  const k = target === 'binary' ? 2 : 3
  const patientNoise = new Map<number, number[]>()
  const patientRand = seededRandom(99)
  for (const idx of TEST) if (!patientNoise.has(patientOf(idx))) patientNoise.set(patientOf(idx), Array.from({ length: k }, () => 0.8 * normalDraw(patientRand)))
  const targets = TEST.map((i) => targetOf(target, i))
  const probs = TEST.map((idx, j) => {
    const logits = Array.from({ length: k }, (_, c) => (c === targets[j] ? strength : 0) + patientNoise.get(patientOf(idx))![c]! + normalDraw(rand))
    const m = Math.max(...logits)
    const e = logits.map((l) => Math.exp(l - m))
    const s = e.reduce((a, b) => a + b, 0)
    return e.map((v) => v / s)
  })
  return { split: 'test', indices: TEST, targets, probs, class_names: target === 'binary' ? ['No Finding', 'Finding'] : ['No Finding', 'Pneumonia', 'Other finding'] }
}

const LABEL_NAMES = ['Effusion', 'No Finding', 'Pneumonia']

export function writeDataset(root: string, id: string, name: string, withPatients: boolean): string {
  const dir = join(root, 'datasets', id)
  mkdirSync(dir, { recursive: true })
  if (withPatients) {
    writeInt64Npy(join(dir, 'patients.npy'), Array.from({ length: N_IMAGES }, (_, i) => patientOf(i)))
    // Labels whose binary and 3-class targets are those of the predictions: binary 1 = a finding; 3class 1 = Pneumonia, 2 = other finding.
    const labels = new Uint8Array(N_IMAGES * LABEL_NAMES.length)
    for (let i = 0; i < N_IMAGES; i++) {
      const t3 = targetOf('3class', i)
      const finding = targetOf('binary', i) === 1 || t3 !== 0
      if (t3 === 1) labels[i * 3 + 2] = 1
      else if (finding) labels[i * 3 + 0] = 1
      else labels[i * 3 + 1] = 1
    }
    writeNpy(join(dir, 'labels.npy'), 'u1', [N_IMAGES, LABEL_NAMES.length], labels)
    writeNpy(join(dir, 'split-train.npy'), 'u4', [160], Uint32Array.from({ length: 160 }, (_, i) => i))
    writeNpy(join(dir, 'split-val.npy'), 'u4', [40], Uint32Array.from({ length: 40 }, (_, i) => 160 + i))
    writeNpy(join(dir, 'split-test.npy'), 'u4', [TEST.length], Uint32Array.from(TEST))
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format_version: 1, id, name, n: N_IMAGES, height: 32, width: 32, channels: 1, label_names: LABEL_NAMES, checksums: { 'images.npy': `${id}`.padEnd(64, 'a'), 'labels.npy': `${id}`.padEnd(64, 'b') } }))
  return dir
}

/** What the fixture built. */
export interface FixtureStudy {
  /** The open lab service on the fixture's data root (close it after the test). */
  service: LabService
  /** The study id. */
  studyId: string
  /** Number of downstream runs. */
  downstream: number
}

/**
 * Builds the study. `full` uses the demo preset's whole matrix (for the rendered report); otherwise
 * a smaller one (linear + scratch, two fusion sets) to keep the API tests quick.
 */
export async function buildFixtureStudy(root: string, opts: { seeds: number[]; full?: boolean; snapshots?: boolean }): Promise<FixtureStudy> {
  const chestDir = writeDataset(root, 'ds-chest0001', 'demo-chest', true)
  for (const [id, name] of [['ds-nat00001', 'demo-natural'], ['ds-brain0001', 'demo-brainct'], ['ds-mammo001', 'demo-mammo']] as const) writeDataset(root, id, name, false)
  const service = await LabService.open({ dataRoot: root, allowAllPaths: true, startQueue: false })
  const base = presetConfig('demo')
  // The supervised reference (issue 24) is left out: this fixture's effects are per pretext task and dataset.
  const baselines = { ...base.baselines, supervised: false }
  // Encoder snapshots at 12 and 24 of the 48 pretext steps, probed (issue 24, item 5), only when asked for.
  const progress = opts.snapshots ? { pretext: { ...base.pretext, snapshots: [0.25, 0.5] }, downstream: { ...base.downstream, snapshotProbes: true } } : { pretext: { ...base.pretext, snapshots: [] }, downstream: { ...base.downstream, snapshotProbes: false } }
  const config = opts.full
    ? { ...base, seeds: opts.seeds, baselines, ...progress }
    : { ...base, seeds: opts.seeds, baselines, protocols: ['linear', 'scratch'], fusion: { sets: [base.fusion.sets[0]!, base.fusion.sets[1]!], modes: ['linear'] }, ...progress }
  const created = (await service.dispatch('studies.create', { name: 'fixture-study', config }, { signal: new AbortController().signal, requestId: 't' })) as { id: string }
  const db = service.ctx.db
  const runs = runsStore.listRuns(db, { studyId: created.id })
  let downstream = 0
  const strengthOf = (r: runsStore.RunRecord): number => {
    const protocolBonus = r.protocol === 'finetune' ? 0.2 : 0
    if (r.protocol === 'scratch') return 0.5
    const enc = r.encoders ?? []
    // A snapshot probe (label `<cell>@step<N>`): transfer is best early and falls with more pretext steps (48 in all).
    const snap = enc.length === 1 ? /^(.*)@step(\d+)$/.exec(enc[0]!) : null
    if (snap) return PRETEXT_EFFECT[snap[1]!.split('/')[0]!]! + DATASET_EFFECT[snap[1]!.split('/')[1]!]! + 0.4 + 1.5 * (1 - Number(snap[2]) / 48)
    // The random-init baseline is weak: every pretext encoder should beat it.
    const single = (label: string) => (label === 'random-init' ? 0.1 : PRETEXT_EFFECT[label.split('/')[0]!]! + DATASET_EFFECT[label.split('/')[1]!]! + 0.4) + protocolBonus
    if (enc.length === 1) return single(enc[0]!)
    return Math.max(...enc.map(single)) + 0.6
  }
  for (const r of runs) {
    mkdirSync(r.runDir, { recursive: true })
    let summary: Record<string, unknown> = {}
    if (r.stage === 'downstream') {
      downstream++
      const enc = r.encoders ?? []
      // The first fusion set copies its best member exactly: H2 must say "no evidence" for it.
      const copies = enc.length > 1 && enc.join('+') === base.fusion.sets[0]!.join('+')
      const best = copies ? [...enc].sort((a, b) => PRETEXT_EFFECT[b.split('/')[0]!]! - PRETEXT_EFFECT[a.split('/')[0]!]!)[0]! : null
      const seedFor = (label: string) => [...`${label}|${r.target}|${r.protocol}`].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, r.seed + 1)
      const pred = copies
        ? predictions(r.target!, PRETEXT_EFFECT[best!.split('/')[0]!]! + DATASET_EFFECT[best!.split('/')[1]!]! + 0.4 + (r.protocol === 'finetune' ? 0.2 : 0), seedFor(best!))
        : predictions(r.target!, strengthOf(r), seedFor(enc.length === 1 ? enc[0]! : enc.join('+') || 'scratch'))
      writeFileSync(join(r.runDir, 'test_predictions.json'), JSON.stringify(pred))
      writeFileSync(join(r.runDir, 'job.json'), JSON.stringify({ v: 1, kind: 'downstream', run_id: r.id, run_dir: r.runDir, seed: r.seed, params: { dataset_dir: chestDir, target: r.target } }))
      const train = Array.from({ length: 3 }, (_, e) => ({ split: 'train', epoch: e + 1, step: (e + 1) * 10, values: { loss: 1.2 - 0.2 * e } }))
      const val = Array.from({ length: 3 }, (_, e) => ({ split: 'val', epoch: e + 1, step: (e + 1) * 10, values: { loss: 1.3 - 0.15 * e, roc_auc: 0.6 + 0.05 * e } }))
      runsStore.writeReports(db, r.id, { metrics: [...train, ...val, { split: 'test', epoch: 3, step: 30, values: { loss: 0.7, accuracy: 0.7, roc_auc: 0.75 } }], artifacts: [], events: [{ t: new Date().toISOString(), level: 'info', message: 'worker pid 4242 on cpu (Fixture CPU), torch 2.14.1' }] })
      // The validation ROC-AUC at the selected epoch follows the run's strength, so validation picks the strong configurations.
      summary = { test: { loss: 0.7 }, best: { epoch: 3, metrics: { roc_auc: 0.5 + 0.12 * (copies ? strengthOf({ ...r, encoders: [best!] }) : strengthOf(r)) + 0.002 * r.seed } } }
    } else if (r.stage === 'pretext' && opts.snapshots) {
      // summary.json as engine/xlab/train_pretext.py writes it: rotation is solved at step 24, the others never
      const acc = (step: number) => (r.pretext === 'rotation' ? Math.min(1, 0.5 + step / 48) : r.pretext === 'structure' ? 0.6 + step / 480 : null)
      const val = (step: number) => (acc(step) === null ? { loss: 0.3 - step / 480 } : { loss: 1 - step / 96, accuracy: acc(step) })
      const solved = r.pretext === 'rotation' ? { step: 24, round: 2, accuracy: 1, threshold: 0.99, message: 'solved early' } : null
      summary = { task: r.pretext, steps: 48, solved_early: solved, best: { value: 0.5, epoch: 4, step: 48, metrics: val(48) }, snapshots: [12, 24].map((step) => ({ fraction: step / 48, step, encoder: join(r.runDir, 'snapshots', `encoder__${r.pretext}__${r.pretrainDataset}__s${r.seed}__step${step}.pth`), val: val(step) })) }
    } else if (r.stage === 'probe') {
      const spec = r.spec as unknown as { params: { mode: string } }
      if (spec.params.mode === 'invariance') {
        const label = (r.encoders ?? [])[0]!
        // The random-init reference row: every transform moves features about as far as an unrelated image would.
        const profile = label === 'random-init' ? Object.fromEntries(Object.keys(INVARIANCE.rotation!).map((k) => [k, 0.2])) : INVARIANCE[label.split('/')[0]!]!
        summary = { invariance: Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, v - 0.01 * r.seed])), measure: 'baselined', unrelated_cosine: 0.97, split: 'val' }
      } else {
        summary = { similarity: Object.fromEntries(Object.entries(FRECHET).map(([name, fr]) => [name, { frechet: fr, histogram_l1: fr / 100, spectrum_l2: fr / 50 }])), reference_self: { frechet: 15, histogram_l1: 0.05, spectrum_l2: 0.1 } }
      }
    }
    runsStore.setRunState(db, r.id, 'done', null, summary)
  }
  return { service, studyId: created.id, downstream }
}
