#!/usr/bin/env node
// End-to-end test of the app in Debian's Chromium against the real lab service under `xlab serve`:
// demo datasets generated from the UI, a tiny study built and started in the builder, a run
// watched while it trains, results checked against lab.sqlite, the token and the PathGuard
// checked from outside. Screenshots of every view go to test-output/e2e/. Prints "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { chromium } from 'playwright-core'
import sharp from 'sharp'
import { WebSocket } from 'ws'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const shots = join(root, 'test-output', 'e2e')
const CHROMIUM = process.env.XLAB_CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const STUDY_TIMEOUT_MS = Number(process.env.XLAB_E2E_STUDY_TIMEOUT_MS ?? 600_000)
/** The tiny study: rotation on demo-mammo, 2 seeds; binary and 3-class linear, on all labels and on
 *  a quarter of them (label efficiency): 2 pretext + 2 extract + 4 + 4 downstream. */
const STUDY_RUNS = 12
/** The labelled fraction below 1 of the tiny study. */
const FRACTION = 0.25
/** SQL condition: a downstream run on all labels (its spec has no label_fraction). */
const ALL_LABELS = "spec_json NOT LIKE '%label_fraction%'"
// The builder's random-init baseline is unticked for the tiny study (it would add 2 extract + 4
// linear runs); the queries below still pick the pretext encoder's runs by name or by pretext.
/** Window sizes of the screenshot and accessibility pass. */
const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }]

let passed = 0
let failed = 0
/** The page, for a screenshot of what a failed check saw. */
let currentPage = null
const log = (m) => process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 19)}] ${m}\n`)

/** Runs one named check; a failure is counted and reported, and the next checks still run. */
async function check(name, fn) {
  const t0 = Date.now()
  try {
    await fn()
    passed++
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    return true
  } catch (err) {
    failed++
    log(`FAIL ${name}: ${err?.stack ?? err}`)
    await currentPage?.screenshot({ path: join(shots, `FAILED-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {})
    return false
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

function newestMtime(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return t
}

/** Builds the app when out/renderer is missing or older than its sources. */
function buildIfNeeded() {
  const index = join(root, 'out', 'renderer', 'index.html')
  const sourcesTime = Math.max(newestMtime(join(root, 'src-renderer')), newestMtime(join(root, 'src-preload')))
  if (existsSync(index) && statSync(index).mtimeMs >= sourcesTime) return
  log('building the app (out/renderer is missing or stale)')
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })
  if (r.status !== 0) throw new Error('npm run build failed; the e2e test needs the built renderer')
}

/** Starts `xlab serve` on a free port and resolves with its printed URL. */
function startServe(dataRoot, allowDir) {
  const child = spawn(process.execPath, [join(root, 'bin', 'xlab.mjs'), 'serve', '--port', '0', '--data', dataRoot, '--allow', allowDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
    if (process.env.XLAB_E2E_VERBOSE) process.stderr.write(d)
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`xlab serve printed no URL in 60 s:\n${stderr}`)), 60_000)
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/Open (http:\/\/\S+)/)
      if (m) {
        clearTimeout(timer)
        resolve({ child, url: m[1], stderr: () => stderr })
      }
    })
    child.once('exit', (code) => reject(new Error(`xlab serve exited with ${code}:\n${stderr}`)))
  })
}

function socketRefused(url, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => {
      ws.close()
      resolve(null)
    })
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode))
    ws.once('error', () => resolve(-1))
  })
}

/** A small ImageFolder (2 classes x 12 PNGs) with one damaged file the import must skip. */
async function writeImageFolder(dir) {
  for (const [label, base] of [['dark', 60], ['bright', 190]]) {
    const sub = join(dir, label)
    mkdirSync(sub, { recursive: true })
    for (let i = 0; i < 12; i++) {
      const v = base + ((i * 7) % 40)
      await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: v, g: v, b: v } } }).png().toFile(join(sub, `img-${i}.png`))
    }
  }
  writeFileSync(join(dir, 'bright', 'damaged.png'), 'this is not a PNG')
}

/** Picks the two binary runs on all labels (seeds 0 and 1) in Compare through its search. */
async function pickTwo(page) {
  await page.getByTestId('compare-search').fill('binary-linear-rotation')
  const adds = page.locator('[data-testid=compare-matches] button')
  await adds.first().waitFor({ timeout: 30_000 })
  const names = (await adds.allInnerTexts()).map((t) => t.replace(/^\+ /, ''))
  const allLabels = names.filter((n) => !/-f0\./.test(n))
  assert(names.length === 4 && allLabels.length === 2, `expected 4 binary runs (2 on all labels) to pick, found ${names.join(', ')}`)
  for (const n of allLabels) await page.locator('[data-testid=compare-matches] button', { hasText: new RegExp(`^\\+ ${n}$`) }).click()
}

/**
 * What the error gallery must show, computed here from the run's own test_predictions.json (not
 * from the API under test): predicted class = argmax, its probability, right or wrong; `errors`
 * most confident first (ties in file order).
 */
function expectedGallery(pred, { filter, order }) {
  const rows = pred.probs.map((p, row) => {
    let k = 0
    for (let c = 1; c < p.length; c++) if (p[c] > p[k]) k = c
    return { row, index: pred.indices[row], trueClass: pred.targets[row], predicted: k, probability: p[k] }
  })
  const kept = rows.filter((r) => (filter === 'errors' ? r.predicted !== r.trueClass : true))
  if (order === 'most-confident') kept.sort((a, b) => b.probability - a.probability || a.row - b.row)
  if (order === 'least-confident') kept.sort((a, b) => a.probability - b.probability || a.row - b.row)
  return { all: rows, shown: kept }
}

/**
 * ROC-AUC of a predictions file as scikit-learn computes it (binary: the positive class; more
 * classes: one-vs-rest macro), with ties counted as half, and the range it spans when the tied
 * pairs are all lost or all won. The file keeps the worker's probabilities at full precision (files of
 * older runs rounded them to 6 decimals, which tied some scores): the reported AUC lies in that range.
 */
function aucOfPredictions(pred) {
  const classes = pred.class_names.length === 2 ? [1] : pred.class_names.map((_, c) => c)
  const per = classes.map((c) => {
    const pos = []
    const neg = []
    pred.probs.forEach((p, i) => (pred.targets[i] === c ? pos : neg).push(p[c]))
    let win = 0
    let tie = 0
    for (const a of pos) {
      for (const b of neg) {
        if (a > b) win++
        else if (a === b) tie++
      }
    }
    const pairs = pos.length * neg.length
    return { mid: (win + tie / 2) / pairs, lo: win / pairs, hi: (win + tie) / pairs }
  })
  const mean = (k) => per.reduce((a, x) => a + x[k], 0) / per.length
  return { mid: mean('mid'), lo: mean('lo'), hi: mean('hi') }
}

