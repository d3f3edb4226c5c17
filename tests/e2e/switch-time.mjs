#!/usr/bin/env node
// How long Results takes to switch to once its data is there: from a click on "Results" (after a fresh
// load on Datasets; the service has the study's analysis cached from an earlier visit) until the
// first content of Results is drawn, with the longest main-thread task in between and the DOM size.
//   node tests/e2e/switch-time.mjs --data DIR [--selector CSS] [--n 5]
// The selector defaults to the summary of this build; the build before the summary drew the overview
// first ('[data-testid=overview] [data-testid=interval]').
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const data = arg('data')
const selector = arg('selector', '[data-testid=results-summary] [data-testid=summary-sentences] li')
const n = Number(arg('n', '5'))
if (!data) {
  console.error('usage: node tests/e2e/switch-time.mjs --data DIR [--selector CSS] [--n 5]')
  process.exit(2)
}
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
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
const times = []
try {
  // Warm the service's analysis cache (the "data is there" condition).
  await page.goto(`${url}#/results`)
  await page.waitForSelector(selector, { timeout: 600_000 })
  for (let i = 0; i < n; i++) {
    await page.goto(`${url}#/datasets`)
    await page.reload()
    await page.waitForSelector('#datasets-h')
    // The user reads Datasets first; by then the other views' chunks are fetched in the background.
    await page.waitForTimeout(2500)
    await page.evaluate(() => {
      window.__long = 0
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__long = Math.max(window.__long, e.duration)
      }).observe({ type: 'longtask', buffered: false })
    })
    const t0 = Date.now()
    await page.click('[data-nav="results"]')
    await page.waitForSelector(selector, { timeout: 120_000 })
    // Two frames later: what the user sees is painted.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    const ms = Date.now() - t0
    const { nodes, longest } = await page.evaluate(() => ({ nodes: document.getElementsByTagName('*').length, longest: window.__long }))
    times.push(ms)
    console.log(`switch ${i + 1}: ${ms} ms to "${selector}", longest task ${Math.round(longest)} ms, ${nodes} DOM nodes`)
  }
  const sorted = [...times].sort((a, b) => a - b)
  console.log(`median ${sorted[Math.floor(sorted.length / 2)]} ms over ${n} switches (min ${sorted[0]}, max ${sorted.at(-1)})`)
} finally {
  await browser.close()
  serve.kill('SIGTERM')
}
