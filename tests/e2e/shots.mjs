#!/usr/bin/env node
// Screenshots of every view over an existing data root (a finished study such as the demo's), at
// 1440x900 and 1024x700 in both themes (Results: the summary and every tab):
// `node tests/e2e/shots.mjs --data DIR [--out DIR]`.
// The data root is served read-mostly: the queue starts, but a finished study has nothing to run.
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const data = arg('data')
const out = arg('out', join(root, 'test-output', 'demo-shots'))
if (!data) {
  console.error('usage: node tests/e2e/shots.mjs --data DIR [--out DIR]')
  process.exit(2)
}
mkdirSync(out, { recursive: true })

const serve = spawn(process.execPath, [join(root, 'bin', 'xlab.mjs'), 'serve', '--port', '0', '--data', data], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve, reject) => {
  let text = ''
  serve.stdout.on('data', (d) => {
    text += d
    const m = text.match(/Open (http:\/\/\S+)/)
    if (m) resolve(m[1])
  })
  serve.once('exit', (code) => reject(new Error(`xlab serve exited with ${code}`)))
})
const browser = await chromium.launch({ executablePath: process.env.XLAB_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true })
const page = await browser.newPage()
const errors = []
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
page.on('pageerror', (e) => errors.push(String(e)))
const go = async (view) => {
  await page.click(`[data-nav="${view}"]`)
  await page.waitForSelector(`#${view}-h`)
}
const written = []
try {
  for (const size of [{ width: 1440, height: 900 }, { width: 1024, height: 700 }]) {
    await page.setViewportSize(size)
    for (const theme of ['light', 'dark']) {
      const tag = `${size.width}x${size.height}-${theme}`
      const shot = async (name) => {
        const path = join(out, `${tag}-${name}.png`)
        await page.screenshot({ path, fullPage: true })
        written.push(path)
      }
      await page.goto(`${url}#/datasets`)
      await page.evaluate((t) => localStorage.setItem('xlab-theme', t), theme)
      await page.reload()
      await page.waitForSelector('#datasets-h')
      await page.waitForTimeout(1000)
      await shot('datasets')
      await go('builder')
      // The plan can take a while on a busy machine: the shot is taken either way.
      await page.waitForSelector('[data-testid=run-count]', { timeout: 60_000 }).catch(() => console.error('builder: no run count after 60 s'))
      await shot('builder')
      await go('runs')
      const studies = page.getByTestId('runs-study')
      await studies.selectOption({ index: 1 })
      await page.getByTestId('study-progress').waitFor()
      await page.locator('[data-testid=run-queue] tr[data-state] button.link', { hasText: /^(binary-finetune|rotation@)/ }).first().click()
      await page.waitForSelector('[data-testid=run-detail] [data-series]', { timeout: 60_000 })
      await shot('runs-detail')
      await go('results')
      // The summary (default tab), then each tab of the details.
      await page.waitForSelector('[data-testid=results-summary] [data-testid=summary-sentences] li', { timeout: 300_000 })
      await page.waitForTimeout(500)
      await shot('results-summary')
      for (const t of ['overview', 'h1', 'h2', 'baselines', 'efficiency', 'calibration', 'runs']) {
        await page.click(`[data-tab=${t}]`)
        await page.waitForSelector(`[role=tabpanel][data-panel=${t}]`)
        await page.waitForTimeout(400)
        await shot(`results-${t}`)
      }
      // One run's error gallery, opened from its detail.
      if ((await page.locator('[data-testid=open-gallery]').count()) === 0) await page.locator('[role=row][tabindex="0"]').first().click()
      if ((await page.getByTestId('gallery').count()) === 0) await page.locator('[data-testid=open-gallery]').first().click()
      await page.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 60_000 })
      await shot('results-gallery')
      await go('compare')
      if ((await page.locator('[data-testid=compare-table]').count()) === 0) {
        await page.getByTestId('compare-search').fill('binary linear rotation mammo')
        const adds = page.locator('[data-testid=compare-matches] button')
        await adds.first().click()
        await adds.first().click()
      }
      await page.waitForFunction(() => document.querySelectorAll('.side-by-side [data-testid=confusion]').length >= 2, null, { timeout: 60_000 })
      if (await page.getByTestId('compare-paired').count()) await page.locator('[data-testid=mcnemar]').first().waitFor({ timeout: 120_000 })
      if ((await page.getByTestId('pair-gallery').count()) === 0 && (await page.getByTestId('open-pair').isEnabled())) await page.getByTestId('open-pair').click()
      await shot('compare')
    }
  }
} finally {
  await browser.close()
  serve.kill('SIGTERM')
}
console.log(written.join('\n'))
console.log(errors.length ? `console errors:\n${errors.join('\n')}` : 'no console errors')
process.exit(errors.length ? 1 : 0)
