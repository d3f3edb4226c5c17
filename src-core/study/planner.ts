// Expands a study config into runs with dependencies (DESIGN.md "Study planning and running"):
// pretext -> extract -> downstream (single encoder or fusion) and invariance probes; scratch runs
// and the similarity probe wait for nothing. Pure: no database, no file system (dataset checksums
// and the engine version come in as PlanProvenance).
import { specProvenance, type PlanProvenance } from './provenance.ts'
import { DEFAULT_CHECKPOINT_SECONDS, trainedCells, type FusionMode, type PretextTask, type Protocol, type StudyConfig, type Target } from './config.ts'
import { runIdFor, specHash, type RunSpec, type Stage } from './spec.ts'

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
}

const encName = (label: string) => label.replace('/', '@')

/** Encoder label of the random-init reference row of the invariance probe. */
export const RANDOM_INIT_LABEL = 'random-init'


/** Provenance for plans made without a store (previews in tests): nothing imported, engine unknown. */
export const NO_PROVENANCE: PlanProvenance = { engineVersion: 'unknown', datasetChecksum: () => null }

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

  const cells = trainedCells(cfg)
  for (const seed of cfg.seeds) {
    for (const { task, dataset, label } of cells) {
      const pre = add({
        ...blank,
        name: `${encName(label)}-s${seed}`,
        stage: 'pretext',
        spec: {
          kind: 'pretext',
          seed,
          params: {
            task,
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
          },
        },
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
    }
  }

  const downstreamParams = (target: Target, protocol: Protocol, encoderRuns: PlannedRun[]) => {
    const lrHead = protocol === 'scratch' ? d.lrScratch : d.lrHead
    // A linear probe has no encoder learning rate: leaving it out keeps its hash independent of it.
    const lrEncoder = protocol === 'scratch' ? d.lrScratch : protocol === 'finetune' ? d.lrEncoder : undefined
    return {
      dataset_dir: { $dataset: cfg.downstreamDataset },
      target,
      protocol,
      encoders: encoderRuns.map((e) => ({ $encoder: e.id })),
      image_size: size,
      epochs: d.epochs,
      batch_size: d.batchSize,
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
      normalisation: protocol !== 'scratch' && d.normalisation === 'pretraining' ? 'pretraining' : undefined,
      max_steps_per_epoch: d.maxStepsPerEpoch,
      max_train_images: d.maxTrainImages,
    }
  }

  for (const seed of cfg.seeds) {
    for (const target of cfg.targets) {
      for (const protocol of cfg.protocols) {
        if (protocol === 'scratch') {
          add({ ...blank, name: `${target}-scratch-s${seed}`, stage: 'downstream', spec: { kind: 'downstream', seed, params: downstreamParams(target, 'scratch', []) }, deps: [], seed, target, protocol })
          continue
        }
        for (const { task, dataset, label } of cells) {
          const ext = extracts.get(`${label}|${seed}`)!
          add({
            ...blank,
            name: `${target}-${protocol}-${encName(label)}-s${seed}`,
            stage: 'downstream',
            spec: { kind: 'downstream', seed, params: downstreamParams(target, protocol, [ext]) },
            deps: [ext.id],
            pretext: task,
            pretrainDataset: dataset,
            seed,
            target,
            protocol,
            encoders: [label],
          })
        }
      }
      for (const mode of cfg.fusion.modes) {
        for (const set of cfg.fusion.sets) {
          const encRuns = set.map((label) => extracts.get(`${label}|${seed}`)!)
          add({
            ...blank,
            name: `${target}-fusion-${mode}-${set.map(encName).join('+')}-s${seed}`,
            stage: 'downstream',
            spec: { kind: 'downstream', seed, params: downstreamParams(target, mode, encRuns) },
            deps: encRuns.map((e) => e.id),
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
  return { runs, counts }
}
