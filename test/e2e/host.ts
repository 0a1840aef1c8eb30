// Starts the real web host (node out/main/web.js) as a child process and reads the URL it prints.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export interface RunningHost {
  url: string
  base: string
  token: string
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

const WEB_JS = resolve(import.meta.dirname, '../../out/main/web.js')
export const PYTHON = '/usr/bin/python3'

/** The demo folder of this test run (see global-setup.ts). */
export function demoDir(): string {
  const dir = process.env.HDMEA_E2E_DEMO_DIR
  if (!dir) throw new Error('HDMEA_E2E_DEMO_DIR is not set; run the tests through playwright.config.ts')
  return dir
}

export async function startHost(workdir: string, extraArgs: string[] = []): Promise<RunningHost> {
  if (!existsSync(WEB_JS)) throw new Error(`${WEB_JS} is missing; run \`npm run build\` first`)
  // Python step plugins (the bundled ones too) run with the interpreter that has h5py and numpy.
  const child = spawn(process.execPath, [WEB_JS, '--workdir', workdir, '--python', PYTHON, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not print its URL within 20 s:\n${out}`)), 20_000)
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolvePromise(m[1])
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`web host exited with ${code}:\n${out}`))
    })
  })
  const u = new URL(url)
  return {
    url,
    base: `${u.protocol}//${u.host}`,
    token: u.searchParams.get('token')!,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** Pixels of a chart's canvases (ECharts may add hover layers) that differ from their corner pixel (the background). */
export const INKED_PIXELS_SCRIPT = `(el) => {
  let n = 0
  for (const canvas of el.querySelectorAll('canvas')) {
    const { width, height } = canvas
    if (!width || !height) continue
    const d = canvas.getContext('2d').getImageData(0, 0, width, height).data
    const bg = [d[0], d[1], d[2], d[3]]
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) + Math.abs(d[i + 3] - bg[3]) > 40) n++
    }
  }
  return n
}`
