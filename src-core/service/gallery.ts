// Handlers of the gallery domain (src-core/api/gallery.ts): a page of one run's test images with
// their true and predicted class, and the images one run gets right and another wrong. The
// decisions (what is predicted, what counts as an error, the order) are the pure functions below,
// so the tests check them on hand-made predictions.
import { ApiError, type Handlers } from '../api/contract.ts'
import type { galleryApi, GalleryFilter, GalleryItem, GalleryOrder } from '../api/gallery.ts'
import type { RunPredictions } from '../analysis/predictions.ts'
import { argmax } from '../analysis/stats/metrics.ts'
import { rowThumbnail } from '../datasets/thumbnails.ts'
import type { DomainFactory } from './context.ts'
import { gallerySource, type GallerySource } from './gallery-source.ts'

/** One prediction row reduced to what the gallery shows. */
export interface Decision {
  /** Position in the predictions file. */
  row: number
  /** True class (multi-label: 1 when the finding is present). */
  trueClass: number
  /** Predicted class (multi-label: 1 when the sigmoid is at least 0.5). */
  predicted: number
  /** Probability of the predicted class. */
  probability: number
}

/** The decision of every image; multi-label runs for one finding (positive when its sigmoid >= 0.5). */
export function decisions(pred: RunPredictions, finding: number | null): Decision[] {
  if (pred.multilabel) {
    const f = finding ?? 0
    return pred.probs.map((p, row) => {
      const s = p[f]!
      const predicted = s >= 0.5 ? 1 : 0
      return { row, trueClass: pred.targets[row]![f]! >= 0.5 ? 1 : 0, predicted, probability: predicted ? s : 1 - s }
    })
  }
  return pred.probs.map((p, row) => {
    const predicted = argmax(p)
    return { row, trueClass: pred.targets[row]!, predicted, probability: p[predicted]! }
  })
}

/** The decisions that pass the filter, in the asked order (ties keep file order, so pages are stable). */
export function selectDecisions(all: readonly Decision[], o: { order: GalleryOrder; filter: GalleryFilter; trueClass?: number }): Decision[] {
  const kept = all.filter((d) => (o.filter === 'errors' ? d.predicted !== d.trueClass : o.filter === 'correct' ? d.predicted === d.trueClass : true) && (o.trueClass === undefined || d.trueClass === o.trueClass))
  if (o.order === 'cache') return kept
  const sign = o.order === 'most-confident' ? -1 : 1
  return [...kept].sort((x, y) => sign * (x.probability - y.probability) || x.row - y.row)
}

/** The class names items refer to, and the finding shown (multi-label). */
function classesOf(pred: RunPredictions, finding: number | undefined): { classNames: string[]; finding: number | null } {
  if (!pred.multilabel) return { classNames: pred.classNames, finding: null }
  const f = finding ?? 0
  if (f >= pred.classNames.length) throw new ApiError('BAD_REQUEST', `There are ${pred.classNames.length} findings (0 to ${pred.classNames.length - 1}); finding ${f} does not exist.`)
  return { classNames: [`no ${pred.classNames[f]}`, pred.classNames[f]!], finding: f }
}

/** The item of one decision, with its thumbnail when asked for. */
async function itemOf(src: GallerySource, d: Decision, thumbnails: boolean): Promise<GalleryItem> {
  const index = src.pred.indices[d.row]!
  return {
    index,
    imageId: src.imageIds.get(index) ?? null,
    patientId: src.patients?.[d.row] ?? null,
    trueClass: d.trueClass,
    predicted: d.predicted,
    probability: d.probability,
    correct: d.predicted === d.trueClass,
    thumbnail: thumbnails ? await rowThumbnail(src.dataset, index) : null,
  }
}

/** Pairs two runs' decisions on the cache rows both scored; refuses different targets or datasets. */
export function pairDecisions(a: GallerySource, b: GallerySource, finding: number | null): { pairs: { a: Decision; b: Decision }[]; warnings: string[] } {
  if (a.run.target !== b.run.target) throw new ApiError('BAD_REQUEST', `${a.run.name} has target ${a.run.target} and ${b.run.name} ${b.run.target}; pick two runs of the same target.`)
  if (a.dataset.id !== b.dataset.id) throw new ApiError('BAD_REQUEST', `${a.run.name} was tested on "${a.dataset.name}" and ${b.run.name} on "${b.dataset.name}"; pick two runs tested on the same images.`)
  if (a.pred.classNames.join('|') !== b.pred.classNames.join('|')) throw new ApiError('BAD_REQUEST', `${a.run.name} and ${b.run.name} have different classes (${a.pred.classNames.join(', ')} vs ${b.pred.classNames.join(', ')}).`)
  const da = decisions(a.pred, finding)
  const db = decisions(b.pred, finding)
  const rowB = new Map(b.pred.indices.map((idx, row) => [idx, row]))
  const pairs: { a: Decision; b: Decision }[] = []
  a.pred.indices.forEach((idx, row) => {
    const r = rowB.get(idx)
    if (r !== undefined) pairs.push({ a: da[row]!, b: db[r]! })
  })
  if (!pairs.length) throw new ApiError('BAD_REQUEST', `${a.run.name} and ${b.run.name} share no test image; pick two runs of the same test split.`)
  const warnings = [...a.warnings, ...b.warnings]
  const only = a.pred.indices.length + b.pred.indices.length - 2 * pairs.length
  if (only) warnings.push(`${only} test images were scored by only one of the two runs and are left out.`)
  return { pairs, warnings }
}

