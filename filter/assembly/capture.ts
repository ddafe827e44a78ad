// Body capture: chunks are copied as they stream by (the filter returns
// Continue, so Envoy shows each chunk once) up to a cap; the bytes beyond the
// cap are counted, not kept.

import { getBufferBytes } from "./hostcalls";

export class Capture {
  chunks: ArrayBuffer[] = [];
  captured: i32 = 0;
  seen: i64 = 0;

  // Copies at most what still fits under `cap` of the current chunk.
  take(bufferType: i32, chunkSize: i32, cap: i32): void {
    if (chunkSize <= 0) return;
    this.seen += chunkSize;
    const room = cap - this.captured;
    if (room <= 0) return;
    const want = chunkSize < room ? chunkSize : room;
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
  }
}
