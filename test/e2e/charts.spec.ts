// The charts page at a laptop's 1366 x 768 against the real web host and a computed demo session: the
// chip map linked both ways with the unit table and the charts, square heatmap cells with labels that
// keep apart, the electrical image's scales, marker and movie, the light reference's wording, keyboard
// use of the unit table, and screenshots in both themes (test-results/screenshots/).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Locator, type Page, expect, test } from '@playwright/test'
import { callApi, computeDemoSession } from './demoSession'
import { INKED_PIXELS_SCRIPT, type RunningHost, demoDir, startHost } from './host'

interface UnitRow {
  id: string
  row: number | null
  col: number | null
  spikeCount: number
}

let host: RunningHost
let workdir: string
let units: UnitRow[]
let sizes: Map<string, number>

test.describe.configure({ mode: 'serial' })
test.use({ viewport: { width: 1366, height: 768 } })

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-charts-'))
  host = await startHost(workdir, ['--demo-dir', demoDir()])
  await computeDemoSession(host)
  units = (await callApi<{ units: UnitRow[] }>(host, 'chart.units')).units
  const map = await callApi<{ placed: UnitRow[]; sizes: number[] }>(host, 'chart.chipMap')
  sizes = new Map(map.placed.map((u, i) => [u.id, map.sizes[i]]))
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

function shotPath(info: { project: { outputDir: string } }, name: string): string {
  const dir = join(info.project.outputDir, 'screenshots')
  mkdirSync(dir, { recursive: true })
  return join(dir, name)
}

async function openCharts(page: Page): Promise<void> {
  await page.goto(host.url)
  await page.getByTestId('nav-charts').click()
  await expect(page.getByTestId('unit-table').locator('tbody tr')).toHaveCount(units.length)
  await expect(page.getByTestId('chip-map')).toHaveAttribute('data-cell-w', /\d/)
}

async function num(l: Locator, attr: string): Promise<number> {
  return Number(await l.getAttribute(attr))
}

/** Where electrode (row, col) is in the chip map's canvas, from where the chart drew electrode (1, 1). */
async function electrode(page: Page, row: number, col: number): Promise<{ x: number; y: number }> {
  const map = page.getByTestId('chip-map')
  return {
    x: (await num(map, 'data-origin-x')) + (col - 1) * (await num(map, 'data-cell-w')),
    y: (await num(map, 'data-origin-y')) + (row - 1) * (await num(map, 'data-cell-h')),
  }
}

/** The same point on the page, with the chip map scrolled into view. */
async function onPage(page: Page, p: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const canvas = page.getByTestId('chip-map').locator('canvas').first()
  await canvas.scrollIntoViewIfNeeded()
  const box = (await canvas.boundingBox())!
  return { x: box.x + p.x, y: box.y + p.y }
}

/** Strongest dark ink (alpha x (765 − R − G − B)) over the chip map's canvas layers in a 5 x 5 patch around canvas point (x, y). */
async function darkInk(page: Page, x: number, y: number): Promise<number> {
  const layers = await page
    .getByTestId('chip-map')
    .locator('canvas')
    .evaluateAll(
      (els, p: { x: number; y: number }) =>
        (els as HTMLCanvasElement[]).map((el) => {
          const ratio = el.width / el.getBoundingClientRect().width
          const d = el.getContext('2d')!.getImageData(Math.round((p.x - 2) * ratio), Math.round((p.y - 2) * ratio), Math.round(5 * ratio), Math.round(5 * ratio)).data
          let ink = 0
          for (let i = 0; i < d.length; i += 4) ink = Math.max(ink, (d[i + 3] / 255) * (765 - d[i] - d[i + 1] - d[i + 2]))
          return ink
        }),
      { x, y },
    )
  return Math.max(...layers)
}

/** Opaque, clearly coloured pixels of a chart (max − min of R, G, B above 60): cells away from the
 * diverging scale's white middle; grey text and axes do not count. */
async function colouredPixels(l: Locator): Promise<number> {
  // ECharts draws on several canvas layers; count them all.
  const perCanvas = await l.locator('canvas').evaluateAll((els) =>
    (els as HTMLCanvasElement[]).map((el) => {
      const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data
      let n = 0
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++
      return n
    }),
  )
  return perCanvas.reduce((a, b) => a + b, 0)
}

