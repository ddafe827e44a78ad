// Reads a header map in the proxy-wasm pairs format without allocating a
// string per header: [count u32][klen u32, vlen u32]*count then k\0 v\0 ...

export class PairsReader {
  private base: usize;
  private end: usize;
  private count: u32;
  private index: u32 = 0;
  private sizes: usize;
  private data: usize;
  keyPtr: usize = 0;
  keyLen: i32 = 0;
  valuePtr: usize = 0;
  valueLen: i32 = 0;

  constructor(buf: ArrayBuffer) {
    this.base = changetype<usize>(buf);
    this.end = this.base + <usize>buf.byteLength;
    this.count = buf.byteLength >= 4 ? load<u32>(this.base) : 0;
    this.sizes = this.base + 4;
    this.data = this.sizes + <usize>this.count * 8;
    if (this.data > this.end) this.count = 0; // malformed: treat as empty, as cpp-host does
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

  keyIs(name: string): bool {
    return bytesEqualAscii(this.keyPtr, this.keyLen, name);
  }
}

// Compares bytes with an ASCII string, case-sensitively (Envoy hands header
// names to the filter in lower case, so callers pass lower-case names).
export function bytesEqualAscii(p: usize, n: i32, s: string): bool {
  if (n != s.length) return false;
  for (let i = 0; i < n; i++) if (<i32>load<u8>(p + <usize>i) != s.charCodeAt(i)) return false;
  return true;
}

export function bytesStartWithAscii(p: usize, n: i32, s: string): bool {
  if (n < s.length) return false;
  for (let i = 0; i < s.length; i++) if (<i32>load<u8>(p + <usize>i) != s.charCodeAt(i)) return false;
  return true;
}
