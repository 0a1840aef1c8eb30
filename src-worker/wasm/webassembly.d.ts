// The part of the WebAssembly JavaScript API the SIMD kernels use. Node has it at run time, but its
// TypeScript declarations live in the DOM library, which code running in Node does not load
// (tsconfig.node.json); declared here instead, as the WebAssembly JS API specification defines them.

declare namespace WebAssembly {
  type ImportValue = Memory | ((...args: never[]) => unknown) | number
  type Imports = Record<string, Record<string, ImportValue>>
  type Exports = Record<string, unknown>

  interface MemoryDescriptor {
    initial: number
    maximum?: number
    shared?: boolean
  }

  class Module {
    constructor(bytes: ArrayBuffer | ArrayBufferView)
  }

  class Instance {
    constructor(module: Module, importObject?: Imports)
    readonly exports: Exports
  }

  class Memory {
    constructor(descriptor: MemoryDescriptor)
    readonly buffer: ArrayBuffer
    grow(delta: number): number
  }
}
