// The app offers a study's export and import (StudyTransfer, in the Runs view): in a browser the
// path is typed; the calls are studies.export / studies.import, and what they did is said.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import StudyTransfer from '../../src-renderer/components/StudyTransfer.vue'
import { fakeLab, flush } from './fake-lab.ts'

describe('StudyTransfer', () => {
  it('exports the chosen study to the typed folder and imports a typed file', async () => {
    const lab = fakeLab({
      'studies.export': (input) => ({ file: (input as { file: string }).file, runs: 4, files: 9, bytes: 2.5e6 }),
      'studies.import': () => ({ id: 'st-00000002', name: 'tiny', created: 4, reused: 0, files: 9, datasetNotes: ['dataset "demo-chest" is not imported here'] }),
      'studies.list': () => [],
    })
    setLab(lab.api)
    const w = mount(StudyTransfer, { props: { studyId: 'st-00000001', studyName: 'tiny' }, global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await w.find('[data-testid=transfer-path]').setValue('/shared/out/')
    await w.find('[data-testid=study-export]').trigger('click')
    await flush()
    expect(lab.calls.find((c) => c.method === 'studies.export')?.input).toEqual({ id: 'st-00000001', file: '/shared/out/tiny.xlabstudy.gz', weights: false })
    expect(w.find('[role=status]').text()).toBe('Exported to /shared/out/tiny.xlabstudy.gz: 4 run(s), 9 file(s), 2.5 MB.')

    await w.find('[data-testid=transfer-path]').setValue('/shared/in/tiny.xlabstudy.gz')
    await w.find('[data-testid=study-import]').trigger('click')
    await flush()
    expect(lab.calls.find((c) => c.method === 'studies.import')?.input).toEqual({ file: '/shared/in/tiny.xlabstudy.gz' })
    expect(w.find('[role=status]').text()).toBe('Imported study tiny: 4 run(s) added, 0 already here. Note: dataset "demo-chest" is not imported here.')
  })

  it('offers no export without a chosen study', () => {
    setLab(fakeLab({}).api)
    const w = mount(StudyTransfer, { props: { studyId: null, studyName: null }, global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    expect(w.find('[data-testid=study-export]').attributes('disabled')).toBeDefined()
  })
})
