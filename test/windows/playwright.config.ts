import { defineConfig } from '@playwright/test'

// The installed-app smoke test of .github/workflows/windows.yml (runs only on a Windows runner with the
// app installed; HDMEA_APP_EXE names its executable). Not part of the Linux `npm test` run, whose
// Playwright config only looks in test/e2e.
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  workers: 1,
  timeout: 15 * 60_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  outputDir: '../../test-results/windows',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
})
