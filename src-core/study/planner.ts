// Expands a study config into runs with dependencies (DESIGN.md "Study planning and running"):
// pretext -> extract -> downstream (single encoder or fusion) and invariance probes; scratch runs
// and the similarity probe wait for nothing. Pure: no database, no file system (dataset checksums
// and the engine version come in as PlanProvenance).
import { specProvenance, type PlanProvenance } from './provenance.ts'
import { DEFAULT_CHECKPOINT_SECONDS, FROZEN_PROTOCOLS, fractionProtocols, referenceLabel, referenceNameOf, runsOnTarget, trainedCells, type FusionMode, type PretextTask, type Protocol, type StudyConfig, type Target } from './config.ts'
import { detectableSentence } from './power.ts'
import { snapshotLabel, snapshotRef, snapshotStep } from './snapshots.ts'
import { runIdFor, specHash, type PathRef, type RunSpec, type Stage } from './spec.ts'

/** One run the study needs. */
export interface PlannedRun {
  /** `r-<12 hex>` from the spec hash: equal work has an equal id in every study. */
  id: string
  /** sha256 of the canonical spec. */
  hash: string
  /** Readable, unique within the study, e.g. `binary-linear-rotation@demo-mammo-s0`. */
  name: string
  /** Pipeline stage. */
  stage: Stage
  /** The engine job with path placeholders. */
  spec: RunSpec
  /** Ids of runs that must be done first. */
  deps: string[]
  /** Pretext task (pretext, extract, single-encoder downstream, invariance probe). */
  pretext: PretextTask | null
  /** Pretraining dataset name (same cases as pretext). */
  pretrainDataset: string | null
  /** Seed of the run. */
  seed: number
  /** Downstream target. */
  target: Target | null
  /** Downstream protocol (fusion runs carry their mode here too). */
  protocol: Protocol | null
  /** Fusion mode, only for fusion runs. */
  fusionMode: FusionMode | null
  /** Encoder labels (`rotation/demo-mammo`) used by downstream runs and probes. */
  encoders: string[] | null
}

/** The planner's result. */
export interface StudyPlan {
  /** Runs in dependency order (every run after the runs it depends on). */
  runs: PlannedRun[]
  /** Number of runs per stage. */
  counts: Record<Stage, number>
  /** Sentences about what the planner left out and why (e.g. a supervised reference for a dataset without classes). */
  notes: string[]
}

/** Prefix of the supervised reference's encoder label: `supervised/<pretraining dataset>`. */
export const SUPERVISED_PREFIX = 'supervised/'

/** The pretraining datasets that get a supervised reference, and sentences for those left out. An
 *  explicit list naming a dataset without two classes (or with several labels per image) is refused. */
export function supervisedDatasets(cfg: Pick<StudyConfig, 'baselines' | 'pretrainDatasets'>, prov: PlanProvenance): { datasets: string[]; notes: string[] } {
  const want = cfg.baselines.supervised
  if (want === false) return { datasets: [], notes: [] }
  const explicit = Array.isArray(want)
  const names = explicit ? want : cfg.pretrainDatasets
  const datasets: string[] = []
  const notes: string[] = []
  for (const name of names) {
    const info = prov.datasetClasses?.(name) ?? null
    // Not imported yet (or a plan without a store): planned; the engine refuses it with a sentence if it has no classes.
    const problem = !info ? null : info.multiLabel ? 'has several labels per image (a multi-label dataset)' : info.classes < 2 ? `has ${info.classes} class${info.classes === 1 ? '' : 'es'}` : null
    if (!problem) {
      datasets.push(name)
      continue
    }
    const sentence = `No supervised reference for "${name}": it ${problem}, and the reference is trained with cross-entropy on one of at least two classes per image`
    if (explicit) throw Object.assign(new Error(`${sentence}. Remove "${name}" from baselines.supervised, or import it with class folders or a labels CSV of two or more classes.`), { code: 'BAD_REQUEST' })
    notes.push(`${sentence}; its row is left out.`)
  }
  return { datasets, notes }
}

/** An encoder label as it appears in run names: `rotation@demo-mammo`, `random-init`, `ref-imagenet`. */
const encName = (label: string) => label.replace('/', '@').replace(/^ref:/, 'ref-')
/** The name part of a label fraction below 1 (`-f0.1`); nothing at 1, so those names are today's. */
const fracName = (f: number) => (f < 1 ? `-f${f}` : '')

