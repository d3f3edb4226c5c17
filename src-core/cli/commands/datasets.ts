// `xlab datasets demo|import|list|show|remove|sheet|cancel`.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { contactSheet } from '../../datasets/thumbnails.ts'
import { formatReport, type ImportReport } from '../../datasets/report.ts'
import { parseFractions } from '../../datasets/splits.ts'
import { getDatasetByIdOrName } from '../../store/datasets.ts'
import { LabService } from '../../service/lab-service.ts'
import { flagNumber, flagString, type CliArgs } from '../args.ts'

const HELP = `usage: xlab datasets <command> [options]   (global: --data DIR)

  demo [--scale small|default] [--size PX]       generate the four demo datasets and import them
  import <kind> <path> [--name N] [--size PX] [--color grey|rgb|auto] [--split 0.7,0.1,0.2] [--seed S] [--flip yes|no] [--jobs N]
                                                 [--resize crop|pad|foreground]  (default: crop; foreground for mammograms)
                                                 [--file-column C] [--label-column C] [--patient-column C]
                                                 columns of labels.csv / the ChestX-ray14 table, when
                                                 they have other names (path, relpath, filepath ... are recognised)
                                                 --flip yes mirrors mammograms to face left (default no: as acquired;
                                                 pretext tasks then mirror each image at random)
                                                 kind: chestxray14 | imagefolder | mammogram
                                                 an interrupted import resumes when run again
  list                                           datasets with status and size
  show <id|name> [--all]                         details and the import report
  sheet <id|name> [--per-label N] --out FILE.png contact sheet of N cache images per label
  remove <id|name>                               delete a dataset and its cache
  --json prints machine-readable output.
`

const bad = (message: string) => Object.assign(new Error(message), { code: 'BAD_REQUEST' })

type Progress = { datasetId: string; name: string; phase: string; done: number; total: number; imagesPerSec: number; etaS: number }

