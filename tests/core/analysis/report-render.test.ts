// Renders the report of a demo-like study (the demo preset's full matrix, synthetic results) in
// Debian's Chromium through playwright-core, checks it is static and complete, and saves screenshots
// under test-output/report/ for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeStudyReport } from '../../../src-core/analysis/report/write-report.ts'
import { makeDatasetResolver } from '../../../src-core/runner/dataset-lookup.ts'
import { openDatabase } from '../../../src-core/store/db.ts'
import { findStudy } from '../../../src-core/store/results.ts'
import { datasetDirResolver } from '../../../src-core/service/results.ts'
import { buildFixtureStudy, type FixtureStudy } from './fixture-study.ts'

const executablePath = process.env.XLAB_CHROMIUM ?? '/usr/bin/chromium'
const OUT = resolve('test-output/report')
// The real demo study, when `npm run demo` has run (its default data root, or XLAB_DEMO_DATA).
const DEMO_DATA = resolve(process.env.XLAB_DEMO_DATA ?? '.xlab-data')
const demoDb = join(DEMO_DATA, 'lab.sqlite')
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let root: string
let fx: FixtureStudy
let browser: Browser
let reportDir: string

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`Chromium is not at ${executablePath}: install it (apt-get install -y chromium) or set XLAB_CHROMIUM.`)
  root = mkdtempSync(join(tmpdir(), 'xlab-report-'))
  fx = await buildFixtureStudy(root, { seeds: [0], full: true })
  reportDir = join(root, 'report')
  writeStudyReport(fx.service.ctx.db, fx.studyId, reportDir, { resolveDataset: await datasetDirResolver(fx.service.ctx), bootstrap: { replicates: 300, seed: 1, level: 0.95 } })
  mkdirSync(OUT, { recursive: true })
  browser = await chromium.launch({ executablePath, args: FLAGS })
})

afterAll(async () => {
  await browser?.close()
  await fx?.service.close()
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('the study report in Chromium', () => {
  it('renders every section from disk without scripts or network, and is screenshotted', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    const requests: string[] = []
    const problems: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(e.message))
    const url = pathToFileURL(join(reportDir, 'index.html')).href
    await page.goto(url)

    expect(problems).toEqual([])
    expect(requests).toEqual([url]) // self-contained: nothing but the page itself is fetched
    expect(await page.locator('script').count()).toBe(0)
    expect(await page.locator('h1').innerText()).toContain('fixture-study')
    for (const id of ['summary', 'method', 'samples', 'results', 'h1', 'h2', 'runs', 'config', 'env']) await expect(page.locator(`#${id}`).isVisible()).resolves.toBe(true)

    // Charts: heatmaps per target x protocol, bars with CIs, H2 bars, similarity, invariance, confusion + ROC.
    const svgs = page.locator('svg.chart')
    expect(await svgs.count()).toBeGreaterThan(15)
    const box = await page.locator('#h2 + p + svg').boundingBox()
    expect(box!.width).toBeGreaterThan(300)
    expect(await page.locator('svg[aria-label^="ROC curves"] polyline').count()).toBeGreaterThan(0)
    expect(await page.locator('svg[aria-label^="Confusion matrix"] rect').count()).toBeGreaterThanOrEqual(4)
    expect(await page.locator('text=no evidence').count()).toBeGreaterThan(0)
    expect(await page.locator('#summary + .box ol.verdicts li').count()).toBeGreaterThan(2)
    // The method section states every rule; sample sizes are shown per class.
    expect(await page.locator('#method + p + table tr').count()).toBe(8)
    await expect(page.locator('text=Images per class').isVisible()).resolves.toBe(true)
    // No bar or whisker of an interval chart starts left of its plot area (over the row labels).
    const overdraw = await page.evaluate(`[...document.querySelectorAll('svg.chart')].filter((svg) => svg.getAttribute('aria-label').includes('CI')).flatMap((svg) => {
      const labels = [...svg.querySelectorAll('text[text-anchor="end"]')].map((t) => Number(t.getAttribute('x')))
      const left = Math.max(...labels) + 6
      return [...svg.querySelectorAll('rect, line')].filter((el) => Number(el.getAttribute('x') ?? el.getAttribute('x1')) < left - 0.5).map(() => svg.getAttribute('aria-label'))
    })`)
    expect(overdraw).toEqual([])
    await expect(page.locator('text=cannot be separated from error').first().isVisible()).resolves.toBe(true)

    await page.screenshot({ path: join(OUT, 'report-full.png'), fullPage: true })
    await page.setViewportSize({ width: 1200, height: 1000 })
    for (const id of ['summary', 'results', 'h1', 'h2', 'runs', 'env']) {
      await page.evaluate(`document.getElementById(${JSON.stringify(id)}).scrollIntoView()`)
      await page.screenshot({ path: join(OUT, `report-${id}.png`) })
    }
    expect(existsSync(join(OUT, 'report-full.png'))).toBe(true)
    await page.close()
  })

  it('shows in a sandboxed iframe (as the app does) with scripts disallowed', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
    const html = readFileSync(join(reportDir, 'index.html'), 'utf8')
    await page.setContent(`<iframe sandbox="" style="width:1150px;height:760px;border:0" srcdoc="${html.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>`)
    const frame = page.frameLocator('iframe')
    await expect(frame.locator('h1').innerText()).resolves.toContain('Study report')
    await page.screenshot({ path: join(OUT, 'report-in-sandboxed-iframe.png') })
    await page.close()
  })

  it.skipIf(!existsSync(demoDb))('renders the report of the real demo study (after npm run demo)', async () => {
    const db = openDatabase(demoDb)
    try {
      const study = findStudy(db, 'demo')
      expect(study, `no study "demo" in ${demoDb}`).not.toBeNull()
      const resolver = await makeDatasetResolver(db, join(DEMO_DATA, 'datasets'))
      const out = join(OUT, 'demo')
      const r = writeStudyReport(db, study!.id, out, { resolveDataset: (n) => resolver(n)?.dir ?? null })
      expect(r.analysis.runs.length).toBeGreaterThan(0)
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
      await page.goto(pathToFileURL(join(out, 'index.html')).href)
      expect(await page.locator('script').count()).toBe(0)
      expect(await page.locator('svg.chart').count()).toBeGreaterThan(3)
      await page.screenshot({ path: join(OUT, 'demo-report-full.png'), fullPage: true })
      for (const id of ['summary', 'h1', 'h2']) {
        await page.evaluate(`document.getElementById(${JSON.stringify(id)}).scrollIntoView()`)
        await page.screenshot({ path: join(OUT, `demo-report-${id}.png`) })
      }
      await page.close()
    } finally {
      db.close()
    }
  })
})