/** An encoder a downstream run can take: a pretext cell's extract, the random-init extract, or an imported reference. */
interface EncoderSource {
  /** Encoder label (`rotation/demo-mammo`, `random-init`, `ref:imagenet`). */
  label: string
  /** The path placeholder of its file. */
  ref: PathRef
  /** Runs that write it (none for a reference encoder). */
  deps: string[]
  /** Pretext task and pretraining dataset (pretext cells only). */
  pretext: PretextTask | null
  pretrainDataset: string | null
  /** Single-encoder protocols it goes through. */
  protocols: readonly Protocol[]
}

/** Encoder label of the random-init reference row of the invariance probe. */
export const RANDOM_INIT_LABEL = 'random-init'


/** Provenance for plans made without a store (previews in tests): nothing imported, engine unknown. */
export const NO_PROVENANCE: PlanProvenance = { engineVersion: 'unknown', datasetChecksum: () => null, referenceChecksum: () => null }

export function planStudy(cfg: StudyConfig, prov: PlanProvenance = NO_PROVENANCE): StudyPlan {
  const runs: PlannedRun[] = []
  const add = (r: Omit<PlannedRun, 'id' | 'hash'>): PlannedRun => {
    // The datasets a run reads and the engine enter its hash; what its dependencies read enters
    // through their ids, so a changed dataset re-plans exactly the runs downstream of it.
    const spec: RunSpec = { ...r.spec, provenance: specProvenance(r.spec, prov) }
    const hash = specHash(spec)
    const run = { ...r, spec, id: runIdFor(hash), hash }
    runs.push(run)
    return run
  }
  const blank = { pretext: null, pretrainDataset: null, target: null, protocol: null, fusionMode: null, encoders: null }
  const size = cfg.imageSize
  const p = cfg.pretext
  const d = cfg.downstream
  /** Extract run per `<label>|<seed>`. */
  const extracts = new Map<string, PlannedRun>()

  const pretextParams = (dataset: string) => ({
    dataset_dir: { $dataset: dataset },
    image_size: size,
    // One budget for every cell: steps at a fixed network batch (the engine records the epochs it made).
    steps: p.steps,
    batch_size: p.batchSize,
    val_every_steps: p.valEverySteps,
    warmup_steps: p.warmupSteps,
    optimizer: p.optimizer,
    lr: p.lr,
    weight_decay: p.weightDecay,
    schedule: p.schedule,
    max_train_images: p.maxTrainImages,
    checkpoint_every_steps: p.checkpointEverySteps,
    // Absent at the engine's default, so runs planned before the field existed keep their ids.
    checkpoint_every_s: p.checkpointEverySeconds === DEFAULT_CHECKPOINT_SECONDS ? undefined : p.checkpointEverySeconds,
  })

  const cells = trainedCells(cfg)
  /** Pretext run per `<label>|<seed>` (the snapshot probes read their snapshots). */
  const pretexts = new Map<string, PlannedRun>()
  for (const seed of cfg.seeds) {
    for (const { task, dataset, label } of cells) {
      const pre = add({
        ...blank,
        name: `${encName(label)}-s${seed}`,
        stage: 'pretext',
        // Absent when empty, so runs planned before snapshots existed keep their ids.
        spec: { kind: 'pretext', seed, params: { task, ...pretextParams(dataset), snapshots: p.snapshots.length ? p.snapshots : undefined } },
        deps: [],
        pretext: task,
        pretrainDataset: dataset,
        seed,
      })
      const ext = add({
        ...blank,
        name: `extract-${encName(label)}-s${seed}`,
        stage: 'extract',
        spec: {
          kind: 'extract',
          seed,
          params: { checkpoint: { $checkpoint: pre.id }, pretext: task, dataset_name: dataset, seed, out_dir: { $runDir: 'encoders' } },
        },
        deps: [pre.id],
        pretext: task,
        pretrainDataset: dataset,
        seed,
        encoders: [label],
      })
      extracts.set(`${label}|${seed}`, ext)
      pretexts.set(`${label}|${seed}`, pre)
    }
  }

  // The supervised reference: per labelled pretraining dataset and seed, the same ResNet-18 trained
  // with cross-entropy on the dataset's labels under the pretext budget, extracted and evaluated
  // through every protocol an encoder goes through. Its label is `supervised/<dataset>`; it is a
  // baseline row, never a cell of the pretext x dataset matrix (its `pretext` factor stays null).
  const supervised = supervisedDatasets(cfg, prov)
  const supervisedExtracts = new Map<string, PlannedRun>()
  for (const seed of cfg.seeds) {
    for (const dataset of supervised.datasets) {
      const label = `${SUPERVISED_PREFIX}${dataset}`
      const pre = add({
        ...blank,
        name: `${encName(label)}-s${seed}`,
        stage: 'pretext',
        spec: { kind: 'pretext', seed, params: { ...pretextParams(dataset), task: 'supervised' } },
        deps: [],
        pretrainDataset: dataset,
        seed,
        encoders: [label],
      })
      supervisedExtracts.set(
        `${label}|${seed}`,
        add({
          ...blank,
          name: `extract-${encName(label)}-s${seed}`,
          stage: 'extract',
          spec: { kind: 'extract', seed, params: { checkpoint: { $checkpoint: pre.id }, pretext: 'supervised', dataset_name: dataset, seed, out_dir: { $runDir: 'encoders' } } },
          deps: [pre.id],
          pretrainDataset: dataset,
          seed,
          encoders: [label],
        }),
      )
    }
  }

  // The random-init baseline: one frozen random ResNet-18 per seed, drawn with that seed, through
  // the frozen-feature protocols only (fine-tuning a random network is the scratch baseline).
  const frozen = cfg.protocols.filter((p) => (FROZEN_PROTOCOLS as readonly string[]).includes(p))
  const randomInit = new Map<number, PlannedRun>()
  if (cfg.baselines.randomInit && frozen.length) {
    for (const seed of cfg.seeds) {
      randomInit.set(
        seed,
        add({
          ...blank,
          name: `extract-${RANDOM_INIT_LABEL}-s${seed}`,
          stage: 'extract',
          spec: { kind: 'extract', seed, params: { random_init: true, seed, out_dir: { $runDir: 'encoders' } } },
          deps: [],
          seed,
          encoders: [RANDOM_INIT_LABEL],
        }),
      )
    }
  }
  const encoderProtocols = cfg.protocols.filter((p) => p !== 'scratch')
  const sourcesFor = (seed: number): EncoderSource[] => [
    ...cells.map(({ task, dataset, label }) => {
      const ext = extracts.get(`${label}|${seed}`)!
      return { label, ref: { $encoder: ext.id }, deps: [ext.id], pretext: task, pretrainDataset: dataset, protocols: encoderProtocols }
    }),
    ...supervised.datasets.map((dataset) => {
      const label = `${SUPERVISED_PREFIX}${dataset}`
      const ext = supervisedExtracts.get(`${label}|${seed}`)!
      return { label, ref: { $encoder: ext.id }, deps: [ext.id], pretext: null, pretrainDataset: dataset, protocols: encoderProtocols }
    }),
    ...(randomInit.has(seed) ? [{ label: RANDOM_INIT_LABEL, ref: { $encoder: randomInit.get(seed)!.id }, deps: [randomInit.get(seed)!.id], pretext: null, pretrainDataset: null, protocols: frozen }] : []),
    ...cfg.referenceEncoders.map((name) => ({ label: referenceLabel(name), ref: { $reference: name }, deps: [], pretext: null, pretrainDataset: null, protocols: encoderProtocols })),
  ]
  const sourceOf = (label: string, seed: number): EncoderSource => {
    const ref = referenceNameOf(label)
    if (ref !== null) return { label, ref: { $reference: ref }, deps: [], pretext: null, pretrainDataset: null, protocols: encoderProtocols }
    const ext = extracts.get(`${label}|${seed}`)!
    return { label, ref: { $encoder: ext.id }, deps: [ext.id], pretext: null, pretrainDataset: null, protocols: encoderProtocols }
  }

  const downstreamParams = (target: Target, protocol: Protocol, encoders: PathRef[], fraction: number) => {
    const common = {
      dataset_dir: { $dataset: cfg.downstreamDataset },
      target,
      protocol,
      encoders,
      image_size: size,
      batch_size: d.batchSize,
      normalisation: protocol !== 'scratch' && d.normalisation === 'pretraining' ? 'pretraining' : undefined,
      max_train_images: d.maxTrainImages,
      // Left out at 1 (all labels) so the main runs keep their spec hashes.
      label_fraction: fraction < 1 ? fraction : undefined,
    }
    // kNN trains nothing: its hash depends on the features, the vote and the labels only.
    if (protocol === 'knn') return { ...common, knn_k: d.knn.k, knn_temperature: d.knn.temperature }
    const lp = d.linearProbe
    const lbfgs = { linear_solver: 'lbfgs', linear_c_grid: [...lp.cGrid].sort((a, b) => a - b), linear_max_iter: lp.maxIter, linear_tol: lp.tol }
    // The lbfgs probe's budget is convergence: none of the head optimiser's settings (nor the
    // fine-tuning epochs) enter a linear run, so they do not change its hash either.
    if (protocol === 'linear' && lp.solver === 'lbfgs') return { ...common, imbalance: d.imbalance, ...lbfgs }
    const lrHead = protocol === 'scratch' ? d.lrScratch : d.lrHead
    // A linear probe has no encoder learning rate: leaving it out keeps its hash independent of it.
    const lrEncoder = protocol === 'scratch' ? d.lrScratch : protocol === 'finetune' ? d.lrEncoder : undefined
    const sweep = protocol === 'linear' ? d.linearHeadSweep : null
    return {
      ...common,
      epochs: d.epochs,
      optimizer: d.optimizer,
      lr_head: lrHead,
      lr_encoder: lrEncoder,
      weight_decay: d.weightDecay,
      schedule: d.schedule,
      imbalance: d.imbalance,
      // Left out when random (the engine's default), so those runs keep their earlier spec hash.
      head_init: protocol === 'finetune' && d.finetuneHeadInit !== 'random' ? d.finetuneHeadInit : undefined,
      // Likewise left out at their defaults (pretext BatchNorm statistics, downstream normalisation).
      batchnorm: protocol === 'linear' && d.linearBatchNorm === 'adabn' ? 'adabn' : undefined,
      max_steps_per_epoch: d.maxStepsPerEpoch,
      head_sweep_lrs: sweep ? sweep.lrs : undefined,
      head_sweep_weight_decays: sweep ? sweep.weightDecays : undefined,
      // The head a finetune run starts from is fitted like every linear probe.
      // The sgd head is the engine's default for a job that does not say: left out, so those runs keep their earlier hashes.
      ...(protocol === 'finetune' && d.finetuneHeadInit === 'linear_probe' && lp.solver === 'lbfgs' ? lbfgs : {}),
    }
  }

  const belowOne = d.labelFractions.filter((f) => f < 1)
  const withFractions = new Set(fractionProtocols(cfg))
  for (const seed of cfg.seeds) {
    const sources = sourcesFor(seed)
    for (const target of cfg.targets) {
      for (const protocol of cfg.protocols) {
        if (!runsOnTarget(cfg, protocol, target)) continue
        // All labels first (the main results), then each smaller fraction.
        for (const fraction of [1, ...(withFractions.has(protocol) ? [...belowOne].reverse() : [])]) {
          if (protocol === 'scratch') {
            add({ ...blank, name: `${target}-scratch${fracName(fraction)}-s${seed}`, stage: 'downstream', spec: { kind: 'downstream', seed, params: downstreamParams(target, 'scratch', [], fraction) }, deps: [], seed, target, protocol })
            continue
          }
          for (const src of sources) {
            if (!src.protocols.includes(protocol)) continue
            add({
              ...blank,
              name: `${target}-${protocol}-${encName(src.label)}${fracName(fraction)}-s${seed}`,
              stage: 'downstream',
              spec: { kind: 'downstream', seed, params: downstreamParams(target, protocol, [src.ref], fraction) },
              deps: src.deps,
              pretext: src.pretext,
              pretrainDataset: src.pretrainDataset,
              seed,
              target,
              protocol,
              encoders: [src.label],
            })
          }
        }
      }
      for (const mode of cfg.fusion.modes) {
        if (!runsOnTarget(cfg, mode, target)) continue
        for (const set of cfg.fusion.sets) {
          const members = set.map((label) => sourceOf(label, seed))
          add({
            ...blank,
            name: `${target}-fusion-${mode}-${set.map(encName).join('+')}-s${seed}`,
            stage: 'downstream',
            spec: { kind: 'downstream', seed, params: downstreamParams(target, mode, members.map((m) => m.ref), 1) },
            deps: members.flatMap((m) => m.deps),
            seed,
            target,
            protocol: mode,
            fusionMode: mode,
            encoders: [...set],
          })
        }
      }
    }
  }

  // Transfer against pretext progress: a linear probe of each encoder snapshot of each pretext cell on
  // every target, for the first seed only (a descriptive curve per cell; the seed spread of the
  // comparisons is measured on the main runs). Each waits for its pretext run, not for an extraction.
  const snapshotNotes: string[] = []
  if (d.snapshotProbes) {
    const seed = cfg.seeds[0]!
    const steps = p.snapshots.map((f) => snapshotStep(f, p.steps))
    snapshotNotes.push(`Snapshot probes: ${cells.length * steps.length * cfg.targets.length} linear probes of the encoder snapshots at steps ${steps.join(', ')} of ${p.steps} of each pretext cell, on ${cfg.targets.join(' and ')}, seed ${seed} only; the analysis shows their ROC-AUC against pretext steps (H1).`)
    for (const target of cfg.targets) {
      for (const { task, dataset, label } of cells) {
        const pre = pretexts.get(`${label}|${seed}`)!
        for (const fraction of p.snapshots) {
          const step = snapshotStep(fraction, p.steps)
          add({
            ...blank,
            name: `${target}-linear-${encName(label)}-step${step}-s${seed}`,
            stage: 'downstream',
            spec: { kind: 'downstream', seed, params: downstreamParams(target, 'linear', [snapshotRef(pre.id, step)], 1) },
            deps: [pre.id],
            pretext: task,
            pretrainDataset: dataset,
            seed,
            target,
            protocol: 'linear',
            encoders: [snapshotLabel(label, step)],
          })
        }
      }
    }
  }

  if (cfg.probes.invariance) {
    for (const [key, ext] of extracts) {
      const [label] = key.split('|') as [string]
      add({
        ...blank,
        name: `probe-invariance-${encName(label)}-s${ext.seed}`,
        stage: 'probe',
        spec: {
          kind: 'probe',
          seed: ext.seed,
          params: { mode: 'invariance', encoder: { $encoder: ext.id }, dataset_dir: { $dataset: cfg.downstreamDataset }, split: 'val', n_images: cfg.probes.nImages, image_size: size },
        },
        deps: [ext.id],
        pretext: ext.pretext,
        pretrainDataset: ext.pretrainDataset,
        seed: ext.seed,
        encoders: [label],
      })
    }
  }
  if (cfg.probes.invariance) {
    // The reference row: what a random-init ResNet-18 of the same seed gives, i.e. what the
    // architecture alone makes invariant before any pretraining.
    for (const seed of cfg.seeds) {
      add({
        ...blank,
        name: `probe-invariance-random-init-s${seed}`,
        stage: 'probe',
        spec: {
          kind: 'probe',
          seed,
          params: { mode: 'invariance', reference: 'random-init', dataset_dir: { $dataset: cfg.downstreamDataset }, split: 'val', n_images: cfg.probes.nImages, image_size: size },
        },
        deps: [],
        seed,
        encoders: [RANDOM_INIT_LABEL],
      })
    }
  }
  if (cfg.probes.similarity) {
    const dirs = Object.fromEntries(cfg.pretrainDatasets.map((n) => [n, { $dataset: n }]))
    add({
      ...blank,
      name: 'probe-similarity',
      stage: 'probe',
      spec: { kind: 'probe', seed: 0, params: { mode: 'similarity', dataset_dirs: dirs, reference_dir: { $dataset: cfg.downstreamDataset }, n_images: cfg.probes.nImages, image_size: size } },
      deps: [],
      seed: 0,
    })
  }

  const counts: Record<Stage, number> = { pretext: 0, extract: 0, downstream: 0, probe: 0 }
  for (const r of runs) counts[r.stage]++
  const nTest = prov.datasetClasses?.(cfg.downstreamDataset)?.testImages ?? null
  return { runs, counts, notes: [...supervised.notes, ...snapshotNotes, detectableSentence(cfg.seeds.length, nTest)] }
}
