// One demo folder per test run, shared by the spec files (the demo is generated on first use, a few
// seconds) and removed at the end, so a change to the generator can never meet a stale demo.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function globalSetup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'hdmea-e2e-demo-'))
  process.env.HDMEA_E2E_DEMO_DIR = join(dir, 'demo')
  return () => rmSync(dir, { recursive: true, force: true })
}
