// Runs: the queue (kept live by onRunState/onRunProgress), per-run curves from onMetric, logs and
// the per-run controls.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { errorMessage, type CallOutput, type EventPayload } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { CurvePoint } from '../composables/curves.ts'

export type RunRow = CallOutput<'runs.list'> extends (infer R)[] ? R : never
export type RunProgress = EventPayload<'onRunProgress'>
/** A run's Slurm job (null: the run never went to Slurm). */
export type ClusterJob = NonNullable<CallOutput<'runs.get'>['cluster']>
/** `runs.logs`: the worker log and the event log of a run. */
export type RunLogs = CallOutput<'runs.logs'>

/** Adds a point; a resumed worker's repeated report of an epoch replaces the earlier value. */
function addPoint(byKey: Record<string, CurvePoint[]>, key: string, p: CurvePoint) {
  const pts = (byKey[key] ??= [])
  const i = pts.findIndex((q) => q.x === p.x && q.step === p.step)
  if (i >= 0) pts[i] = p
  else pts.push(p)
}

export const useRunsStore = defineStore('runs', () => {
  const api = useLab()
  /** Runs in view (all, or one study's). */
  const items = ref<RunRow[]>([])
  /** Study filter (null = all). */
  const studyId = ref<string | null>(null)
  /** Latest progress per run id. */
  const progress = ref<Record<string, RunProgress>>({})
  /** When the latest progress event of each run arrived (ms since the epoch): a run's health. */
  const progressAt = ref<Record<string, number>>({})
  /** The study's remaining time from measured rates (`studies.eta`) and when it was asked (ms), while a study is in view. */
  const eta = ref<(CallOutput<'studies.eta'> & { at: number }) | null>(null)
  /** Live curves: run id -> "split/name" -> points. */
  const curves = ref<Record<string, Record<string, CurvePoint[]>>>({})
  /** Error of the last load or action, shown above the queue. */
  const error = ref<string | null>(null)
  let reloadTimer: ReturnType<typeof setTimeout> | undefined

  const counts = computed(() => {
    const c: Record<string, number> = {}
    for (const r of items.value) c[r.state] = (c[r.state] ?? 0) + 1
    return c
  })

  async function load() {
    try {
      items.value = await api.call('runs.list', studyId.value ? { studyId: studyId.value } : {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Loads the stored metrics of a run into its curves (events then extend them). */
  async function loadMetrics(id: string) {
    try {
      const rows = await api.call('runs.metrics', { id })
      const byKey: Record<string, CurvePoint[]> = {}
      for (const m of rows) addPoint(byKey, `${m.split}/${m.name}`, { x: m.epoch, step: m.step, y: m.value })
      curves.value = { ...curves.value, [id]: byKey }
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Asks the service for the study's remaining time (null without a study in view). */
  async function loadEta() {
    if (!studyId.value) return void (eta.value = null)
    try {
      eta.value = { ...(await api.call('studies.eta', { id: studyId.value })), at: Date.now() }
    } catch (e) {
      eta.value = null
      error.value = errorMessage(e)
    }
  }

  /** The last lines of a run's worker log and of its event log. */
  function logs(id: string, tail = 200): Promise<RunLogs> {
    return api.call('runs.logs', { id, tail })
  }

  /** The Slurm job of a run (id, node, state), or null for local runs. */
  async function clusterJob(id: string): Promise<ClusterJob | null> {
    return (await api.call('runs.get', { id })).cluster ?? null
  }

  async function control(id: string, action: 'cancel' | 'retry' | 'resume') {
    try {
      await api.call(`runs.${action}`, { id })
      await load()
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Reloads soon (state changes come in bursts when a study starts). */
  function scheduleReload() {
    clearTimeout(reloadTimer)
    reloadTimer = setTimeout(() => void load(), 250)
  }

  api.on('onRunState', (e) => {
    const row = items.value.find((r) => r.id === e.runId)
    if (row) {
      row.state = e.state
      row.reason = e.reason ?? null
    }
    scheduleReload()
  })
  api.on('onRunProgress', (p) => {
    progress.value = { ...progress.value, [p.runId]: p }
    progressAt.value = { ...progressAt.value, [p.runId]: Date.now() }
  })
  api.on('onMetric', (m) => {
    const run = (curves.value[m.runId] ??= {})
    for (const [name, value] of Object.entries(m.values)) addPoint(run, `${m.split}/${name}`, { x: m.epoch, step: m.step, y: value })
    curves.value = { ...curves.value }
  })

  return { items, studyId, progress, progressAt, eta, curves, error, counts, load, loadMetrics, loadEta, logs, clusterJob, control }
})
