// One fresh Node process of `npm run bench:startup` (test/bench/startup.bench.ts): where the fixed cost of
// a first load_recording goes. Plain JavaScript on the built worker bundle (out/main/task.js), so what is
// timed is what the app loads, not a TypeScript loader.
//   node test/bench/startupProbe.mjs <task.js> <file.cmcr> <file.cmtr>
// Prints one JSON line of milliseconds:
//   mainImport / mainInstantiate: h5wasm alone in this process's main thread (import of its 4 MB glue,
//     then compile and instantiate of the embedded wasm, which starts at import); the app's own main
//     thread no longer loads h5wasm, every thread that reads HDF5 pays this
//   emptyThread: a worker thread that does nothing, from `new Worker` to its first message
//   threadBoot: from `new Worker` to the first line of the worker's script (a thread that loads task.js)
//   taskImport: import of task.js and everything it imports (h5wasm's glue included)
//   workerInstantiate: the rest of h5wasm's wasm compile and instantiate in that thread, after the import
//   firstOpen / againOpen: the .cmcr and .cmtr summaries (open, read metadata, close), first and second time
//   newWorkerBlocksMainMs: how long `new Worker(...)` holds the main thread

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'

const now = () => performance.timeOrigin + performance.now()

if (isMainThread) {
  const [taskFile, cmcr, cmtr] = process.argv.slice(2)
  const h5url = import.meta.resolve('h5wasm/node')
  const out = {}

  let t = now()
  const h5 = await import(h5url)
  out.mainImport = now() - t
  t = now()
  await h5.ready
  out.mainInstantiate = now() - t

  t = now()
  await new Promise((resolve, reject) => {
    const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true })
    w.once('message', () => w.terminate().then(resolve, reject))
    w.once('error', reject)
  })
  out.emptyThread = now() - t

  const spawned = now()
  const worker = new Worker(new URL(import.meta.url), { workerData: { taskUrl: new URL(`file://${taskFile}`).href, h5url, cmcr, cmtr } })
  out.newWorkerBlocksMainMs = now() - spawned
  const report = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  out.threadBoot = report.scriptStart - spawned
  Object.assign(out, report.phases)
  process.stdout.write(JSON.stringify(out) + '\n')
} else {
  const scriptStart = now()
  const { taskUrl, h5url, cmcr, cmtr } = workerData
  const phases = {}
  let t = now()
  const task = await import(taskUrl)
  phases.taskImport = now() - t
  t = now()
  await (await import(h5url)).ready
  phases.workerInstantiate = now() - t
  for (const key of ['firstOpen', 'againOpen']) {
    t = now()
    const results = [await task.mcsCmcrSummary({ path: cmcr }), await task.mcsCmtrSummary({ path: cmtr })]
    for (const r of results) if (r && r.error) throw new Error(r.error.message)
    phases[key] = now() - t
  }
  parentPort.postMessage({ scriptStart, phases })
}
