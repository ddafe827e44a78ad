// Reads a header map in the proxy-wasm pairs format without allocating a
// string per header: [count u32][klen u32, vlen u32]*count then k\0 v\0 ...
// A reader is reset onto each block (no object per read); names are compared
// as bytes with literals encoded once (bytes.ts lit).

import { NO_BYTES, bytesEqual } from "./bytes";

export class PairsReader {
  private base: usize = 0;
  private end: usize = 0;
  private count: u32 = 0;
  private index: u32 = 0;
  private sizes: usize = 0;
  private data: usize = 0;
  keyPtr: usize = 0;
  keyLen: i32 = 0;
  valuePtr: usize = 0;
  valueLen: i32 = 0;

  constructor(buf: ArrayBuffer = NO_BYTES) {
    this.reset(buf);
  }

  // Starts over on a block (the caller keeps it alive while reading).
  reset(buf: ArrayBuffer): PairsReader {
    return this.resetAt(changetype<usize>(buf), buf.byteLength);
  }

  resetAt(p: usize, n: i32): PairsReader {
    this.base = p;
    this.end = p + (n > 0 ? <usize>n : 0);
    this.count = n >= 4 ? load<u32>(this.base) : 0;
    this.index = 0;
    this.sizes = this.base + 4;
    this.data = this.sizes + <usize>this.count * 8;
    if (this.data > this.end) this.count = 0; // malformed: treat as empty, as cpp-host does
    return this;
  }

  next(): bool {
    if (this.index >= this.count) return false;
    const kl = load<u32>(this.sizes + <usize>this.index * 8);
    const vl = load<u32>(this.sizes + <usize>this.index * 8 + 4);
    if (this.data + <usize>kl + <usize>vl + 2 > this.end) { this.count = 0; return false; }
    this.keyPtr = this.data;
    this.keyLen = <i32>kl;
    this.valuePtr = this.data + <usize>kl + 1;
    this.valueLen = <i32>vl;
    this.data += <usize>kl + <usize>vl + 2;
    this.index++;
    return true;
  }

  // Case-sensitive: Envoy hands header names to the filter in lower case, so
  // callers pass lower-case names.
  @inline keyIs(name: ArrayBuffer): bool {
    return bytesEqual(this.keyPtr, this.keyLen, name);
  }
}

export function bytesStartWith(p: usize, n: i32, prefix: ArrayBuffer): bool {
  const k = prefix.byteLength;
  return n >= k && memory.compare(p, changetype<usize>(prefix), <usize>k) == 0;
}
