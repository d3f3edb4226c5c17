// The import wizard: the label table's columns with a preview of the first rows, picked by the user
// and sent with the import; in the browser, a folder chooser instead of a path typed blind.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const preview = {
  table: 'labels.csv',
  columns: ['Image File', 'BI-RADS class', 'Case', 'age'],
  rows: [['benign/m00.png', 'malignant', 'p1', '50'], ['benign/m01.png', 'benign', 'p1', '50']],
  guess: { file: null, label: null, patient: null },
  required: ['file', 'label'],
  note: null,
}

async function openWizard(handlers: Parameters<typeof fakeLab>[0]) {
  const f = fakeLab({ 'datasets.list': () => [], ...handlers })
  setLab(f.api)
  const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
  await flush()
  await w.findAll('button').find((b) => /import/i.test(b.text()))!.trigger('click')
  return { f, w }
}

describe('import wizard', () => {
  it('shows the table columns with the first rows and imports with the columns the user picked', async () => {
    const { f, w } = await openWizard({ 'datasets.previewTable': () => preview, 'datasets.import': () => ({ id: 'ds-1', name: 'm' }) })
    await w.find('select').setValue('mammogram')
    await w.find('input[placeholder="/path/to/images"]').setValue('/data/mammo')
    await w.find('[data-testid=read-table]').trigger('click')
    await flush()
    expect(f.calls.find((c) => c.method === 'datasets.previewTable')!.input).toEqual({ kind: 'mammogram', path: '/data/mammo' })
    const table = w.find('[data-testid=table-preview]')
    expect(table.findAll('th').map((t) => t.text())).toEqual(preview.columns)
    expect(table.findAll('tbody tr')).toHaveLength(2)
    expect(table.find('tbody td').text()).toBe('benign/m00.png')
    expect(w.find('[data-testid=columns-missing]').text()).toMatch(/Choose the file and label columns/)
    await w.find('select[data-role=file]').setValue('Image File')
    await w.find('select[data-role=label]').setValue('BI-RADS class')
    await w.find('select[data-role=patient]').setValue('Case')
    expect(w.find('[data-testid=columns-missing]').exists()).toBe(false)
    await w.find('form').trigger('submit')
    await flush()
    const input = f.calls.find((c) => c.method === 'datasets.import')!.input
    expect(input).toMatchObject({ kind: 'mammogram', path: '/data/mammo', columns: { file: 'Image File', label: 'BI-RADS class', patient: 'Case' } })
  })

  it('preselects recognised columns and sends them with the import', async () => {
    const { f, w } = await openWizard({ 'datasets.previewTable': () => ({ ...preview, columns: ['relpath', 'finding'], rows: [['a.png', 'x']], guess: { file: 'relpath', label: 'finding', patient: null } }), 'datasets.import': () => ({ id: 'ds-1', name: 'm' }) })
    await w.find('select').setValue('mammogram')
    await w.find('input[placeholder="/path/to/images"]').setValue('/data/m2')
    await w.find('[data-testid=read-table]').trigger('click')
    await flush()
    expect((w.find('select[data-role=file]').element as HTMLSelectElement).value).toBe('relpath')
    expect((w.find('select[data-role=label]').element as HTMLSelectElement).value).toBe('finding')
    await w.find('form').trigger('submit')
    await flush()
    expect(f.calls.find((c) => c.method === 'datasets.import')!.input.columns).toEqual({ file: 'relpath', label: 'finding' })
  })

  it('browses the allowed folders in the browser and fills in the chosen one', async () => {
    const listings: Record<string, unknown> = {
      '': { path: null, parent: null, folders: [{ name: '/srv/data', path: '/srv/data' }], files: 0, images: 0, hidden: 0, truncated: false },
      '/srv/data': { path: '/srv/data', parent: null, folders: [{ name: 'mias', path: '/srv/data/mias' }], files: 0, images: 0, hidden: 1, truncated: false },
      '/srv/data/mias': { path: '/srv/data/mias', parent: '/srv/data', folders: [], files: 3, images: 2, hidden: 0, truncated: false },
    }
    const { f, w } = await openWizard({ 'folders.list': (i) => listings[(i.path as string | null) ?? ''] })
    await w.find('[data-testid=choose-folder]').trigger('click')
    await flush()
    await w.find('button[data-path="/srv/data"]').trigger('click')
    await flush()
    expect(w.find('[data-testid=folder-chooser]').text()).toContain('1 link(s) to outside the allowed folders not shown')
    await w.find('button[data-path="/srv/data/mias"]').trigger('click')
    await flush()
    expect(w.find('[data-testid=folder-chooser]').text()).toContain('2 images, 3 files here')
    await w.find('[data-testid=folder-use]').trigger('click')
    await flush()
    expect((w.find('input[placeholder="/path/to/images"]').element as HTMLInputElement).value).toBe('/srv/data/mias')
    expect(w.find('[data-testid=folder-chooser]').exists()).toBe(false)
    expect(f.calls.filter((c) => c.method === 'folders.list').map((c) => c.input.path)).toEqual([null, '/srv/data', '/srv/data/mias'])
  })

  it('shows how the images went to 8 bits and the DICOM transfer syntaxes in the import report', async () => {
    const ds = { id: 'ds-1', name: 'films', kind: 'mammogram', source: '/s', dir: '/d', status: 'ready', n: 3, height: 32, width: 32, channels: 1, labelNames: ['mammogram'], multiLabel: false, splits: { train: 2, val: 1, test: 0 }, error: null, createdAt: '' }
    const report = { considered: 3, imported: 3, skippedCount: 0, splits: { train: 2, val: 1, test: 0, total: 3 }, perLabel: {}, targets: null, patients: null, skipped: [], skippedByReason: {}, warnings: [], splitSource: 'seeded', resize: { policy: 'crop-foreground', size: 32, channels: 1, lateralityFlip: false }, seconds: 1, resumed: false, decoding: { windows: { percentile: 2, 'dicom-window': 1 }, transferSyntaxes: { '1.2.840.10008.1.2.4.90': 3 } } }
    const f = fakeLab({ 'datasets.list': () => [ds], 'datasets.report': () => report })
    setLab(f.api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    await w.findAll('button').find((b) => b.text() === 'Report')!.trigger('click')
    await flush()
    expect(w.find('[data-testid=report-windows]').text()).toBe('To 8 bits: percentile 2, dicom-window 1.')
    expect(w.find('[data-testid=report-syntaxes]').text()).toBe('DICOM transfer syntaxes: 1.2.840.10008.1.2.4.90 (3).')
  })
})