export async function run(args: CliArgs): Promise<number> {
  const [sub, a1, a2] = args.positional
  if (!sub || args.flags.help) {
    process.stdout.write(HELP)
    return sub ? 0 : 2
  }
  const json = Boolean(args.flags.json)
  const service = await LabService.open({ dataRoot: flagString(args, 'data'), allowAllPaths: true, startQueue: false })
  const controller = new AbortController()
  const call = (method: string, input: unknown) => service.dispatch(method, input, { signal: controller.signal, requestId: 'cli' })
  const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`)
  let lastLine = 0
  const off = service.ctx.events.onAny((event, payload) => {
    if (event !== 'onImportProgress' || json) return
    const p = payload as Progress
    const now = Date.now()
    if ((p.phase === 'decoding' || p.phase === 'generating') && now - lastLine < 1000 && p.done !== p.total) return
    lastLine = now
    process.stderr.write(`${p.name}: ${p.phase} ${p.done}/${p.total}${p.imagesPerSec ? `  ${p.imagesPerSec.toFixed(0)} img/s  eta ${p.etaS.toFixed(0)} s` : ''}\n`)
  })
  // Ctrl-C stops the import cleanly (the journal is flushed) so the next run resumes it.
  const onSigint = () => {
    process.stderr.write('stopping; run the same command again to resume\n')
    controller.abort()
    void service.close()
  }
  process.once('SIGINT', onSigint)
  try {
    switch (sub) {
      case 'demo': {
        const scale = flagString(args, 'scale') ?? 'default'
        if (scale !== 'small' && scale !== 'default') throw bad(`--scale is small or default, not "${scale}".`)
        const r = (await call('datasets.generateDemo', { scale, size: flagNumber(args, 'size') })) as { datasets: { id: string; name: string }[] }
        if (json) print(r)
        else for (const d of r.datasets) process.stdout.write(`${d.id}  ${d.name}\n`)
        return 0
      }
      case 'import': {
        if (!a1 || !a2) throw bad('usage: xlab datasets import <chestxray14|imagefolder|mammogram> <path> [--name N] [--size PX]')
        const split = flagString(args, 'split')
        const input = {
          kind: a1,
          path: resolve(a2),
          name: flagString(args, 'name'),
          size: flagNumber(args, 'size'),
          color: flagString(args, 'color'),
          split: split ? parseSplit(split) : undefined,
          seed: flagNumber(args, 'seed'),
          lateralityFlip: parseFlip(flagString(args, 'flip')),
          concurrency: flagNumber(args, 'jobs'),
          policy: parseResize(flagString(args, 'resize')),
          columns: columnFlags(args),
        }
        const { id, name } = (await call('datasets.import', input)) as { id: string; name: string }
        const end = await waitForImport(service, id)
        if (end !== 'done') {
          const d = getDatasetByIdOrName(service.ctx.db, id)
          process.stderr.write(`xlab: import of ${name} ${end}: ${d?.error ?? ''}\n`)
          return end === 'cancelled' ? 130 : 1
        }
        const report = (await call('datasets.report', { id })) as ImportReport
        if (json) print({ id, name, report })
        else process.stdout.write(`${id}  ${name}\n${formatReport(report)}\n`)
        return 0
      }
      case 'list': {
        const list = (await call('datasets.list', {})) as { id: string; name: string; kind: string; status: string; n: number; width: number; channels: number; error: string | null }[]
        if (json) print(list)
        else for (const d of list) process.stdout.write(`${d.id}  ${d.status.padEnd(9)} ${d.kind.padEnd(11)} ${String(d.n).padStart(7)} x ${d.width}px ${d.channels === 3 ? 'rgb ' : 'grey'}  ${d.name}${d.error ? `  (${d.error})` : ''}\n`)
        return 0
      }
      case 'show': {
        if (!a1) throw bad('usage: xlab datasets show <id|name>')
        const d = (await call('datasets.get', { id: a1 })) as Record<string, unknown>
        const report = d.status === 'ready' ? ((await call('datasets.report', { id: a1 })) as ImportReport) : null
        if (json) print({ ...d, report })
        else {
          process.stdout.write(`${d.id}  ${d.name}  (${d.kind}, ${d.status})\nsource ${d.source}\ncache  ${d.dir}\n`)
          if (d.error) process.stdout.write(`error  ${d.error}\n`)
          if (report) process.stdout.write(`${formatReport(report, args.flags.all ? Infinity : 50)}\n`)
        }
        return 0
      }
      case 'sheet': {
        if (!a1) throw bad('usage: xlab datasets sheet <id|name> [--per-label N] --out FILE.png')
        const out = flagString(args, 'out')
        if (!out) throw bad('xlab datasets sheet needs --out FILE.png')
        const d = getDatasetByIdOrName(service.ctx.db, a1)
        if (!d) throw Object.assign(new Error(`There is no dataset "${a1}". List them with xlab datasets list.`), { code: 'NOT_FOUND' })
        if (d.status !== 'ready') throw bad(`"${d.name}" is not ready (status: ${d.status}).`)
        writeFileSync(out, await contactSheet(d, flagNumber(args, 'per-label') ?? 8))
        process.stdout.write(`wrote ${out}\n`)
        return 0
      }
      case 'remove': {
        if (!a1) throw bad('usage: xlab datasets remove <id|name>')
        print(await call('datasets.remove', { id: a1 }))
        return 0
      }
      default:
        throw bad(`xlab datasets has no command "${sub}".\n\n${HELP}`)
    }
  } finally {
    process.off('SIGINT', onSigint)
    off()
    await service.close()
  }
}

function parseResize(v: string | undefined): 'shorter-side-center-crop' | 'pad-square' | 'crop-foreground' | undefined {
  if (v === undefined) return undefined
  if (v === 'crop' || v === 'shorter-side-center-crop') return 'shorter-side-center-crop'
  if (v === 'pad' || v === 'pad-square') return 'pad-square'
  if (v === 'foreground' || v === 'crop-foreground') return 'crop-foreground'
  throw bad(`--resize is crop (shorter side, centre crop), pad (pad to square) or foreground (crop to the foreground's box, then fit), not "${v}"; images are never stretched.`)
}

function parseFlip(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined
  if (v === 'yes' || v === 'no') return v === 'yes'
  throw bad(`--flip is yes or no (mirror mammograms so all face left), not "${v}".`)
}

function parseSplit(text: string) {
  try {
    return parseFractions(text)
  } catch (e) {
    throw bad((e as Error).message)
  }
}

/** --file-column, --label-column, --patient-column, or undefined when none is given. */
function columnFlags(args: CliArgs): { file?: string; label?: string; patient?: string } | undefined {
  const c = { file: flagString(args, 'file-column'), label: flagString(args, 'label-column'), patient: flagString(args, 'patient-column') }
  for (const [k, v] of Object.entries(c)) if (v !== undefined && v.trim() === '') throw bad(`--${k}-column needs the column's name as written in the table's first line.`)
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))
  return Object.keys(given).length ? given : undefined
}

/** Resolves with the terminal phase of an import started through the API. */
function waitForImport(service: LabService, id: string): Promise<string> {
  return new Promise((resolveEnd) => {
    const off = service.ctx.events.onAny((event, payload) => {
      const p = payload as Progress
      if (event === 'onImportProgress' && p.datasetId === id && (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled')) {
        off()
        resolveEnd(p.phase)
      }
    })
    // A tiny import can end before this listener exists: the row then already tells.
    const d = getDatasetByIdOrName(service.ctx.db, id)
    if (d && d.status !== 'importing') {
      off()
      resolveEnd(d.status === 'ready' ? 'done' : d.status)
    }
  })
}