async function inked(l: Locator): Promise<number> {
  return l.evaluate(new Function(`return (${INKED_PIXELS_SCRIPT})`)() as (el: Element) => number)
}

test('chip map: hover names the unit, a click selects it in the table and the charts, a table selection rings it on the map', async ({ page }) => {
  await openCharts(page)
  const selected = (await page.getByTestId('selected-unit').textContent())!.trim()
  const placed = units.filter((u) => u.row !== null && u.col !== null)
  expect(placed.length).toBe(units.length) // every demo unit has its Unit Info position
  const target = placed.find((u) => u.id !== selected)!

  // Hover: the tooltip names the unit and its electrode.
  const at = await onPage(page, await electrode(page, target.row!, target.col!))
  await page.mouse.move(at.x, at.y)
  const tooltip = page.locator('.chip-map-tooltip')
  await expect(tooltip).toBeVisible()
  await expect(tooltip).toContainText(target.id)
  await expect(tooltip).toContainText(`row ${target.row}, column ${target.col}`)

  // Click: the table, the header and every per-unit chart follow.
  await page.mouse.click(at.x, at.y)
  await expect(page.getByTestId('selected-unit')).toHaveText(target.id)
  await expect(page.getByTestId(`unit-row-${target.id}`)).toHaveClass(/selected/)
  await expect(page.getByTestId('chip-map')).toHaveAttribute('data-selected', target.id)
  for (const c of ['chart-raster', 'chart-sta', 'chart-eimage']) await expect(page.getByTestId(c)).toHaveAttribute('data-unit', target.id)

  // Table -> map: a unit chosen in the table gets the ring (ink just outside its dot, where there was none).
  const other = placed.find((u) => u.id !== target.id && u.id !== selected)!
  const o = await electrode(page, other.row!, other.col!)
  const ringX = o.x + sizes.get(other.id)! / 2 + 4
  const before = await darkInk(page, ringX, o.y)
  await page.getByTestId(`unit-row-${other.id}`).click()
  await expect(page.getByTestId('chip-map')).toHaveAttribute('data-selected', other.id)
  await expect.poll(() => darkInk(page, ringX, o.y)).toBeGreaterThan(before + 300)
  await expect(page.getByTestId('chart-eimage')).toHaveAttribute('data-unit', other.id)

  // The footprint overlay can be switched off and on; the note names the selected unit.
  await expect(page.getByTestId('chip-map')).toContainText(`${other.id}'s electrical image reaches`)
  await page.getByTestId('chip-map-footprint').uncheck()
  await expect(page.getByTestId('chip-map')).not.toContainText(`${other.id}'s electrical image reaches`)
  await page.getByTestId('chip-map-footprint').check()

  // Colour by another column of the table.
  await page.getByTestId('chip-map-colour').selectOption('snr')
  await expect(page.getByTestId('chip-map-colour')).toHaveValue('snr')
})

test('heatmaps: square cells, rows on y and columns on x, labels at least 14 px apart', async ({ page }) => {
  await openCharts(page)
  for (const id of ['chart-sta', 'chart-eimage']) {
    const card = page.getByTestId(id)
    await expect(card).toHaveAttribute('data-cell-w', /\d/)
    const w = await num(card, 'data-cell-w')
    const h = await num(card, 'data-cell-h')
    expect(w).toBeGreaterThan(3)
    expect(Math.abs(w - h)).toBeLessThan(0.01)
    const step = await num(card, 'data-label-step')
    // 11 px labels: consecutive shown labels at least 14 px apart, and no sparser than needed.
    expect(step * w).toBeGreaterThanOrEqual(14)
    expect(step).toBeLessThanOrEqual(10)
  }
  // Tooltips name row and column the way the unit table does (1-based electrodes).
  const e = page.getByTestId('chart-eimage')
  await e.scrollIntoViewIfNeeded()
  const canvas = (await e.locator('canvas').first().boundingBox())!
  await page.mouse.move(canvas.x + canvas.width * 0.4, canvas.y + canvas.height * 0.5)
  await expect(page.locator('.chart-eimage-tooltip')).toContainText(/row \d+, column \d+: .* ADC counts/)
})

