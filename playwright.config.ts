import { defineConfig } from '@playwright/test'

// The e2e tests start the real web host (out/main/web.js, built by `npm run build`) themselves, once per
// test file, with a temporary working folder; see test/e2e/host.ts.
export default defineConfig({
  testDir: 'test/e2e',
  globalSetup: './test/e2e/global-setup.ts',
  // PLAYWRIGHT_OUTPUT_DIR lets two runs in one checkout keep apart (each run empties its folder first).
  outputDir: process.env.PLAYWRIGHT_OUTPUT_DIR || 'test-results',
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1500, height: 950 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
})
