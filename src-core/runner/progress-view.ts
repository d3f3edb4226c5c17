// Terminal view of a running study: on a TTY one redrawn bar per active run plus the study's bar
// with ETA (`studies.eta`: the queued runs scheduled over the slots behind the running ones, from
// measured throughput); otherwise plain log lines (state changes, and a summary every so often).
import type { LabService } from '../service/lab-service.ts'
import * as store from '../store/runs.ts'

interface Progress {
  runId: string
  stage: string
  epoch: number
  epochs: number
  step: number
  steps: number
  loss: number | null
  imagesPerSec: number | null
  etaS: number | null
}

export function bar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction))
  const full = Math.round(f * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
}

export function formatDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '--:--'
  const t = Math.max(0, Math.round(s))
  const h = Math.floor(t / 3600)
  const m = Math.floor((t % 3600) / 60)
  const sec = t % 60
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`
}

/** Fraction of a run done from its last progress message (the engine counts epochs from 1). */
function runFraction(p: Progress): number {
  if (!p.epochs || !p.steps) return 0
  // step is the engine's global step and steps the run's total
  return Math.min(1, Math.max(0, p.step / p.steps))
}

/** Follows a study until `stop()`; returns the detach function. */
export function watchStudy(service: LabService, studyId: string, opts: { tty: boolean; out: NodeJS.WriteStream }): () => void {
  const db = service.ctx.db
  const started = Date.now()
  const progress = new Map<string, Progress>()
  let drawnLines = 0
  let eta: { measured: boolean; etaS: number | null } | null = null
  const refreshEta = () =>
    void service.dispatch('studies.eta', { id: studyId }, { signal: new AbortController().signal, requestId: 'watch' }).then(
      (r) => (eta = r as typeof eta),
      () => (eta = null),
    )
  refreshEta()
  const etaTimer = setInterval(refreshEta, 2000)
  const countsLine = () => {
    const c = store.studyStateCounts(db, studyId)
    const total = Object.values(c).reduce((a, b) => a + b, 0)
    const finished = c.done + c.failed + c.cancelled
    const partial = [...progress.values()].reduce((a, p) => a + runFraction(p), 0)
    const frac = total ? (finished + partial) / total : 1
    const elapsed = (Date.now() - started) / 1000
    const left = frac >= 1 ? '' : eta?.measured === false ? '  ETA not measured yet' : `  ETA ${formatDuration(eta?.etaS)}`
    return `study ${bar(frac)} ${finished}/${total} runs  done ${c.done}  running ${c.running}  failed ${c.failed}  elapsed ${formatDuration(elapsed)}${left}`
  }
  const draw = () => {
    const lines: string[] = []
    for (const id of store.listRuns(db, { studyId, state: 'running' }).map((r) => r.id)) {
      const r = store.getRun(db, id)!
      const p = progress.get(id)
      const detail = p ? `${p.stage} step ${p.step}/${p.steps}${p.loss !== null ? ` loss ${p.loss.toFixed(3)}` : ''}${p.imagesPerSec !== null ? ` ${p.imagesPerSec.toFixed(0)} img/s` : ''} ETA ${formatDuration(p.etaS)}` : 'starting'
      lines.push(`  ${r.name.slice(0, 48).padEnd(48)} ${bar(p ? runFraction(p) : 0, 16)} ${detail}`)
    }
    lines.push(countsLine())
    const clear = drawnLines ? `\x1b[${drawnLines}A\x1b[0J` : ''
    opts.out.write(`${clear}${lines.join('\n')}\n`)
    drawnLines = lines.length
  }
  const say = (line: string) => {
    if (opts.tty && drawnLines) {
      opts.out.write(`\x1b[${drawnLines}A\x1b[0J`)
      drawnLines = 0
    }
    opts.out.write(`${line}\n`)
    if (opts.tty) draw()
  }
  const off = service.ctx.events.onAny((event, payload) => {
    if (event === 'onRunProgress') {
      const p = payload as Progress
      progress.set(p.runId, p)
    } else if (event === 'onRunState') {
      const s = payload as { runId: string; state: string; reason?: string }
      if (s.state === 'running' || s.state === 'queued') return
      progress.delete(s.runId)
      const r = store.getRun(db, s.runId)
      if (r && store.studiesOfRun(db, r.id).includes(studyId)) say(`[${new Date().toISOString().slice(11, 19)}] ${r.name}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`)
    }
  })
  const timer = setInterval(() => (opts.tty ? draw() : opts.out.write(`[${new Date().toISOString().slice(11, 19)}] ${countsLine()}\n`)), opts.tty ? 500 : 30_000)
  if (opts.tty) draw()
  return () => {
    clearInterval(timer)
    clearInterval(etaTimer)
    off()
    if (opts.tty) draw()
  }
}