test('electrical image: robust and per-frame scales keep a late lag visible, the movie plays', async ({ page }) => {
  await openCharts(page)
  const e = page.getByTestId('chart-eimage')
  const slider = page.getByTestId('chart-eimage-slider')
  await slider.fill(await slider.getAttribute('max') as string) // the last lag, long after the spike
  await page.getByTestId('chart-eimage-scale').selectOption('global')
  let globalInk = 0
  await expect.poll(async () => (globalInk = await colouredPixels(e))).toBeGreaterThan(0) // the colour bar
  await page.getByTestId('chart-eimage-scale').selectOption('robust')
  await expect.poll(() => colouredPixels(e)).toBeGreaterThan(globalInk * 2)
  await page.getByTestId('chart-eimage-scale').selectOption('frame')
  await expect.poll(() => colouredPixels(e)).toBeGreaterThan(globalInk * 2)

  const label = e.getByTestId('frame-label')
  const first = await label.textContent()
  await page.getByTestId('chart-eimage-play').click()
  await expect(label).not.toHaveText(first!)
  await page.getByTestId('chart-eimage-play').click()
  await expect(page.getByTestId('chart-eimage-play')).toHaveText('Play')
})

test('light reference: frames in a strip of their own, ordinal wording, units on the axis', async ({ page }) => {
  await openCharts(page)
  const info = page.getByTestId('light-info')
  await expect(info).toContainText(/frames \(every \d+(st|nd|rd|th) shown\)/)
  await expect(info).not.toContainText(/\b(2|3)th\b/)
  const card = page.getByTestId('chart-light')
  const canvas = (await card.locator('canvas').first().boundingBox())!
  await page.mouse.move(canvas.x + canvas.width * 0.3, canvas.y + 80)
  const tooltip = page.locator('.light-tooltip')
  await expect(tooltip).toContainText('ADC counts')
  await expect(tooltip).not.toContainText('frames')
  await expect(page.getByTestId('chart-rate')).toContainText('Firing rate (100 ms bins)')
})

test('unit table by keyboard: Tab to a column, Enter sorts, arrows move the selection', async ({ page }) => {
  await openCharts(page)
  const sort = page.getByTestId('sort-spikeCount')
  await sort.focus()
  await page.keyboard.press('Enter')
  await expect(sort.locator('xpath=..')).toHaveAttribute('aria-sort', 'descending')
  const rows = page.getByTestId('unit-table').locator('tbody tr')
  const counts = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.children[3].textContent)))
  expect(counts).toEqual([...counts].sort((a, b) => b - a))
  await page.keyboard.press('Enter')
  await expect(sort.locator('xpath=..')).toHaveAttribute('aria-sort', 'ascending')

  // Tab from the last column button lands on the selected row; Home / ArrowDown select by keyboard.
  await page.getByTestId('unit-table').locator('th button').last().focus()
  await page.keyboard.press('Tab')
  await expect(page.locator('tbody tr:focus')).toHaveClass(/selected/)
  await page.keyboard.press('Home')
  const firstId = (await rows.nth(0).getAttribute('data-unit'))!
  await expect(page.getByTestId('selected-unit')).toHaveText(firstId)
  await page.keyboard.press('ArrowDown')
  const secondId = (await rows.nth(1).getAttribute('data-unit'))!
  await expect(page.getByTestId('selected-unit')).toHaveText(secondId)
  await expect(rows.nth(1)).toBeFocused()
  await expect(page.getByTestId('chip-map')).toHaveAttribute('data-selected', secondId)
})

test('layout at 1366 x 768: nothing wider than the page beside the session panel; screenshots in both themes', async ({ page }, testInfo) => {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await openCharts(page)
    const main = page.locator('main')
    const overflow = await main.evaluate((el) => el.scrollWidth - el.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await expect.poll(() => inked(page.getByTestId('chart-eimage'))).toBeGreaterThan(1500)
    // The page scrolls inside <main>: one screenshot per screenful, top to bottom.
    const screens = await main.evaluate((el) => Math.ceil(el.scrollHeight / (el.clientHeight - 40)))
    for (let k = 0; k < screens; k++) {
      await main.evaluate((el, i) => (el.scrollTop = i * (el.clientHeight - 40)), k)
      await page.screenshot({ path: shotPath(testInfo, `charts-1366x768-${scheme}-${k + 1}.png`) })
    }
    await main.evaluate((el) => (el.scrollTop = 0))
    await page.getByTestId('chip-map').screenshot({ path: shotPath(testInfo, `chip-map-1366x768-${scheme}.png`) })
  }
})
