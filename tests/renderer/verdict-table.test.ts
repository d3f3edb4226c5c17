// The Results view's table of every verdict: each pre-declared rule with its estimate, interval,
// raw and corrected p and outcome (the beats-scratch verdict included), sortable by any column.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import SortableTable from '../../src-renderer/components/SortableTable.vue'
import { verdictColumns, type Verdict } from '../../src-renderer/composables/verdict-columns.ts'

const verdicts: Verdict[] = [
  { rule: 'beats-scratch', scope: 'binary', outcome: 'claimed', sentence: 'Pretraining beats scratch (binary)', estimate: 0.138, lo: 0.068, hi: 0.216, p: 0.0004, pAdjusted: 0.0008, family: 2 },
  { rule: 'h1-overall', scope: 'study', outcome: 'no evidence', sentence: 'H1 overall: no evidence either way', estimate: null, lo: null, hi: null, p: 0.045, pAdjusted: 0.135, family: 3 },
  { rule: 'h2-fusion', scope: 'binary linear rotation/demo-mammo + structure/demo-mammo', outcome: 'claimed', sentence: 'Fusion better', estimate: 0.079, lo: 0.04, hi: 0.115, p: 0.001, pAdjusted: 0.008, family: 8 },
  // The case: a significant loss to random-init. "claimed" only says the test survived Holm.
  { rule: 'beats-random-init', scope: '3class linear rotation/demo-natural', outcome: 'claimed', sentence: 'rotation/demo-natural loses to random-init', estimate: -0.092, lo: -0.155, hi: -0.027, p: 0.001, pAdjusted: 0.004, family: 9 },
]

describe('verdict table', () => {
  it('shows each verdict with its number, interval, corrected p and outcome, and sorts by corrected p', async () => {
    const w = mount(SortableTable<Verdict>, { props: { rows: verdicts, columns: verdictColumns, label: 'Every verdict of the study', rowKey: (v: Verdict) => `${v.rule}|${v.scope}` } })
    const rows = () => w.findAll('tbody tr').map((tr) => Object.fromEntries(tr.findAll('td').map((td) => [td.attributes('data-col'), td.text()])))
    const scratch = rows().find((r) => r.rule === 'Pretraining beats scratch')!
    expect(scratch).toMatchObject({ scope: 'binary', estimate: '0.138', interval: '[0.068, 0.216]', p: '<0.001', pAdjusted: '<0.001', family: '2', outcome: 'better (+0.138)' })
    const overall = rows().find((r) => r.rule === 'H1 overall')!
    expect(overall).toMatchObject({ estimate: '—', interval: '[–, –]', pAdjusted: '0.135', outcome: 'no evidence (—)' })
    // A significant negative estimate reads "worse" with its sign, never a positive word.
    const loss = rows().find((r) => r.rule === 'A pretext encoder beats random-init')!
    expect(loss.outcome).toBe('worse (−0.092)')
    for (const r of rows()) if (r.estimate.startsWith('-')) expect(r.outcome).not.toMatch(/better|claimed|beats|wins/)
    const pAdj = w.findAll('thead button').find((b) => b.text().startsWith('p (corrected)'))!
    await pAdj.trigger('click')
    expect(rows().map((r) => r.pAdjusted)).toEqual(['<0.001', '0.004', '0.008', '0.135'])
    await pAdj.trigger('click')
    expect(rows().map((r) => r.pAdjusted)).toEqual(['0.135', '0.008', '0.004', '<0.001'])
  })
})

describe('difference cells with one seed', () => {
  it('say "not testable, 1 seed" with the signed estimate, never better or worse', async () => {
    const { differenceText } = await import('../../src-renderer/composables/verdict-words.ts')
    const { randomInitColumns } = await import('../../src-renderer/composables/baseline-columns.ts')
    // The test-sampling interval alone lies above 0 and survives Holm, but with one seed the training noise is unmeasured.
    const oneSeed = { encoder: 'rotation/demo-mammo', target: 'binary', protocol: 'linear', seeds: [0], difference: { estimate: 0.05, lo: 0.01, hi: 0.09, verdict: 'better' as const, p: 0.001 }, pHolm: 0.004 }
    const verdict = randomInitColumns.find((c) => c.key === 'verdict')!
    expect(verdict.value(oneSeed as never)).toBe('not testable, 1 seed (+0.050)')
    expect(verdict.value({ ...oneSeed, seeds: [0, 1, 2] } as never)).toBe('better (+0.050)')
    expect(differenceText('worse', -0.09, true, 1)).toBe('not testable, 1 seed (−0.090)')
  })
})
