// Accessibility: axe-core (WCAG 2.1 A and AA rules) on each page of the workbench, in the light and the
// dark theme, at 1366 x 768. Any serious or critical violation fails, listed with its rule and elements.
// To check another page, add an entry to PAGES: its name, whether it needs a computed session, and how
// to get there from a freshly loaded workbench. Each page is also saved as a screenshot (test-results/screenshots/).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { type Page, expect, test } from '@playwright/test'
import { computeDemoSession } from './demoSession'
import { type RunningHost, demoDir, startHost } from './host'

interface PageEntry {
  name: string
  session: boolean
  open(page: Page): Promise<void>
}

const PAGES: PageEntry[] = [
  {
    name: 'start',
    session: false,
    async open(page) {
      await expect(page.getByTestId('start-page')).toBeVisible()
    },
  },
  {
    name: 'step',
    session: true,
    async open(page) {
      await page.getByTestId('side-compute_sta').click()
      await expect(page.getByTestId('step-compute_sta')).toBeVisible()
    },
  },
  {
    name: 'review',
    session: true,
    async open(page) {
      await page.getByTestId('side-review').click()
      await expect(page.getByTestId('review-page')).toBeVisible()
    },
  },
  {
    name: 'charts',
    session: true,
    async open(page) {
      await page.getByTestId('nav-charts').click()
      await expect(page.getByTestId('chip-map')).toHaveAttribute('data-cell-w', /\d/)
      await expect(page.getByTestId('chart-eimage')).toHaveAttribute('data-cell-w', /\d/)
    },
  },
  {
    name: 'batch',
    session: true,
    async open(page) {
      await page.getByTestId('nav-batch').click()
      await expect(page.getByTestId('nav-batch')).toHaveClass(/active/)
    },
  },
  {
    name: 'settings',
    session: true,
    async open(page) {
      await page.getByTestId('nav-settings').click()
      await expect(page.getByTestId('nav-settings')).toHaveClass(/active/)
    },
  },
  {
    name: 'log',
    session: true,
    async open(page) {
      await page.getByTestId('nav-log').click()
      await expect(page.getByTestId('nav-log')).toHaveClass(/active/)
    },
  },
]

const BLOCKING = new Set(['serious', 'critical'])

let host: RunningHost
let workdir: string
let computed = false

test.use({ viewport: { width: 1366, height: 768 } })

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-a11y-'))
  host = await startHost(workdir, ['--demo-dir', demoDir()])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('step page at 1366 x 768: the sticky run footer takes at most 15 % of the height', async ({ page }) => {
  if (!computed) {
    await computeDemoSession(host)
    computed = true
  }
  await page.goto(host.url)
  await page.getByTestId('side-compute_sta').click()
  // A failed re-run shows the most below Run: the error naming a long path, and the note that the
  // earlier results are still in the session.
  const dir = page.getByTestId('param-stimulus_dir').locator('input').first()
  await dir.fill(join(workdir, 'a folder name long enough to wrap the error message onto more lines', 'no-such-stimuli'))
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-error')).toContainText('no-such-stimuli', { timeout: 120_000 })
  const footer = page.getByTestId('step-compute_sta').locator('.footer')
  const height = await footer.evaluate((el) => el.getBoundingClientRect().height)
  expect(height).toBeGreaterThan(0)
  expect(height).toBeLessThanOrEqual(0.15 * 768)
})

for (const entry of [...PAGES].sort((a, b) => Number(a.session) - Number(b.session))) {
  for (const scheme of ['light', 'dark'] as const) {
    test(`axe: ${entry.name} page, ${scheme} theme`, async ({ page }, info) => {
      if (entry.session && !computed) {
        await computeDemoSession(host)
        computed = true
      }
      await page.emulateMedia({ colorScheme: scheme })
      await page.goto(host.url)
      await expect(page.getByTestId('connection')).toHaveCount(0) // the backend answered: a page in its settled state
      await entry.open(page)
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
      const blocking = result.violations.filter((v) => BLOCKING.has(v.impact ?? ''))
      const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}  ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`).join('\n')}`)
      expect(report, `serious or critical axe violations on the ${entry.name} page (${scheme})`).toEqual([])
      // The page as checked, for a look by a person: test-results/screenshots/page-<name>-1366x768-<theme>.png
      await page.screenshot({ path: join(info.project.outputDir, 'screenshots', `page-${entry.name}-1366x768-${scheme}.png`) })
    })
  }
}
