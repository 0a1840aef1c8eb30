/** The interpreter `{python}` stands for unless Settings or --python say otherwise. */
export function defaultPython(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'python' : 'python3'
}
