#!/usr/bin/env node
// Screenshots of study reports in Debian's Chromium, for a person to compare (e.g. a report
// before and after a change): the top of the page (summary) and the whole page.
//   node scripts/report-screenshots.mjs NAME=path/to/index.html [NAME=...] [--out test-output/report]
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

const args = process.argv.slice(2)
const outFlag = args.indexOf('--out')
const out = resolve(outFlag >= 0 ? args[outFlag + 1] : 'test-output/report')
const pages = args.filter((a, i) => a.includes('=') && i !== outFlag + 1).map((a) => a.split('='))
if (!pages.length) {
  process.stderr.write('usage: node scripts/report-screenshots.mjs NAME=path/to/index.html [...] [--out DIR]\n')
  process.exit(2)
}
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
mkdirSync(out, { recursive: true })
const browser = await chromium.launch({ executablePath: process.env.XLAB_CHROMIUM ?? '/usr/bin/chromium', args: FLAGS })
try {
  for (const [name, file] of pages) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
    await page.goto(pathToFileURL(resolve(file)).href)
    await page.screenshot({ path: join(out, `${name}-summary.png`) })
    await page.screenshot({ path: join(out, `${name}-full.png`), fullPage: true })
    for (const id of ['results', 'h1']) {
      if (await page.locator(`#${id}`).count()) {
        await page.evaluate(`document.getElementById(${JSON.stringify(id)}).scrollIntoView()`)
        await page.screenshot({ path: join(out, `${name}-${id}.png`) })
      }
    }
    process.stdout.write(`${name}: ${join(out, `${name}-summary.png`)}, ${name}-full.png, ${name}-results.png, ${name}-h1.png\n`)
    await page.close()
  }
} finally {
  await browser.close()
}
