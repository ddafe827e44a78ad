// Body capture: chunks are copied as they stream by (the filter returns
// Continue, so Envoy shows each chunk once) up to a cap; the bytes beyond the
// cap are counted, not kept. When the size is announced (content-length) and
// more than one chunk is coming, one buffer of that size is allocated and the
// host writes each chunk straight into it (malloc.ts hand-off): no block per
// chunk, no join at the end, peak memory ≈ the body.

import { getBufferBytes, readBufferInto } from "./hostcalls";

export class Capture {
  chunks: ArrayBuffer[] = [];
  whole: ArrayBuffer | null = null;
  captured: i32 = 0;
  seen: i64 = 0;
  expected: i64 = -1; // content-length, when the headers gave one

  // A content-length header value; ignored unless it is a plain decimal.
  expect(p: usize, len: i32): void {
    if (len <= 0 || len > 12) return;
    let n: i64 = 0;
    for (let i = 0; i < len; i++) {
      const c = load<u8>(p + <usize>i);
      if (c < 0x30 || c > 0x39) return;
      n = n * 10 + <i64>(c - 0x30);
    }
    this.expected = n;
  }

  // Copies at most what still fits under `cap` of the current chunk.
  take(bufferType: i32, chunkSize: i32, cap: i32): void {
    if (chunkSize <= 0) return;
    this.seen += chunkSize;
    const room = cap - this.captured;
    if (room <= 0) return;
    const want = chunkSize < room ? chunkSize : room;
    if (this.whole === null && this.chunks.length == 0 && this.expected > <i64>want) {
      const size = this.expected < <i64>cap ? <i32>this.expected : cap;
      this.whole = changetype<ArrayBuffer>(__new(<usize>size, idof<ArrayBuffer>())); // filled below: no zero-fill
    }
    const whole = this.whole;
    if (whole !== null) {
      const space = whole.byteLength - this.captured;
      if (want <= space) {
        // The host writes the chunk in place (malloc hand-off): no block, no copy.
        this.captured += readBufferInto(bufferType, <u32>want, changetype<usize>(whole) + <usize>this.captured, space);
        return;
      }
      // More than announced: go on with a list of chunks.
      this.chunks.push(whole.slice(0, this.captured));
      this.whole = null;
    }
    const chunk = getBufferBytes(bufferType, 0, <u32>want);
    if (chunk === null || chunk.byteLength == 0) return;
    this.chunks.push(chunk);
    this.captured += chunk.byteLength;
  }

  get truncated(): bool {
    return this.seen > <i64>this.captured;
  }

  // The captured bytes as one buffer: the single chunk itself when there is
  // one (no copy), else one concatenation.
  body(): ArrayBuffer {
    const whole = this.whole;
    if (whole !== null) return this.captured == whole.byteLength ? whole : whole.slice(0, this.captured);
    const n = this.chunks.length;
    if (n == 0) return new ArrayBuffer(0);
    if (n == 1) return this.chunks[0];
    // Every byte is written below: no zero-fill (new ArrayBuffer would clear it first).
    const out = changetype<ArrayBuffer>(__new(<usize>this.captured, idof<ArrayBuffer>()));
    let off: usize = 0;
    for (let i = 0; i < n; i++) {
      const c = this.chunks[i];
      memory.copy(changetype<usize>(out) + off, changetype<usize>(c), <usize>c.byteLength);
      off += <usize>c.byteLength;
    }
    return out;
  }

  release(): void {
    this.chunks = [];
    this.whole = null;
  }
}
