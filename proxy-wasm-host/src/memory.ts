// Bounds-checked access to the module's linear memory. memory.grow (e.g. inside
// malloc) detaches the old ArrayBuffer, so the views are re-made whenever the
// buffer changed. Out-of-bounds => null/false, which callers turn into
// InvalidMemoryAccess (cpp-host src/v8/v8.cc getMemory/setMemory/setWord).

/** Byte counters of host copies (see VmProfile in vm.ts). */
export interface CopyCounter {
  bytesIn: number;
  bytesOut: number;
}

export class WasmMemory {
  /** Set while the VM is profiled; null otherwise. */
  profile: CopyCounter | null = null;
  private buf: ArrayBuffer;
  private bytes: Uint8Array;
  private words: DataView;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.buf = memory.buffer;
    this.bytes = new Uint8Array(this.buf);
    this.words = new DataView(this.buf);
  }

  private current(): ArrayBuffer {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.bytes = new Uint8Array(b);
      this.words = new DataView(b);
    }
    return b;
  }

  get byteLength(): number {
    return this.current().byteLength;
  }

  private inBounds(ptr: number, size: number): boolean {
    return ptr >= 0 && size >= 0 && ptr + size <= this.current().byteLength;
  }

  /** A COPY of [ptr, ptr+size), or null when out of bounds. */
  read(ptr: number, size: number): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    if (this.profile !== null) this.profile.bytesOut += size;
    return Buffer.from(this.bytes.subarray(ptr, ptr + size));
  }

  /** A copy of [ptr, ptr+size) into a buffer from `alloc` (e.g. a pool), or null when out of bounds. */
  readWith(ptr: number, size: number, alloc: { take(size: number): Buffer }): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    if (this.profile !== null) this.profile.bytesOut += size;
    const out = alloc.take(size);
    out.set(this.bytes.subarray(ptr, ptr + size));
    return out;
  }

  /** A live view of [ptr, ptr+size) for the host to write into (counted as copied in), or null. */
  view(ptr: number, size: number): Uint8Array | null {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    if (this.profile !== null) this.profile.bytesIn += size;
    return this.bytes.subarray(ptr, ptr + size);
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, data.length)) return false;
    if (this.profile !== null) this.profile.bytesIn += data.length;
    this.bytes.set(data, ptr);
    return true;
  }

  /** wasm32 setWord: u32 little-endian. */
  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    this.words.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    this.words.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  readU32(ptr: number): number | null {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return null;
    return this.words.getUint32(ptr, true);
  }
}
