// What a packaged app.asar must and must not hold (used by scripts/pack-check.mjs; unit-tested in
// test/unit/packRules.test.ts). Pure functions over file lists and package.json contents.

import { builtinModules } from 'node:module'

const BUILTINS = new Set(builtinModules)

/** The package name of a bare import specifier ('h5wasm/node' -> 'h5wasm', '@a/b/c' -> '@a/b'), or null. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  if (BUILTINS.has(name) || name === 'electron') return null
  return name
}

/** Static and dynamic import / require specifiers of a bundled JavaScript file. */
export function importSpecifiers(source) {
  const found = new Set()
  const patterns = [
    /\bimport\s+(?:[^'"`;]*?\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+[^'"`;]*?\s+from\s+["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ]
  for (const re of patterns) for (const m of source.matchAll(re)) found.add(m[1])
  return [...found]
}

/**
 * The production packages the app needs: package.json dependencies and, recursively, theirs.
 * Optional dependencies (the code copes without them; electron-builder leaves them out) only with
 * `withOptional`, and only when installed. `readPackage(name)` returns a package's package.json or null.
 */
export function productionClosure(rootPackage, readPackage, { withOptional = false } = {}) {
  const needed = new Set()
  const visit = (deps, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      if (needed.has(name)) continue
      const pkg = readPackage(name)
      if (!pkg) {
        if (optional) continue
        throw new Error(`${name} is a production dependency but is not installed (run npm ci)`)
      }
      needed.add(name)
      visit(pkg.dependencies, false)
      if (withOptional) visit(pkg.optionalDependencies, true)
    }
  }
  visit(rootPackage.dependencies, false)
  if (withOptional) visit(rootPackage.optionalDependencies, true)
  return needed
}

const TEST_OR_BENCH = /(^|\/)(test|tests|__tests__|bench|benchmark|benchmarks|e2e|fixtures)(\/|$)|\.(test|spec|bench)\.[cm]?[jt]sx?$/i

/**
 * Problems with the content of app.asar. `files` are the archive's paths without a leading slash
 * (directories included); `unpacked` those stored in app.asar.unpacked.
 */
export function checkAsarContent({ files, unpacked, builtFiles, rootPackage, productionPackages, allowedPackages = productionPackages, workerFiles, workerPackages }) {
  const problems = []
  const have = new Set(files)
  const unpackedSet = new Set(unpacked)

  for (const f of builtFiles) if (!have.has(f)) problems.push(`missing built file ${f}`)
  if (!have.has('package.json')) problems.push('missing package.json')
  const main = (rootPackage.main ?? '').replace(/^\.\//, '')
  if (main && !have.has(main)) problems.push(`missing the main entry ${main}`)
  for (const name of productionPackages) {
    if (!have.has(`node_modules/${name}/package.json`)) problems.push(`missing production package ${name}`)
  }

  // Worker threads load outside Electron's asar support: their script, its chunks and packages unpacked.
  for (const f of workerFiles) {
    if (!unpackedSet.has(f)) problems.push(`worker file ${f} is not in app.asar.unpacked`)
  }
  for (const name of workerPackages) {
    const inside = files.filter((f) => f.startsWith(`node_modules/${name}/`) && /\.(c|m)?js$|\.json$|\.wasm$/.test(f))
    if (inside.length === 0) problems.push(`worker package ${name} is missing`)
    for (const f of inside) if (!unpackedSet.has(f)) problems.push(`worker package file ${f} is not unpacked`)
  }

  const dev = Object.keys(rootPackage.devDependencies ?? {}).filter((d) => !allowedPackages.has(d))
  for (const f of files) {
    const top = f.split('/')[0]
    if (!['out', 'node_modules', 'package.json'].includes(top)) problems.push(`unexpected file outside out/ and node_modules/: ${f}`)
    if (top === 'out' && (/\.map$/.test(f) || /\.tsx?$/.test(f))) problems.push(`source or map file in out/: ${f}`)
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]
    if (pkg && dev.includes(pkg)) problems.push(`devDependency in the package: ${f}`)
    // A scope folder (node_modules/@scope) is not a package; the packages inside it are checked by name.
    const scopeFolder = /^node_modules\/@[^/]+$/.test(f)
    if (pkg && !scopeFolder && !allowedPackages.has(pkg) && f === `node_modules/${pkg}`) problems.push(`package ${pkg} is not a production dependency`)
    if (TEST_OR_BENCH.test(f)) problems.push(`test or benchmark file: ${f}`)
  }
  return problems
}

/** The package.json electron-builder writes into the asar must not carry the development fields. */
export function checkPackagedManifest(manifest) {
  const problems = []
  for (const field of ['devDependencies', 'scripts']) {
    if (manifest[field] && Object.keys(manifest[field]).length > 0) problems.push(`packaged package.json still has ${field}`)
  }
  return problems
}