export const galleryDomain: DomainFactory = (ctx) => {
  const handlers: Handlers<typeof galleryApi> = {
    'gallery.page': async ({ runId, order, filter, trueClass, offset, limit, finding, thumbnails }) => {
      const src = gallerySource(ctx.db, runId)
      const { classNames, finding: f } = classesOf(src.pred, finding)
      if (trueClass !== undefined && trueClass >= classNames.length) throw new ApiError('BAD_REQUEST', `${src.run.name} has ${classNames.length} classes (${classNames.join(', ')}); class ${trueClass} does not exist.`)
      const all = decisions(src.pred, f)
      const shown = selectDecisions(all, { order, filter, trueClass })
      const page = shown.slice(offset, offset + limit)
      return {
        runId: src.run.id,
        name: src.run.name,
        target: src.run.target,
        multilabel: src.pred.multilabel,
        findings: src.pred.multilabel ? src.pred.classNames : [],
        finding: f,
        classNames,
        images: all.length,
        errors: all.filter((d) => d.predicted !== d.trueClass).length,
        perClass: classNames.map((name, c) => ({ name, images: all.filter((d) => d.trueClass === c).length, errors: all.filter((d) => d.trueClass === c && d.predicted !== c).length })),
        total: shown.length,
        offset,
        items: await Promise.all(page.map((d) => itemOf(src, d, thumbnails))),
        warnings: src.warnings,
      }
    },
    'gallery.pair': async ({ runA, runB, direction, offset, limit, finding, thumbnails }) => {
      if (runA === runB) throw new ApiError('BAD_REQUEST', 'Pick two different runs to compare their test images.')
      const a = gallerySource(ctx.db, runA)
      const b = gallerySource(ctx.db, runB)
      if (a.pred.multilabel !== b.pred.multilabel) throw new ApiError('BAD_REQUEST', `${a.run.name} and ${b.run.name} are not both multi-label; pick two runs of the same target.`)
      const { classNames, finding: f } = classesOf(a.pred, finding)
      const { pairs, warnings } = pairDecisions(a, b, f)
      const right = (d: { trueClass: number; predicted: number }) => d.predicted === d.trueClass
      const counts = { bothRight: 0, onlyA: 0, onlyB: 0, bothWrong: 0 }
      for (const p of pairs) counts[right(p.a) ? (right(p.b) ? 'bothRight' : 'onlyA') : right(p.b) ? 'onlyB' : 'bothWrong']++
      // The wrong run's confidence orders the page: a confidently wrong case is the one to look at first.
      const wanted = pairs.filter((p) => (direction === 'only-a' ? right(p.a) && !right(p.b) : right(p.b) && !right(p.a)))
      const wrongOf = (p: { a: Decision; b: Decision }) => (direction === 'only-a' ? p.b : p.a)
      wanted.sort((x, y) => wrongOf(y).probability - wrongOf(x).probability || x.a.row - y.a.row)
      const page = wanted.slice(offset, offset + limit)
      const side = (d: Decision) => ({ predicted: d.predicted, probability: d.probability, correct: right(d) })
      return {
        a: { runId: a.run.id, name: a.run.name },
        b: { runId: b.run.id, name: b.run.name },
        finding: f,
        findings: a.pred.multilabel ? a.pred.classNames : [],
        classNames,
        shared: pairs.length,
        counts,
        direction,
        total: wanted.length,
        offset,
        items: await Promise.all(page.map(async (p) => {
          const item = await itemOf(a, p.a, thumbnails)
          return { index: item.index, imageId: item.imageId, patientId: item.patientId, trueClass: item.trueClass, thumbnail: item.thumbnail, a: side(p.a), b: side(p.b) }
        })),
        warnings,
      }
    },
  }
  return { handlers }
}