/** The gallery tiles on the page as data. */
async function galleryTiles(page, selector = '[data-testid=gallery-item]') {
  return page.locator(selector).evaluateAll((els) => els.map((e) => ({ index: Number(e.dataset.index), trueName: e.dataset.true, predictedName: e.dataset.predicted, probability: Number(e.dataset.probability), patient: e.dataset.patient, image: e.dataset.image, hasImage: !!e.querySelector('img[src^="data:image/png"]') })))
}

/** Serious or critical axe-core violations on the page (the report iframe is its own document). */
async function axeViolations(page) {
  await page.addScriptTag({ path: join(root, 'node_modules', 'axe-core', 'axe.min.js') })
  const result = await page.evaluate(() => window.axe.run(document, { iframes: false, resultTypes: ['violations'] }))
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`)
}

/** The Results tabs screenshot and scanned in the views pass. */
const RESULT_TABS = ['summary', 'overview', 'h1', 'h2', 'baselines', 'efficiency', 'calibration', 'runs']

/**
 * Results at one size and theme: the summary is above the fold on opening; the default tab is at most
 * three screens tall; no verdict puts a positive word beside a negative estimate (in any tab); every
 * overview panel has the random-init, scratch and chance rows; each tab screenshot and scanned.
 */
async function resultsChecks(page, tag, size, scan) {
  const summary = page.getByTestId('results-summary')
  await summary.waitFor({ timeout: 120_000 })
  await page.locator('[data-testid=summary-sentences] li').first().waitFor()
  const top = await summary.evaluate((e) => e.getBoundingClientRect().top)
  assert(top < size.height * 0.6, `the summary starts ${Math.round(top)} px down a ${size.height} px window: not above the fold`)
  const tall = await page.evaluate(() => document.querySelector('main').scrollHeight)
  assert(tall <= 3 * size.height, `the Results default tab is ${tall} px tall, more than three ${size.height} px screens`)
  log(`${tag} results summary at ${Math.round(top)} px, default tab ${tall} px (${(tall / size.height).toFixed(2)} screens)`)
  for (const t of RESULT_TABS) {
    await page.click(`[data-tab=${t}]`)
    await page.locator(`[role=tabpanel][data-panel=${t}]`).waitFor()
    if (t === 'overview') {
      await page.locator('[data-testid=overview] [data-testid=interval]').first().waitFor({ timeout: 60_000 })
      const refs = await page.locator('[data-testid=overview] .overview-panel').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-panel'), [...p.querySelectorAll('[data-reference]')].map((r) => r.getAttribute('data-reference'))]))
      assert(refs.length > 0, 'no overview panel')
      for (const [panel, rows] of refs) assert(['random-init', 'scratch', 'chance'].every((k) => rows.includes(k)), `overview panel ${panel} has reference rows ${rows.join(', ')}`)
    }
    // Every verdict cell: a negative estimate never sits beside a positive word.
    const cells = await page.locator('td[data-col=verdict], td[data-col=outcome]').allInnerTexts()
    const wrong = cells.filter((c) => /\(−/.test(c) && /better|claimed|beats|wins|success/i.test(c.replace(/^(fusion|ensemble) better/, '')))
    assert(wrong.length === 0, `verdicts with a positive word beside a negative estimate in ${t}: ${wrong.join(' | ')}`)
    assert(!cells.some((c) => /^claimed/.test(c)), `a verdict still reads "claimed" in ${t}`)
    await page.screenshot({ path: join(shots, `${tag}-results-${t}.png`), fullPage: true })
    await scan(`results ${t}`)
  }
}

/**
 * Every view over the finished study at each window size in both themes: a screenshot, an axe-core
 * scan, and on Runs the curves' distinct x values. A second context bypasses the page's CSP only so
 * axe-core can be injected; the checks above ran under the CSP.
 */
async function viewsPass(browser, url, consoleErrors) {
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  currentPage = page
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const go = async (view) => {
    await page.click(`[data-nav="${view}"]`)
    await page.waitForSelector(`#${view}-h`)
  }
  for (const size of SIZES) {
    await page.setViewportSize(size)
    for (const theme of ['light', 'dark']) {
      const tag = `${size.width}x${size.height}-${theme}`
      await check(`every view at ${size.width}x${size.height} in the ${theme} theme: screenshots, no serious axe violations, curves with several x`, async () => {
        await page.goto(`${url}#/datasets`)
        await page.evaluate((t) => localStorage.setItem('xlab-theme', t), theme)
        await page.reload()
        await page.waitForSelector('#datasets-h')
        assert((await page.getAttribute('html', 'data-theme')) === theme, `theme is ${await page.getAttribute('html', 'data-theme')}`)
        const problems = []
        const scan = async (view) => {
          for (const v of await axeViolations(page)) problems.push(`${view}: ${v}`)
        }
        await page.waitForSelector('tr[data-dataset="demo-chest"]')
        // The import wizard's Split fieldset has the theme's border (it was the browser's bright default in the dark theme).
        await page.click('text=Import…')
        const [border, themed] = await page.locator('form[aria-label="Import a dataset"] fieldset').evaluate((f) => [getComputedStyle(f).borderTopColor, getComputedStyle(document.documentElement).getPropertyValue('--border').trim()])
        const rgb = `rgb(${[1, 3, 5].map((i) => parseInt(themed.slice(i, i + 2), 16)).join(', ')})`
        assert(border === rgb, `the Split fieldset border is ${border}, the theme's border ${rgb}`)
        await page.screenshot({ path: join(shots, `${tag}-datasets.png`), fullPage: true })
        await scan('datasets')
        await page.click('form[aria-label="Import a dataset"] >> text=Close')

        await go('builder')
        await page.waitForSelector('[data-testid=run-count]', { timeout: 30_000 })
        await page.screenshot({ path: join(shots, `${tag}-builder.png`), fullPage: true })
        await scan('builder')

        await go('runs')
        await page.getByTestId('runs-study').selectOption({ label: 'e2e-tiny (done)' })
        await page.getByTestId('study-progress').waitFor()
        // A pretext run: its curves have a point per validation round (a linear probe is one L-BFGS fit per C, one point).
        await page.locator('[data-testid=run-queue] tr[data-state] button.link', { hasText: /^rotation@demo-mammo/ }).first().click()
        await page.waitForSelector('[data-testid=run-detail] [data-series]', { timeout: 30_000 })
        const series = (await page.locator('[data-testid=run-detail] [data-series]').evaluateAll((els) => els.map((e) => e.getAttribute('data-series')))).join(' ').split(' ')
        const few = series.filter((x) => Number(x.split('=')[1]) < 2)
        assert(series.length > 0 && few.length === 0, `curves with fewer than 2 distinct x: ${few.join(', ')} (of ${series.join(', ')})`)
        if (theme === 'light') log(`${tag} run curves (series=distinct x): ${series.join(' ')}`)
        await page.getByTestId('event-log').waitFor({ timeout: 15_000 })
        await page.screenshot({ path: join(shots, `${tag}-runs-detail.png`), fullPage: true })
        await scan('runs')

        await go('results')
        await resultsChecks(page, tag, size, scan)
        // The error gallery of one run (opened from its detail), scanned on its own.
        await page.click('[data-tab=runs]')
        if ((await page.locator('[data-testid=open-gallery]').count()) === 0) await page.locator('[role=row][tabindex="0"]').first().click()
        if ((await page.getByTestId('gallery').count()) === 0) await page.locator('[data-testid=open-gallery]').first().click()
        await page.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 30_000 })
        await page.getByTestId('gallery').screenshot({ path: join(shots, `${tag}-error-gallery.png`) })
        await scan('results (error gallery)')

        await go('compare')
        if ((await page.locator('[data-testid=compare-table]').count()) === 0) await pickTwo(page)
        await page.waitForFunction(() => document.querySelectorAll('.side-by-side [data-testid=confusion]').length === 2, null, { timeout: 30_000 })
        if ((await page.getByTestId('pair-gallery').count()) === 0) await page.getByTestId('open-pair').click()
        await page.locator('[data-testid=pair-counts]').waitFor({ timeout: 30_000 })
        await page.screenshot({ path: join(shots, `${tag}-compare.png`), fullPage: true })
        await scan('compare (with the pair view)')

        await go('storage')
        await page.waitForSelector('[data-category=finished-resumable]')
        await page.screenshot({ path: join(shots, `${tag}-storage.png`), fullPage: true })
        await scan('storage')
        assert(problems.length === 0, `axe-core found serious or critical violations:\n${problems.join('\n')}`)
        log(`${tag}: screenshots ${['datasets', 'builder', 'runs-detail', ...RESULT_TABS.map((t) => `results-${t}`), 'error-gallery', 'compare', 'storage'].map((v) => `test-output/e2e/${tag}-${v}.png`).join(', ')}`)
      })
    }
  }
  await context.close()
  currentPage = null
}

