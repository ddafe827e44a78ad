// A growable byte buffer whose memory is charged to the VM's budget (body-pool.ts), for what
// a stream accumulates besides its captured bodies: a partial SSE line or event, reassembled
// completion text. It doubles like a capture; a growth the budget refuses is an answer
// (APPEND_OVER_BUDGET), never a trap.

import { capacityOf, giveBuffer, resizeBuffer, takeBuffer } from "./body-pool";
import { copyBytes } from "./bytes";

export const APPENDED: i32 = 0;
export const APPEND_OVER_LIMIT: i32 = 1; // the caller's limit would be passed: nothing appended
export const APPEND_OVER_BUDGET: i32 = 2; // limits.maxHeldBytes refused to grow it: nothing appended

export class HeldBytes {
  private buf: ArrayBuffer | null = null; // byteLength = its capacity
  len: i32 = 0;

  get ptr(): usize {
    const b = this.buf;
    return b === null ? 0 : changetype<usize>(b);
  }

  // Appends [p, p+n) unless the total would pass `limit` or the budget refuses.
  append(p: usize, n: i32, limit: i32): i32 {
    if (n <= 0) return APPENDED;
    const need = this.len + n;
    if (need > limit) return APPEND_OVER_LIMIT;
    let b = this.buf;
    if (b === null || need > b.byteLength) {
      let size = b === null ? 256 : b.byteLength << 1;
      while (size < need) size <<= 1;
      if (size > limit) size = limit;
      const bigger = takeBuffer(size);
      if (bigger === null) return APPEND_OVER_BUDGET;
      const grown = resizeBuffer(bigger, capacityOf(bigger));
      if (b !== null) {
        memory.copy(changetype<usize>(grown), changetype<usize>(b), <usize>this.len);
        giveBuffer(b);
      }
      this.buf = b = grown;
    }
    copyBytes(changetype<usize>(b) + <usize>this.len, p, n);
    this.len = need;
    return APPENDED;
  }

  // Empty again, its buffer kept for the next use.
  clear(): void {
    this.len = 0;
  }

  // Its buffer back to the pool.
  release(): void {
    const b = this.buf;
    this.buf = null;
    this.len = 0;
    if (b !== null) giveBuffer(b);
  }
}
