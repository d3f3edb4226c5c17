// The error gallery and the pair view over a fake service: what each image shows, that changing
// the filter or the page asks for the right page, that a slower old answer never replaces a newer
// one, the service's sentence when a run has no predictions, and the pair view's counts.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import { LabError } from '../../src-renderer/api/client.ts'
import ErrorGallery from '../../src-renderer/components/ErrorGallery.vue'
import PairGallery from '../../src-renderer/components/PairGallery.vue'
import { errorShare, pageRange } from '../../src-renderer/composables/gallery.ts'
import { fakeLab, flush } from './fake-lab.ts'

const item = (index: number, trueClass: number, predicted: number, probability: number) => ({ index, imageId: `images/${index}.png`, patientId: 1000 + index, trueClass, predicted, probability, correct: trueClass === predicted, thumbnail: 'data:image/png;base64,AA==' })
function pageOf(input: Record<string, unknown>) {
  const all = [item(4, 0, 1, 0.93), item(7, 1, 0, 0.71), item(8, 0, 1, 0.55)]
  const offset = (input.offset as number) ?? 0
  const limit = (input.limit as number) ?? 48
  return { runId: input.runId, name: 'binary-linear', target: 'binary', multilabel: false, findings: [], finding: null, classNames: ['No Finding', 'Finding'], images: 6, errors: 3, perClass: [{ name: 'No Finding', images: 3, errors: 2 }, { name: 'Finding', images: 3, errors: 1 }], total: all.length, offset, items: all.slice(offset, offset + limit), warnings: [] }
}
const mountWith = (handlers: Parameters<typeof fakeLab>[0], component: unknown, props: Record<string, unknown>) => {
  const lab = fakeLab(handlers)
  setLab(lab.api)
  const w = mount(component as never, { props: props as never, global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
  return { w, lab }
}

describe('gallery words', () => {
  it('says the page range and the error share', () => {
    expect(pageRange(48, 48, 123)).toBe('49–96 of 123')
    expect(pageRange(0, 0, 0)).toBe('none')
    expect(errorShare(3, 6)).toBe('3 of 6 wrong (50.0%)')
  })
})

describe('ErrorGallery', () => {
  it('shows each error with true and predicted class, probability, patient and image id', async () => {
    const { w, lab } = mountWith({ 'gallery.page': pageOf }, ErrorGallery, { runId: 'r-a', title: 'binary-linear' })
    for (let i = 0; i < 3; i++) await flush()
    expect(lab.calls[0]).toEqual({ method: 'gallery.page', input: { runId: 'r-a', order: 'most-confident', filter: 'errors', trueClass: undefined, finding: 0, offset: 0, limit: 48 } })
    const tiles = w.findAll('[data-testid=gallery-item]')
    expect(tiles).toHaveLength(3)
    expect(tiles[0]!.text()).toMatch(/true\s*No Finding\s*predicted\s*Finding\s*confidence 0\.930\s*wrong\s*patient\s*1004\s*image\s*images\/4\.png/) // the whole id, never cut
    expect(tiles[0]!.attributes('data-probability')).toBe('0.93')
    expect(tiles[0]!.classes()).toEqual(['gallery-tile', 'wrong'])
    expect(tiles[0]!.find('img').attributes('alt')).toBe('Test image images/4.png')
    expect(w.find('[data-testid=gallery-summary]').text()).toContain('6 test images, 3 of 6 wrong (50.0%). No Finding: 2 of 3 wrong (66.7%). Finding: 1 of 3 wrong (33.3%).')
    expect(w.find('[data-testid=gallery-range]').text()).toBe('1–3 of 3')
  })

  it('asks for the chosen order, filter, class and the next page', async () => {
    const { w, lab } = mountWith({ 'gallery.page': pageOf }, ErrorGallery, { runId: 'r-a', title: 'x', pageSize: 2 })
    for (let i = 0; i < 3; i++) await flush()
    await w.find('[data-testid=gallery-order]').setValue('least-confident')
    await w.find('[data-testid=gallery-filter]').setValue('all')
    await flush()
    await w.find('[data-testid=gallery-class]').setValue('1')
    for (let i = 0; i < 3; i++) await flush()
    expect(lab.calls.at(-1)!.input).toMatchObject({ order: 'least-confident', filter: 'all', trueClass: 1, offset: 0, limit: 2 })
    await w.findAll('button').find((b) => b.text() === 'Next page')!.trigger('click')
    for (let i = 0; i < 3; i++) await flush()
    expect(lab.calls.at(-1)!.input).toMatchObject({ offset: 2 })
    expect(w.find('[data-testid=gallery-range]').text()).toBe('3–3 of 3')
  })

  it('keeps the newest page when an older answer arrives late', async () => {
    let release: (() => void) | undefined
    const totals: Record<string, number> = { errors: 3, all: 6, correct: 3 }
    // The request for "all" answers only when released, after the newer request for "correct".
    const { w } = mountWith({
      'gallery.page': (input) => {
        const out = { ...pageOf(input), total: totals[input.filter as string]! }
        return input.filter === 'all' ? new Promise((resolve) => (release = () => resolve({ ...out, items: [] }))) : out
      },
    }, ErrorGallery, { runId: 'r-a', title: 'x' })
    for (let i = 0; i < 3; i++) await flush()
    await w.find('[data-testid=gallery-filter]').setValue('all')
    await flush()
    await w.find('[data-testid=gallery-filter]').setValue('correct')
    for (let i = 0; i < 3; i++) await flush()
    release!()
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-testid=gallery-range]').text()).toBe('1–3 of 3')
    expect(w.findAll('[data-testid=gallery-item]')).toHaveLength(3)
  })

  it('says why there is nothing to show when the run has no predictions', async () => {
    const { w } = mountWith({ 'gallery.page': () => { throw new LabError('NOT_READY', 'binary-linear has no test predictions yet (it is running).') } }, ErrorGallery, { runId: 'r-a', title: 'x' })
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[role=alert]').text()).toContain('has no test predictions yet')
  })

  it('offers the findings of a multi-label run and asks for the chosen one', async () => {
    const { w, lab } = mountWith({ 'gallery.page': (i) => ({ ...pageOf(i), multilabel: true, findings: ['Atelectasis', 'Effusion'], finding: i.finding, classNames: ['no Effusion', 'Effusion'] }) }, ErrorGallery, { runId: 'r-ml', title: 'x' })
    for (let i = 0; i < 3; i++) await flush()
    await w.find('[data-testid=gallery-finding]').setValue('1')
    for (let i = 0; i < 3; i++) await flush()
    expect(lab.calls.at(-1)!.input).toMatchObject({ finding: 1, offset: 0 })
    expect(w.find('h4').text()).toContain('finding Effusion')
  })
})

describe('PairGallery', () => {
  it('shows both directions counted and the images of the chosen one', async () => {
    const pair = (input: Record<string, unknown>) => ({
      a: { runId: 'r-a', name: 'A' }, b: { runId: 'r-b', name: 'B' }, finding: null, findings: [], classNames: ['No Finding', 'Finding'], shared: 6,
      counts: { bothRight: 2, onlyA: 1, onlyB: 2, bothWrong: 1 }, direction: input.direction, total: input.direction === 'only-a' ? 1 : 2, offset: 0,
      items: (input.direction === 'only-a' ? [5] : [4, 7]).map((index) => ({ index, imageId: null, patientId: 7, trueClass: 1, thumbnail: null, a: { predicted: 1, probability: 0.8, correct: true }, b: { predicted: 0, probability: 0.55, correct: false } })),
      warnings: [],
    })
    const { w, lab } = mountWith({ 'gallery.pair': pair }, PairGallery, { runA: 'r-a', runB: 'r-b', labelA: 'rotation', labelB: 'structure' })
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-count=onlyA]').text()).toBe('1')
    expect(w.find('[data-count=onlyB]').text()).toBe('2')
    expect(w.findAll('[data-testid=pair-item]').map((t) => t.attributes('data-index'))).toEqual(['5'])
    expect(w.text()).toContain('A right, B wrong (1)')
    await w.find('[data-testid=pair-only-b]').setValue(true)
    for (let i = 0; i < 3; i++) await flush()
    expect(lab.calls.at(-1)!.input).toMatchObject({ runA: 'r-a', runB: 'r-b', direction: 'only-b' })
    expect(w.findAll('[data-testid=pair-item]').map((t) => t.attributes('data-index'))).toEqual(['4', '7'])
    expect(w.find('[data-testid=pair-item]').text()).toMatch(/image\s*cache row 4/)
  })
})
