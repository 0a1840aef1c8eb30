// Types of pack-rules.mjs for the TypeScript tests.
export interface PackageJson {
  main?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  scripts?: Record<string, string>
  [key: string]: unknown
}
export function packageOf(specifier: string): string | null
export function importSpecifiers(source: string): string[]
export function productionClosure(rootPackage: PackageJson, readPackage: (name: string) => PackageJson | null, options?: { withOptional?: boolean }): Set<string>
export function checkAsarContent(input: {
  files: string[]
  unpacked: string[]
  builtFiles: string[]
  rootPackage: PackageJson
  productionPackages: Set<string>
  allowedPackages?: Set<string>
  workerFiles: string[]
  workerPackages: string[]
}): string[]
export function checkPackagedManifest(manifest: PackageJson): string[]
