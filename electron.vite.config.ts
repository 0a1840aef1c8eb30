import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const r = (p: string) => resolve(import.meta.dirname, p)

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: r('src-main/app/main.ts'), // Electron main process (the shell in src-main/app)
          web: r('src-main/web.ts'), // the same backend served to a browser (no Electron binary)
          cli: r('src-main/cli/main.ts'), // headless runner: demo, run, batch
          task: r('src-worker/task.ts'), // Piscina worker entry
          sensorReader: r('src-worker/sensorReader.ts'), // the eimage step's sensor reader thread
          archiveThread: r('src-main/archive/thread/threadEntry.ts'), // the archive threads' entry (HDF5 archive I/O off the main thread)
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { preload: r('src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: r('src-renderer'),
    plugins: [vue()],
    build: {
      outDir: r('out/renderer'),
      rolldownOptions: { input: { index: r('src-renderer/index.html') } },
    },
  },
})
