// The label-distribution race: reports of several datasets arrive out of order; every one must
// survive (the old code spread the reports map before the await, so only the last answer stayed).
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import { useDatasetsStore } from '../../src-renderer/stores/datasets.ts'
import { fakeLab, flush } from './fake-lab.ts'

const ds = (id: string) => ({ id, name: id, kind: 'imagefolder', source: '/s', dir: '/d', status: 'ready', n: 10, height: 32, width: 32, channels: 1, labelNames: ['a'], multiLabel: false, splits: { train: 7, val: 1, test: 2 }, error: null, createdAt: '' })

describe('datasets store: label distributions', () => {
  it('keeps every report when the answers arrive in reverse order', async () => {
    const release: Record<string, () => void> = {}
    const f = fakeLab({
      'datasets.list': () => [ds('d1'), ds('d2'), ds('d3')],
      'datasets.report': (input) => new Promise((resolve) => (release[input.id as string] = () => resolve({ perLabel: { a: { total: 1 } } }))),
    })
    setLab(f.api)
    setActivePinia(createPinia())
    const s = useDatasetsStore()
    await s.load()
    await flush()
    for (const id of ['d3', 'd2', 'd1']) {
      release[id]!()
      await flush()
    }
    expect(Object.keys(s.reports).sort()).toEqual(['d1', 'd2', 'd3'])
  })
})
