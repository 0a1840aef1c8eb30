// Types of make-icon.mjs for the TypeScript tests.
export function drawIcon(size: number): Uint8Array
export function encodePng(size: number, rgba: Uint8Array): Buffer
export function encodeIco(images: Array<{ size: number; png: Buffer }>): Buffer
export function writeIcons(dir: string): void
