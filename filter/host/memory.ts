// Bounds-checked access to the module's linear memory. Views are re-created on
// every access because memory.grow (e.g. inside malloc) detaches old ones.
// Out-of-bounds => null, which callers turn into InvalidMemoryAccess
// (cpp-host src/v8/v8.cc getMemory/setMemory/setWord).

/** Byte counters of host copies (see VmProfile in vm.ts). */
export interface CopyCounter {
  bytesIn: number;
  bytesOut: number;
}

export class WasmMemory {
  /** Set while the VM is profiled; null otherwise. */
  profile: CopyCounter | null = null;

  constructor(private readonly memory: WebAssembly.Memory) {}

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  private inBounds(ptr: number, size: number): boolean {
    return ptr >= 0 && size >= 0 && ptr + size <= this.memory.buffer.byteLength;
  }

  /** A COPY of [ptr, ptr+size), or null when out of bounds. */
  read(ptr: number, size: number): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    if (this.profile !== null) this.profile.bytesOut += size;
    return Buffer.from(new Uint8Array(this.memory.buffer, ptr, size));
  }

  /** A copy of [ptr, ptr+size) into a buffer from `alloc` (e.g. a pool), or null when out of bounds. */
  readWith(ptr: number, size: number, alloc: (size: number) => Buffer): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    if (this.profile !== null) this.profile.bytesOut += size;
    const out = alloc(size);
    out.set(new Uint8Array(this.memory.buffer, ptr, size));
    return out;
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, data.length)) return false;
    if (this.profile !== null) this.profile.bytesIn += data.length;
    new Uint8Array(this.memory.buffer, ptr, data.length).set(data);
    return true;
  }

  /** wasm32 setWord: u32 little-endian. */
  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    new DataView(this.memory.buffer).setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    new DataView(this.memory.buffer).setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  readU32(ptr: number): number | null {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return null;
    return new DataView(this.memory.buffer).getUint32(ptr, true);
  }
}
