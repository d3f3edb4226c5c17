// The Storage view warns when the data root's disk has less free space than the lab's threshold
// (storage.usage's `disk`, the same threshold as `xlab doctor`'s), and says nothing otherwise.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import StorageView from '../../src-renderer/views/StorageView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const usage = (warning: string | null) => ({
  runsDir: '/lab/runs',
  totalBytes: 1e9,
  kept: { weightsBytes: 0, encoderBytes: 0, otherBytes: 0, activeBytes: 0 },
  olderThanDays: 7,
  categories: [],
  disk: { freeBytes: warning ? 2e9 : 900e9, lowBelowBytes: 20e9, warning },
})

describe('Storage view, low disk', () => {
  it('shows the warning as an alert when the disk is low, and none otherwise', async () => {
    for (const warning of ['The disk holding /lab has 2.0 GB free, less than 20 GB: ...', null]) {
      setLab(fakeLab({ 'storage.usage': () => usage(warning) }).api)
      const w = mount(StorageView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
      await flush()
      const alert = w.find('[role=alert]')
      if (warning) expect(alert.text()).toBe(warning)
      else expect(alert.exists()).toBe(false)
      w.unmount()
    }
  })
})
