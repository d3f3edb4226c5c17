// The runs table's pure parts: filter, sort, virtual window, CSV.
import { describe, expect, it } from 'vitest'
import { filterAndSort, toCsv, visibleWindow, type Column } from '../../src-renderer/composables/runs-table.ts'

type R = { name: string; auc: number | null }
const cols: Column<R>[] = [
  { key: 'name', label: 'Name', value: (r) => r.name },
  { key: 'auc', label: 'AUC', value: (r) => r.auc },
]
const rows: R[] = [
  { name: 'rotation mammo', auc: 0.7 },
  { name: 'inpainting mammo', auc: null },
  { name: 'rotation brain', auc: 0.9 },
]

describe('runs table', () => {
  it('keeps rows matching every word, case-insensitively', () => {
    expect(filterAndSort(rows, cols, 'ROTATION', null).map((r) => r.name)).toEqual(['rotation mammo', 'rotation brain'])
    expect(filterAndSort(rows, cols, 'rotation  mammo', null).map((r) => r.name)).toEqual(['rotation mammo'])
    expect(filterAndSort(rows, cols, '0.9', null).map((r) => r.name)).toEqual(['rotation brain'])
    expect(filterAndSort(rows, cols, 'xyz', null)).toEqual([])
  })

  it('sorts numbers numerically both ways with missing values last', () => {
    expect(filterAndSort(rows, cols, '', { key: 'auc', asc: true }).map((r) => r.auc)).toEqual([0.7, 0.9, null])
    expect(filterAndSort(rows, cols, '', { key: 'auc', asc: false }).map((r) => r.auc)).toEqual([0.9, 0.7, null])
    expect(filterAndSort(rows, cols, '', { key: 'name', asc: true }).map((r) => r.name)[0]).toBe('inpainting mammo')
  })

  it('does not change the input array', () => {
    const copy = rows.slice()
    filterAndSort(rows, cols, '', { key: 'auc', asc: false })
    expect(rows).toEqual(copy)
  })

  it('draws only the rows in view plus overscan', () => {
    expect(visibleWindow(1000, 0, 420, 28)).toEqual({ start: 0, end: 23 })
    expect(visibleWindow(1000, 28 * 500, 420, 28)).toEqual({ start: 492, end: 523 })
    expect(visibleWindow(10, 0, 420, 28)).toEqual({ start: 0, end: 10 })
  })

  it('writes CSV with quoting', () => {
    const csv = toCsv([{ name: 'a, "b"', auc: 0.5 }, { name: 'c', auc: null }], cols)
    expect(csv).toBe('name,auc\r\n"a, ""b""",0.5\r\nc,\r\n')
  })
})