async function main() {
  mkdirSync(shots, { recursive: true })
  if (!existsSync(CHROMIUM)) {
    log(`Chromium not found at ${CHROMIUM}: run "node scripts/setup.mjs --test" (apt-get install chromium) or set XLAB_CHROMIUM`)
    failed++
    return
  }
  buildIfNeeded()
  const tmp = mkdtempSync(join(tmpdir(), 'xlab-e2e-'))
  const dataRoot = join(tmp, 'data')
  const allowed = join(tmp, 'allowed')
  const outside = join(tmp, 'outside')
  mkdirSync(allowed, { recursive: true })
  mkdirSync(outside, { recursive: true })
  await writeImageFolder(join(allowed, 'folder'))
  const serve = await startServe(dataRoot, allowed)
  const base = serve.url.replace(/\/\?token=.*$/, '')
  const token = new URL(serve.url).searchParams.get('token')
  log(`xlab serve at ${base} (data ${dataRoot})`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  currentPage = page
  const consoleErrors = []
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const apiCall = async (method, input) => {
    const r = await fetch(`${base}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(input) })
    return (await r.json()).result
  }
  const studyIdOf = async (name) => (await apiCall('studies.get', { id: name })).id
  const nav = async (view) => {
    await page.click(`[data-nav="${view}"]`)
    await page.waitForSelector(`#${view === 'builder' ? 'builder' : view}-h`)
  }

  try {
    await check('requests and sockets without the token are refused', async () => {
      assert((await fetch(`${base}/`)).status === 401, 'page without token was served')
      assert((await fetch(`${base}/api/studies.list`, { method: 'POST', body: '{}' })).status === 401, 'API call without token was answered')
      assert((await fetch(`${base}/?token=wrong-${token}`)).status === 401, 'a wrong token was accepted')
      const wsBase = base.replace('http', 'ws')
      assert((await socketRefused(`${wsBase}/ws`)) === 401, 'socket without token was opened')
      assert((await socketRefused(`${wsBase}/ws?token=${token}`, { origin: 'http://evil.example' })) === 403, 'socket from another origin was opened')
      assert((await socketRefused(`${wsBase}/ws?token=${token}`, { origin: base })) === null, 'socket with the token was refused')
    })

    await check('the app opens on Datasets with an empty state', async () => {
      await page.goto(serve.url)
      await page.waitForSelector('text=No datasets yet')
      await shot('01-datasets-empty')
    })

    const datasetsOk = await check('generate demo datasets from the UI', async () => {
      await page.click('[data-testid=generate-demo]')
      for (const name of ['demo-chest', 'demo-natural', 'demo-brainct', 'demo-mammo']) {
        await page.waitForSelector(`tr[data-dataset="${name}"] .badge.ready`, { timeout: 120_000 })
      }
      await page.click('tr[data-dataset="demo-chest"] button.link')
      await page.waitForSelector('.thumbs img', { timeout: 30_000 })
      await shot('02-datasets')
    })

    await check('an import path outside the allowed folders is refused', async () => {
      await page.click('text=Import…')
      await page.fill('form[aria-label="Import a dataset"] input[placeholder="/path/to/images"]', outside)
      await page.click('text=Start import')
      const alert = page.locator('[role=alert]', { hasText: 'outside the folders' })
      await alert.waitFor({ timeout: 15_000 })
      await shot('03-datasets-import-refused')
      const r = await fetch(`${base}/api/datasets.import`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ kind: 'imagefolder', path: join(outside, '..', 'outside') }) })
      const body = await r.json()
      assert(body.ok === false && body.error.code === 'PATH_REFUSED', `expected PATH_REFUSED, got ${JSON.stringify(body)}`)
    })

    await check('import a folder with the wizard and read its report (the damaged file is listed as skipped)', async () => {
      const form = page.locator('form[aria-label="Import a dataset"]')
      await form.locator('select').first().selectOption('imagefolder')
      await form.locator('input[placeholder="/path/to/images"]').fill(join(allowed, 'folder'))
      await form.locator('input[placeholder="(from the folder name)"]').fill('e2e-folder')
      await form.locator('input[type=number]').first().fill('32')
      await page.click('text=Start import')
      await page.waitForSelector('tr[data-dataset="e2e-folder"]', { timeout: 30_000 })
      await page.waitForSelector('tr[data-dataset="e2e-folder"] .badge.ready', { timeout: 60_000 })
      await page.click('tr[data-dataset="e2e-folder"] >> text=Report')
      const report = page.locator('[aria-label="Import report"]', { hasText: 'files imported' })
      await report.waitFor({ timeout: 15_000 })
      const text = await report.innerText()
      assert(/24 of 25 files imported/.test(text) && /1 skipped/.test(text), `report says: ${text.slice(0, 300)}`)
      assert(text.includes('damaged.png'), 'the skipped file is not listed')
      await shot('03b-datasets-import-report')
    })

    let studyStarted = false
    if (datasetsOk) {
      studyStarted = await check('build a tiny study in the builder and start it', async () => {
        await nav('builder')
        await page.waitForSelector('[data-testid=plan] >> text=runs', { timeout: 30_000 })
        await page.waitForSelector('[data-testid^=fusion-set-]')
        // The builder shows the planner's count of the preset, and of the preset with one cell skipped
        // (its pretext, extract, probe and downstream runs go).
        const preset = (await apiCall('studies.presets', {})).find((p) => p.name === 'demo').config
        const full = (await apiCall('studies.plan', { config: preset })).runs.length
        const skipped = (await apiCall('studies.plan', { config: { ...preset, skipCells: ['structure/demo-natural'] } })).runs.length
        assert(skipped < full, `skipping a cell leaves ${skipped} of ${full} runs`)
        await page.waitForSelector(`[data-testid=run-count] >> text=/^${full} runs$/`, { timeout: 30_000 })
        await page.getByTestId('cell-structure-demo-natural').click()
        await page.waitForSelector(`[data-testid=run-count] >> text=/^${skipped} runs$/`, { timeout: 30_000 })
        assert((await page.getByTestId('cell-structure-demo-natural').getAttribute('aria-pressed')) === 'false', 'the skipped cell is not shown as skipped')
        await shot('04a-study-builder-preset')
        await page.getByTestId('run-factors').waitFor()
        for (const id of ['task-inpainting', 'task-structure', 'ds-demo-natural', 'ds-demo-brainct', 'protocol-finetune', 'protocol-scratch', 'protocol-knn', 'probe-invariance', 'probe-similarity', 'baseline-random-init', 'baseline-supervised', 'snapshot-probes']) {
          const box = page.getByTestId(id)
          if (await box.isChecked()) await box.uncheck()
        }
        // One pretext task is left, so no fusion set is offered; unticking a task drops the fusion
        // sets that need it, and any set still ticked is unticked here.
        const fused = page.locator('[data-testid^=fusion-set-]:checked')
        while ((await fused.count()) > 0) await fused.first().click()
        await page.getByTestId('seeds').fill('0, 1')
        await page.getByTestId('label-fractions').fill(`${FRACTION}, 1`)
        // Several validations everywhere (a 16-step pretext budget validated every 4 steps), so every curve has more
        // than one distinct x value, and the pretext runs last long enough to watch their live points arrive.
        for (const [id, v] of [['pretext-steps', '16'], ['pretext-valEverySteps', '4'], ['downstream-epochs', '2'], ['downstream-maxStepsPerEpoch', '2']]) await page.getByTestId(id).fill(v)
        await page.waitForSelector(`[data-testid=run-count] >> text=/^${STUDY_RUNS} runs$/`, { timeout: 30_000 })
        const factors = await page.getByTestId('run-factors').innerText()
        assert(factors.includes('1 encoder × 2 tasks × 1 protocol × 2 label fractions × 2 seeds'), `run factors: ${factors}`)
        await page.getByTestId('study-name').fill('e2e-tiny')
        await shot('04-study-builder')
        await page.getByTestId('start-study').click()
        // Nothing starts before the confirmation states runs, time and reuse.
        const confirm = page.getByTestId('confirm')
        await confirm.waitFor()
        const said = await confirm.innerText()
        assert(new RegExp(`${STUDY_RUNS} runs will train`).test(said) && /reused/.test(said), `confirmation says: ${said}`)
        await shot('04b-study-builder-confirm')
        await page.getByTestId('confirm-start').click()
        await page.waitForSelector('#runs-h')
      })
    }

    let studyDone = false
    if (studyStarted) {
      await check('watch a run progress in Runs: live curves by step, its health, the study ETA within its running run', async () => {
        await page.waitForSelector('[data-testid=run-queue] tr[data-state="running"]', { timeout: 60_000 })
        const runningName = await page.locator('[data-testid=run-queue] tr[data-state="running"] button.link').first().innerText()
        await page.click('[data-testid=run-queue] tr[data-state="running"] button.link')
        // From its first second a running run says what it is doing (starting, training, evaluating).
        const phase = page.locator('[data-testid=run-queue] tr[data-state="running"] [data-testid=phase]').first()
        await phase.waitFor({ timeout: 60_000 })
        const said = await phase.innerText()
        assert(/starting|training|evaluating|extracting|finishing/.test(said), `the running run says: ${said}`)
        // The live chart's points arrive by optimiser step while the run trains: the newest step drawn grows.
        const loss = '[data-testid=run-detail] [data-testid=live-curves] [data-group=loss]'
        await page.waitForSelector(loss, { timeout: 120_000 })
        const seen = new Set()
        const until = Date.now() + 90_000
        while (Date.now() < until && seen.size < 3) {
          const v = await page.getAttribute(loss, 'data-last-step').catch(() => null)
          if (v) seen.add(Number(v))
          if ((await page.locator('[data-testid=run-detail] .badge.running').count()) === 0) break
          await page.waitForTimeout(150)
        }
        const steps = [...seen].sort((a, b) => a - b)
        assert(steps.length >= 2, `live points seen at steps ${steps.join(', ')} of ${runningName} (expected them to arrive while it trained)`)
        assert((await page.getAttribute(loss, 'data-x-axis')) === 'optimiser step', 'the live chart x axis is not the optimiser step')
        const series = await page.getAttribute(loss, 'data-series')
        log(`live curves of ${runningName}: newest step seen ${steps.join(' -> ')}; loss series (distinct steps): ${series}`)
        // A running run's health and the study's ETA: the schedule of what is left, never less than its running run's remaining time.
        await page.waitForFunction(() => {
          const e = document.querySelector('[data-testid=study-eta]')
          const run = document.querySelector('[data-testid=run-queue] tr[data-state="running"]')
          return !!run && e?.getAttribute('data-eta-s') && /=\d/.test(e.getAttribute('data-running') ?? '')
        }, null, { timeout: 240_000, polling: 500 })
        const etaEl = page.getByTestId('study-eta')
        const etaS = Number(await etaEl.getAttribute('data-eta-s'))
        const running = ((await etaEl.getAttribute('data-running')) ?? '').split(' ').filter((x) => /=\d/.test(x)).map((x) => Number(x.split('=')[1]))
        assert(Number.isFinite(etaS) && etaS >= Math.max(...running) - 1, `study ETA ${etaS} s, its running runs' remaining ${running.join(', ')} s`)
        const bar = page.locator('[data-testid=study-progress] [role=progressbar]')
        const pct = Number(await bar.getAttribute('aria-valuenow'))
        assert(pct >= 0 && pct <= 100, `progress ${pct}`)
        const overall = await page.getByTestId('study-progress').innerText()
        assert(new RegExp(`of ${STUDY_RUNS} runs done`).test(overall), `study progress says: ${overall}`)
        assert(/ETA \d/.test(await bar.innerText()), `the study bar shows no ETA: ${await bar.innerText()}`)
        log(`running run: "${said}"; study ETA ${etaS} s against running runs' remaining ${running.join(', ')} s; ${(await etaEl.innerText()).slice(0, 200)}`)
        // A live run's detail at 1440x900 (the health panel is shown while a selected run trains).
        const live = page.locator('[data-testid=run-queue] tr[data-state="running"] button.link').first()
        if ((await live.count()) > 0) {
          await live.click()
          await page.getByTestId('run-health').waitFor({ timeout: 15_000 }).catch(() => {})
        }
        await page.setViewportSize({ width: 1440, height: 900 })
        await page.getByTestId('run-detail').scrollIntoViewIfNeeded()
        await page.screenshot({ path: join(shots, '05-runs-live-detail-1440x900.png') })
        await page.setViewportSize({ width: 1400, height: 1000 })
        await shot('05-runs-running')
      })
      studyDone = await check('the study finishes', async () => {
        await page.waitForFunction((n) => {
          const rows = [...document.querySelectorAll('[data-testid=run-queue] tr[data-state]')]
          return rows.length === n && rows.every((r) => r.getAttribute('data-state') === 'done')
        }, STUDY_RUNS, { timeout: STUDY_TIMEOUT_MS, polling: 1000 })
        const states = await page.$$eval('[data-testid=run-queue] tr[data-state]', (rows) => rows.map((r) => r.getAttribute('data-state')))
        assert(states.every((s) => s === 'done'), `run states: ${states.join(', ')}`)
        await page.click('[data-testid=run-queue] tr[data-state] button.link')
        await page.waitForSelector('.log')
        // A finished run's event log is shown (it said "(no log yet)" before).
        await page.getByTestId('event-log').waitFor({ timeout: 15_000 })
        await shot('06-runs-done')
      })
    }

    if (studyDone) {
      await check('a note and a tag on a run are saved in SQLite and found by the runs filter', async () => {
        const row = page.locator('[data-testid=run-queue] tr[data-state]', { hasText: 'binary-linear-rotation@demo-mammo-s1' })
        await row.locator('button.link').click()
        const detail = page.getByTestId('run-detail')
        await detail.locator('summary', { hasText: 'Note and tags' }).click()
        await detail.getByLabel('Note', { exact: true }).fill('seed 1 is lower than seed 0')
        await detail.getByLabel('Tags', { exact: true }).fill('check-seed, e2e')
        await detail.getByRole('button', { name: 'Save note' }).click()
        await detail.getByRole('status').waitFor()
        await page.getByTestId('runs-filter').fill('#check-seed')
        await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-queue] tr[data-state]').length === 1)
        assert((await page.locator('[data-testid=run-queue] tr[data-state]').innerText()).includes('binary-linear-rotation@demo-mammo-s1'), 'the filter did not find the tagged run')
        await shot('06b-runs-note')
        await page.getByTestId('runs-filter').fill('')
        const db = new Database(join(dataRoot, 'lab.sqlite'), { readonly: true, fileMustExist: true })
        const stored = db.prepare("SELECT note, tags_json FROM annotations WHERE kind = 'run'").all()
        db.close()
        assert(stored.length === 1 && stored[0].note === 'seed 1 is lower than seed 0' && stored[0].tags_json === '["check-seed","e2e"]', `annotations: ${JSON.stringify(stored)}`)
      })

      await check('results show a heatmap, a confusion matrix and a ROC curve equal to lab.sqlite', async () => {
        const db = new Database(join(dataRoot, 'lab.sqlite'), { readonly: true, fileMustExist: true })
        const runs = db.prepare(`SELECT id, name, pretext, pretrain_dataset AS ds, seed FROM runs WHERE stage = 'downstream' AND target = 'binary' AND pretext IS NOT NULL AND ${ALL_LABELS} ORDER BY seed`).all()
        const metric = (runId, name) => db.prepare("SELECT value FROM metrics WHERE run_id = ? AND split = 'test' AND name = ? ORDER BY step DESC, epoch DESC LIMIT 1").get(runId, name)?.value
        const aucs = runs.map((r) => metric(r.id, 'roc_auc'))
        const run = runs[0]
        const auc = aucs[0]
        const accuracy = metric(run.id, 'accuracy')
        db.close()
        assert(runs.length === 2, `expected 2 downstream runs (2 seeds), found ${runs.length}`)
        assert(aucs.every((v) => typeof v === 'number') && typeof accuracy === 'number', 'no test metrics in SQLite')
        const meanAuc = aucs.reduce((a, b) => a + b, 0) / aucs.length
        await nav('results')
        await page.getByTestId('metric').selectOption('roc_auc')
        await page.click('[data-tab=overview]')
        const cell = page.locator(`[data-panel="binary|linear"] td[data-row="${run.pretext}"][data-col="${run.ds}"]`)
        await cell.locator('[data-testid=interval]').waitFor({ timeout: 120_000 })
        // The overview shows the analysis's mean, recomputed from the stored predictions (the worker's
        // probabilities at full precision): equal to the worker's own AUCs to far better than the 3 decimals shown.
        const shown = Number(await cell.getAttribute('data-value'))
        assert(Math.abs(shown - meanAuc) < 1e-4, `heatmap shows ${shown}, SQLite roc_auc over seeds ${aucs.join(', ')} has mean ${meanAuc}`)

        await page.click('[data-tab=runs]')
        await page.click(`[role=row][tabindex="0"] >> text=${run.name}`)
        const cm = page.locator('[data-testid=confusion]')
        await cm.waitFor({ timeout: 30_000 })
        const counts = (await cm.locator('td[data-value]').evaluateAll((tds) => tds.map((t) => Number(t.getAttribute('data-value')))))
        const k = Math.round(Math.sqrt(counts.length))
        const total = counts.reduce((a, b) => a + b, 0)
        const trace = counts.filter((_, i) => i % (k + 1) === 0).reduce((a, b) => a + b, 0)
        assert(Math.abs(trace / total - accuracy) < 1e-9, `confusion matrix accuracy ${trace}/${total} vs SQLite accuracy ${accuracy}`)
        const rocAuc = Number(await page.locator('[data-testid=roc-auc] td').first().getAttribute('data-value'))
        assert(Math.abs(rocAuc - auc) < 1e-9, `ROC AUC ${rocAuc} vs SQLite roc_auc ${auc}`)
        await page.waitForSelector('canvas[aria-label^="ROC"]')
        await shot('07-results')
      })

      await check('the runs table exports as CSV and a chart as PNG and SVG', async () => {
        const [csv] = await Promise.all([page.waitForEvent('download'), page.click('text=Export CSV')])
        const text = await (await csv.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'))
        const lines = text.trim().split(/\r?\n/)
        assert(lines[0].startsWith('name,encoder,target,protocol,seed,state,roc_auc'), `CSV header: ${lines[0]}`)
        assert(lines.length === 1 + STUDY_RUNS - 4 && lines.slice(1).every((l) => l.includes('linear-rotation@demo-mammo')), `CSV rows: ${lines.slice(1).join(' | ')}`)
        const [png] = await Promise.all([page.waitForEvent('download'), page.click('button[aria-label^="Export ROC"]')])
        const bytes = await (await png.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks))
        assert(bytes.subarray(1, 4).toString() === 'PNG' && bytes.length > 1000, `PNG export is ${bytes.length} bytes`)
        // Twice the on-screen size, on a solid background (it was 1x and transparent).
        const cssWidth = await page.locator('canvas[aria-label^="ROC"]').first().evaluate((c) => c.getBoundingClientRect().width)
        const meta = await sharp(bytes).metadata()
        const stats = await sharp(bytes).stats()
        assert(meta.width >= 2 * Math.floor(cssWidth), `PNG is ${meta.width} px wide, the chart ${cssWidth} px on screen`)
        assert(!meta.hasAlpha || stats.channels[3].min === 255, 'the PNG has transparent pixels')
        log(`PNG export ${meta.width}x${meta.height} for a ${Math.round(cssWidth)} px wide chart, opaque`)
        // The SVG is vectors drawn by Chart.js itself (curves as paths, ticks and legend as text), not an embedded bitmap.
        const [svgFile] = await Promise.all([page.waitForEvent('download'), page.click('button[aria-label^="Export ROC"][aria-label$="as SVG"]')])
        const svg = await (await svgFile.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'))
        const paths = (svg.match(/<path /g) ?? []).length
        assert(svg.includes('<svg xmlns="http://www.w3.org/2000/svg"') && !svg.includes('<image') && paths > 10 && svg.includes('>false positive rate</text>'), `SVG export: ${paths} paths, ${svg.slice(0, 200)}`)
        log(`SVG export ${svg.length} bytes, ${paths} paths`)
      })

      await check('the Results overview shows every task x protocol with the report\'s intervals, each beside random-init, scratch and chance', async () => {
        await page.click('[data-tab=overview]')
        await page.locator('[data-testid=overview] [data-testid=interval]').first().waitFor({ timeout: 120_000 })
        const r = await fetch(`${base}/api/results.report`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ studyId: await studyIdOf('e2e-tiny') }) })
        const html = (await r.json()).result.html
        // The report's table of configurations: label, seeds, then ROC-AUC "mean ± sd [lo, hi]".
        const reportCi = new Map([...html.matchAll(/<tr><td class="l">([^<]+)<\/td><td>[^<]*<\/td><td>[^<]*<span class="muted">(\[[^\]]+\])<\/span>/g)].map((m) => [m[1], m[2]]))
        assert(reportCi.size > 0, 'no configuration rows found in the report')
        const panels = await page.locator('[data-testid=overview] [data-panel]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-panel')))
        assert(JSON.stringify(panels.sort()) === JSON.stringify(['3class|linear', 'binary|linear']), `overview panels: ${panels.join(', ')}`)
        const shownCis = await page.locator('[data-testid=overview] td[data-cell-label]').evaluateAll((tds) => tds.map((t) => [t.getAttribute('data-cell-label'), t.querySelector('[data-testid=interval]')?.textContent]))
        assert(shownCis.length === reportCi.size, `${shownCis.length} cells in the overview, ${reportCi.size} configurations in the report`)
        for (const [label, ci] of shownCis) assert(reportCi.get(label) === ci, `${label}: overview ${ci}, report ${reportCi.get(label)}`)
        log(`overview intervals equal the report's for ${shownCis.length} configurations: ${shownCis.map(([l, c]) => `${l} ${c}`).join('; ')}`)
        assert(await page.getByTestId('legend').count() === 1, 'no colour legend')
        const refs = await page.locator('[data-testid=overview] .overview-panel').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-panel'), [...p.querySelectorAll('[data-reference]')].map((r) => r.getAttribute('data-reference'))]))
        for (const [panel, rows] of refs) assert(['random-init', 'scratch', 'chance'].every((k) => rows.includes(k)), `overview panel ${panel} has reference rows ${rows.join(', ')}; it needs random-init, scratch and chance`)
      })

      await check('the label-efficiency chart and its table show the test ROC-AUC of the runs\' test_predictions.json and lab.sqlite for every labelled fraction', async () => {
        const db = new Database(join(dataRoot, 'lab.sqlite'), { readonly: true, fileMustExist: true })
        const runs = db.prepare("SELECT id, name, target, seed, run_dir AS dir, spec_json, summary_json FROM runs WHERE stage = 'downstream' AND protocol = 'linear' AND pretext IS NOT NULL").all()
        const metric = (runId) => db.prepare("SELECT value FROM metrics WHERE run_id = ? AND split = 'test' AND name = 'roc_auc' ORDER BY step DESC, epoch DESC LIMIT 1").get(runId)?.value
        const points = new Map()
        for (const r of runs) {
          const fraction = JSON.parse(r.spec_json).params.label_fraction ?? 1
          const key = `${r.target}|${fraction}`
          if (!points.has(key)) points.set(key, { target: r.target, fraction, runs: [], nTrain: [] })
          const auc = aucOfPredictions(JSON.parse(readFileSync(resolve(dataRoot, r.dir, 'test_predictions.json'), 'utf8')))
          points.get(key).runs.push({ name: r.name, sqlite: metric(r.id), ...auc })
          const subset = JSON.parse(r.summary_json ?? '{}').label_subset
          if (subset) points.get(key).nTrain.push(subset.n_images)
        }
        db.close()
        assert(points.size === 4 && [...points.values()].every((p) => p.runs.length === 2 && p.runs.every((r) => typeof r.sqlite === 'number')), `SQLite points: ${JSON.stringify([...points.values()])}`)
        assert([...points.values()].filter((p) => p.fraction < 1).every((p) => p.nTrain.length === 2), 'the runs on a label fraction recorded no label_subset in their summary')
        // SQLite holds the worker's AUC on unrounded probabilities: it must lie within what the stored (rounded) ones allow.
        for (const p of points.values()) for (const r of p.runs) assert(r.sqlite >= r.lo - 1e-9 && r.sqlite <= r.hi + 1e-9, `${r.name}: SQLite roc_auc ${r.sqlite} is outside [${r.lo}, ${r.hi}], the range its test_predictions.json allows`)
        await nav('results')
        await page.click('[data-tab=efficiency]')
        const section = page.getByTestId('label-efficiency')
        await section.waitFor({ timeout: 120_000 })
        await section.locator('canvas[aria-label*="labelled fraction"]').first().waitFor()
        const said = []
        for (const p of points.values()) {
          const row = section.locator(`[data-group="${p.target}|linear"] tr[data-encoder="rotation/demo-mammo"][data-fraction="${p.fraction}"]`)
          await row.waitFor({ timeout: 30_000 })
          const shown = Number(await row.locator('td[data-col=auc]').getAttribute('data-value'))
          const mean = (k) => p.runs.reduce((a, r) => a + r[k], 0) / p.runs.length
          assert(Math.abs(shown - mean('mid')) < 1e-9, `${p.target} at fraction ${p.fraction}: the table shows ${shown}, the runs' test_predictions.json give ${p.runs.map((r) => r.mid).join(', ')} (mean ${mean('mid')})`)
          assert(shown >= mean('lo') - 1e-9 && shown <= mean('hi') + 1e-9 && Math.abs(shown - mean('sqlite')) < 5e-3, `${p.target} at fraction ${p.fraction}: the table shows ${shown}, SQLite's mean ${mean('sqlite')}`)
          const nTrain = Number(await row.locator('td[data-col=nTrain]').innerText())
          if (p.fraction < 1) {
            const want = Math.round(p.nTrain.reduce((a, b) => a + b, 0) / p.nTrain.length)
            assert(nTrain === want, `${p.target} at fraction ${p.fraction}: ${nTrain} training images shown, the runs' label_subset says ${p.nTrain.join(', ')}`)
          }
          said.push(`${p.target} ${p.fraction}: ${shown.toFixed(4)} (files ${mean('mid').toFixed(4)}, SQLite ${mean('sqlite').toFixed(4)}, n ${nTrain})`)
        }
        await section.scrollIntoViewIfNeeded()
        await section.screenshot({ path: join(shots, '08c-label-efficiency.png') })
        log(`label efficiency equal to the runs' predictions and SQLite: ${said.join('; ')}`)
      })

      await check('the report opens from Results and its contents links stay inside it', async () => {
        await page.click('text=Open study report')
        const frame = page.locator('iframe.report-frame')
        await frame.waitFor({ timeout: 60_000 })
        // Sandboxed without scripts (allow-same-origin only, so its contents links work in its blob: URL).
        assert((await frame.getAttribute('sandbox')) === 'allow-same-origin', `the report iframe's sandbox is "${await frame.getAttribute('sandbox')}"`)
        const reportText = await page.frameLocator('iframe.report-frame').locator('body').innerText({ timeout: 30_000 })
        assert(reportText.includes('e2e-tiny'), `the report does not name the study: ${reportText.slice(0, 200)}`)
        await page.frameLocator('iframe.report-frame').locator('nav a', { hasText: 'H2' }).click()
        await page.waitForTimeout(500)
        const after = await page.frameLocator('iframe.report-frame').locator('body').innerText({ timeout: 10_000 })
        assert(after.includes('e2e-tiny'), 'a contents link navigated the report frame away')
        await shot('08-results-analysis')
        // Headless full-page captures leave a sandboxed (out-of-process) iframe below the fold blank.
        await frame.scrollIntoViewIfNeeded()
        await frame.screenshot({ path: join(shots, '08b-study-report.png') })
      })

      await check('the error gallery shows the test images of a run with the numbers of its test_predictions.json and lab.sqlite', async () => {
        const db = new Database(join(dataRoot, 'lab.sqlite'), { readonly: true, fileMustExist: true })
        const run = db.prepare(`SELECT id, name, run_dir AS dir FROM runs WHERE stage = 'downstream' AND target = 'binary' AND pretext IS NOT NULL AND ${ALL_LABELS} ORDER BY seed LIMIT 1`).get()
        const datasetId = db.prepare("SELECT id FROM datasets WHERE name = 'demo-chest'").get().id
        const sample = db.prepare('SELECT path, patient_id AS patient FROM samples WHERE dataset_id = ? AND idx = ?')
        const pred = JSON.parse(readFileSync(resolve(dataRoot, run.dir, 'test_predictions.json'), 'utf8'))
        const expected = expectedGallery(pred, { filter: 'errors', order: 'most-confident' })
        await nav('results')
        await page.click('[data-tab=runs]')
        if ((await page.locator('[data-testid=open-gallery]').count()) === 0) await page.click(`[role=row][tabindex="0"] >> text=${run.name}`)
        await page.locator('[data-testid=open-gallery]').first().click()
        const gallery = page.getByTestId('gallery')
        await gallery.locator('[data-testid=gallery-summary]').waitFor({ timeout: 30_000 })
        const summary = gallery.locator('[data-testid=gallery-summary]')
        const errors = expected.all.filter((r) => r.predicted !== r.trueClass).length
        assert(Number(await summary.getAttribute('data-images')) === pred.indices.length && Number(await summary.getAttribute('data-errors')) === errors, `gallery says ${await summary.getAttribute('data-images')} images, ${await summary.getAttribute('data-errors')} errors; the predictions file has ${pred.indices.length} and ${errors}`)
        const verify = async (want, what) => {
          await page.waitForFunction((first) => document.querySelector('[data-testid=gallery-item]')?.getAttribute('data-index') === String(first), want[0].index, { timeout: 30_000 })
          const tiles = await galleryTiles(page)
          assert(tiles.length === Math.min(48, want.length), `${what}: ${tiles.length} tiles, expected ${Math.min(48, want.length)}`)
          tiles.forEach((t, i) => {
            const e = want[i]
            const s = sample.get(datasetId, e.index)
            assert(t.index === e.index && t.trueName === pred.class_names[e.trueClass] && t.predictedName === pred.class_names[e.predicted], `${what} tile ${i}: shows row ${t.index} ${t.trueName} -> ${t.predictedName}, the file has row ${e.index} ${pred.class_names[e.trueClass]} -> ${pred.class_names[e.predicted]}`)
            assert(Math.abs(t.probability - e.probability) < 1e-12, `${what} tile ${i}: probability ${t.probability}, the file ${e.probability}`)
            assert(t.patient === String(s.patient) && t.image === s.path && t.hasImage, `${what} tile ${i}: patient ${t.patient} image ${t.image} (thumbnail ${t.hasImage}); SQLite has ${s.patient} ${s.path}`)
          })
          return tiles
        }
        const tiles = await verify(expected.shown, 'errors, most confident first')
        await shot('09a-error-gallery')
        await gallery.getByTestId('gallery-filter').selectOption('all')
        await gallery.getByTestId('gallery-order').selectOption('least-confident')
        await verify(expectedGallery(pred, { filter: 'all', order: 'least-confident' }).shown, 'all, least confident first')
        log(`error gallery of ${run.name}: ${errors} of ${pred.indices.length} test images wrong; first error row ${tiles[0].index} (${tiles[0].trueName} -> ${tiles[0].predictedName}, p ${tiles[0].probability.toFixed(3)}, patient ${tiles[0].patient}), equal to test_predictions.json and SQLite samples for ${tiles.length} tiles`)
        db.close()
      })

      await check('Compare shows two runs side by side', async () => {
        await nav('compare')
        await pickTwo(page)
        await page.waitForFunction(() => document.querySelectorAll('.side-by-side [data-testid=confusion]').length === 2, null, { timeout: 30_000 })
        await shot('09-compare')
      })

      await check('the pair view counts the images one run gets right and the other wrong as the two predictions files do', async () => {
        const db = new Database(join(dataRoot, 'lab.sqlite'), { readonly: true, fileMustExist: true })
        const runs = db.prepare(`SELECT id, name, run_dir AS dir FROM runs WHERE stage = 'downstream' AND target = 'binary' AND pretext IS NOT NULL AND ${ALL_LABELS} ORDER BY seed`).all()
        db.close()
        const [a, b] = runs.map((r) => expectedGallery(JSON.parse(readFileSync(resolve(dataRoot, r.dir, 'test_predictions.json'), 'utf8')), { filter: 'all', order: 'cache' }).all)
        const rightB = new Map(b.map((r) => [r.index, r.predicted === r.trueClass]))
        const want = { bothRight: 0, onlyA: 0, onlyB: 0, bothWrong: 0 }
        for (const r of a) {
          const ra = r.predicted === r.trueClass
          const rb = rightB.get(r.index)
          want[ra ? (rb ? 'bothRight' : 'onlyA') : rb ? 'onlyB' : 'bothWrong']++
        }
        await nav('compare')
        if ((await page.locator('[data-testid=compare-table]').count()) === 0) await pickTwo(page)
        // A is the first picked run; make it the seed-0 run so the directions are known.
        const names = await page.getByTestId('pair-a').locator('option').allInnerTexts()
        const seed0 = names.findIndex((n) => n.includes('seed 0'))
        await page.getByTestId('pair-a').selectOption({ index: seed0 })
        await page.getByTestId('pair-b').selectOption({ index: 1 - seed0 })
        await page.getByTestId('open-pair').click()
        await page.locator('[data-testid=pair-counts] [data-count=onlyA]').waitFor({ timeout: 30_000 })
        const shown = Object.fromEntries(await page.locator('[data-testid=pair-counts] [data-count]').evaluateAll((tds) => tds.map((t) => [t.dataset.count, Number(t.textContent)])))
        assert(JSON.stringify(shown) === JSON.stringify({ bothRight: want.bothRight, onlyA: want.onlyA, onlyB: want.onlyB, bothWrong: want.bothWrong }), `pair view counts ${JSON.stringify(shown)}, the predictions files ${JSON.stringify(want)}`)
        const items = await page.locator('[data-testid=pair-item]').count()
        assert(items === Math.min(24, want.onlyA), `${items} images listed for "A right, B wrong", expected ${Math.min(24, want.onlyA)}`)
        log(`pair view ${runs[0].name} vs ${runs[1].name}: ${JSON.stringify(shown)}, equal to their test_predictions.json`)
        // The paired comparison (results.compare): McNemar's table of the same images, A = the first picked run.
        const mc = page.locator('[data-testid=mcnemar]').first()
        await mc.waitFor({ timeout: 60_000 })
        const aOnly = Number(await mc.locator('[data-cell=a-only]').innerText())
        const bOnly = Number(await mc.locator('[data-cell=b-only]').innerText())
        assert((aOnly === want.onlyA && bOnly === want.onlyB) || (aOnly === want.onlyB && bOnly === want.onlyA), `McNemar table A only ${aOnly}, B only ${bOnly}; the predictions files give ${want.onlyA} and ${want.onlyB}`)
        const verdicts = await page.locator('[data-testid=paired-table] td[data-col=verdict]').allInnerTexts()
        assert(verdicts.length === 4 && verdicts.every((v) => /^(better \(\+|worse \(−|no evidence \()/.test(v)), `paired verdicts: ${verdicts.join(' | ')}`)
        log(`McNemar A only ${aOnly}, B only ${bOnly}: ${await mc.locator('caption').innerText()}; paired verdicts ${verdicts.join(' | ')}`)
        await shot('09b-pair-view')
      })
    }

    if (studyDone) {
      await viewsPass(browser, serve.url, consoleErrors)
      currentPage = page
    }

    await check('dark theme applies', async () => {
      await page.click('.theme-toggle')
      assert((await page.getAttribute('html', 'data-theme')) === 'dark', 'html[data-theme] is not dark')
      await nav('results')
      await shot('10-results-dark')
    })

    await check('no uncaught page errors', async () => {
      assert(consoleErrors.length === 0, consoleErrors.join('\n'))
    })
  } finally {
    await browser.close()
    serve.child.kill('SIGTERM')
    await new Promise((r) => {
      const t = setTimeout(() => {
        serve.child.kill('SIGKILL')
        r()
      }, 15_000)
      serve.child.once('exit', () => {
        clearTimeout(t)
        r()
      })
    })
    // XLAB_E2E_KEEP=1 keeps the data root (a finished tiny study) for tests/e2e/shots.mjs.
    if (failed === 0 && !process.env.XLAB_E2E_KEEP) rmSync(tmp, { recursive: true, force: true })
    else if (process.env.XLAB_E2E_KEEP) log(`kept the data root ${tmp} (XLAB_E2E_KEEP)`)
    else log(`kept ${tmp} for inspection; service log tail:\n${serve.stderr().split('\n').slice(-30).join('\n')}`)
  }
}

main()
  .catch((err) => {
    failed++
    log(`FAIL e2e harness: ${err?.stack ?? err}`)
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`)
    process.exit(failed ? 1 : 0)
  })
