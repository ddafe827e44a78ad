// Body capture: chunks are copied as they stream by (the filter returns
// Continue, so Envoy shows each chunk once) up to a cap; the bytes beyond the
// cap are counted, not kept. The host writes each chunk straight into one
// capture buffer (malloc.ts hand-off): no block per chunk, no join at the end.
//
// The buffer grows with the bytes that actually arrived, never with what the
// headers announce: a content-length only stops growth at the announced size
// (so a body that keeps its word ends in a buffer of exactly its size) and lets
// the last chunk be sized exactly. Until the end of the body the buffer is at
// most twice what arrived (doubling: one copy of what was captured, amortized
// ≤ 1× the body); once what arrived is within a quarter of an announced
// content-length, the buffer takes the announced size at once (a 64 KiB body in
// 16 KiB chunks is never copied; a sender that announces more and stops makes
// the filter hold at most 4× what it sent, within the budget). Buffers come from body-pool.ts under the VM's memory budget;
// when the budget refuses to grow one, capture stops there and the event is
// sent with what was captured, marked truncated and over budget.

import { readBufferInto } from "./hostcalls";
import { NO_BYTES, parseDecimal } from "./bytes";
import { capacityOf, giveBuffer, resizeBuffer, takeBuffer } from "./body-pool";

export class Capture {
  whole: ArrayBuffer | null = null; // byteLength = its capacity while capturing
  captured: i32 = 0;
  seen: i64 = 0;
  expected: i64 = -1; // content-length, when the headers gave one
  overBudget: bool = false; // the budget refused to hold more of this body

  // A content-length header value; ignored unless it is a plain decimal.
  expect(p: usize, len: i32): void {
    const n = parseDecimal(p, len);
    if (n >= 0) this.expected = n;
  }

  // Copies at most what still fits under `cap` of the current chunk.
  take(bufferType: i32, chunkSize: i32, cap: i32, last: bool): void {
    if (chunkSize <= 0) return;
    this.seen += chunkSize;
    const room = cap - this.captured;
    if (room <= 0 || this.overBudget) return;
    const want = chunkSize < room ? chunkSize : room;
    const need = this.captured + want;
    let whole = this.whole;
    if (whole === null || need > whole.byteLength) {
      const bigger = this.grow(need, cap, last);
      if (bigger === null) {
        this.overBudget = true;
        return;
      }
      if (whole !== null) {
        memory.copy(changetype<usize>(bigger), changetype<usize>(whole), <usize>this.captured);
        giveBuffer(whole);
      }
      whole = this.whole = bigger;
    }
    const space = whole.byteLength - this.captured;
    this.captured += readBufferInto(bufferType, 0, <u32>want, changetype<usize>(whole) + <usize>this.captured, space);
  }

  // A buffer for `need` bytes: exact when no more can come (end of body, the
  // announced size reached, the cap), else room for as much again.
  private grow(need: i32, cap: i32, last: bool): ArrayBuffer | null {
    let size = need;
    if (!last && need < cap && <i64>need != this.expected) {
      size = need <= cap >> 1 ? need << 1 : cap;
      // Within 4× of an announced size: straight to it (one step instead of two).
      if (this.expected > <i64>need && this.expected <= <i64>need << 2 && this.expected <= <i64>cap) size = <i32>this.expected;
      if (this.expected > <i64>need && this.expected < <i64>size) size = <i32>this.expected;
    }
    const buf = takeBuffer(size);
    return buf === null ? null : full(buf);
  }

  // Where captured byte `offset` is (valid until the next take).
  at(offset: i32): usize {
    const whole = this.whole;
    return whole === null ? 0 : changetype<usize>(whole) + <usize>offset;
  }

  get truncated(): bool {
    return this.seen > <i64>this.captured;
  }

  // The captured bytes, in the capture buffer itself (resized in place, no copy).
  // The capture lets go of it: the caller owns it (and gives it back to the pool).
  body(): ArrayBuffer {
    const whole = this.whole;
    this.whole = null;
    if (whole === null) return NO_BYTES;
    return resizeBuffer(whole, this.captured);
  }

  release(): void {
    const whole = this.whole;
    this.whole = null;
    if (whole !== null) giveBuffer(whole);
  }

  // Back to a fresh capture (a reused stream's; its buffer was released).
  reset(): void {
    this.release();
    this.captured = 0;
    this.seen = 0;
    this.expected = -1;
    this.overBudget = false;
  }
}

// A buffer with byteLength raised to its whole capacity (pool classes are powers of two).
function full(buf: ArrayBuffer): ArrayBuffer {
  const c = capacityOf(buf);
  return c > buf.byteLength ? resizeBuffer(buf, c) : buf;
}
