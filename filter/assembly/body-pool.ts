// Reused buffers for captured bodies. A body buffer is written in full by the
// host (malloc hand-off, capture.ts), yet the runtime's __new clears every
// block it hands out: for a 1 MiB body that is a 1 MiB memory.fill per
// direction per exchange. Buffers of POOL_MIN bytes or more are therefore
// allocated in power-of-two classes and come back here once their event has
// been handed to the host (delivery.ts); a buffer taken again is resized with
// __renew, which keeps the block and skips the fill when it fits.
//
// The free list is bounded (FREE_MAX buffers, FREE_MAX_BYTES); beyond it a
// returned buffer is left to the collector. Linear memory never shrinks, so
// keeping a buffer costs no more memory than the peak it came from.

const POOL_MIN: i32 = 16 * 1024;
const FREE_MAX: i32 = 8;
const FREE_MAX_BYTES: i64 = 8 * 1024 * 1024;

const lent = new Map<usize, i32>(); // buffer -> its capacity (class size)
const freeBufs: ArrayBuffer[] = [];
const freeCaps: i32[] = [];
let freeBytes: i64 = 0;

function classOf(size: i32): i32 {
  let c = POOL_MIN;
  while (c < size && c < 0x40000000) c <<= 1;
  return c;
}

// A buffer of byteLength `size`; its contents are undefined unless it is small
// (below POOL_MIN it is a fresh, cleared ArrayBuffer).
export function takeBuffer(size: i32): ArrayBuffer {
  if (size < POOL_MIN) {
    const small = new ArrayBuffer(size);
    lent.delete(changetype<usize>(small)); // a collected pool buffer's address, reused
    return small;
  }
  // Smallest free buffer that fits.
  let best = -1;
  for (let i = 0; i < freeBufs.length; i++) {
    const c = unchecked(freeCaps[i]);
    if (c >= size && (best < 0 || c < unchecked(freeCaps[best]))) best = i;
  }
  if (best >= 0) {
    const buf = unchecked(freeBufs[best]);
    const cap = unchecked(freeCaps[best]);
    const last = freeBufs.length - 1;
    unchecked((freeBufs[best] = freeBufs[last]));
    unchecked((freeCaps[best] = freeCaps[last]));
    freeBufs.pop();
    freeCaps.pop();
    freeBytes -= cap;
    lent.set(changetype<usize>(buf), cap);
    return changetype<ArrayBuffer>(__renew(changetype<usize>(buf), <usize>size)); // same block: no fill
  }
  const cap = classOf(size);
  const fresh = changetype<ArrayBuffer>(__new(<usize>cap, idof<ArrayBuffer>()));
  lent.set(changetype<usize>(fresh), cap);
  return changetype<ArrayBuffer>(__renew(changetype<usize>(fresh), <usize>size));
}

// Capacity of a buffer from takeBuffer (its block may hold more than its byteLength).
export function capacityOf(buf: ArrayBuffer): i32 {
  const p = changetype<usize>(buf);
  return lent.has(p) ? lent.get(p) : buf.byteLength;
}

// Resizes a buffer within its capacity, in place (no copy, no fill).
export function resizeBuffer(buf: ArrayBuffer, size: i32): ArrayBuffer {
  return changetype<ArrayBuffer>(__renew(changetype<usize>(buf), <usize>size));
}

// Hands a buffer back. Buffers that did not come from takeBuffer are ignored, so
// callers may pass any body. The caller must hold no other reference to it.
export function giveBuffer(buf: ArrayBuffer): void {
  const p = changetype<usize>(buf);
  if (!lent.has(p)) return;
  const cap = lent.get(p);
  lent.delete(p);
  if (freeBufs.length >= FREE_MAX || freeBytes + <i64>cap > FREE_MAX_BYTES) return;
  freeBufs.push(buf);
  freeCaps.push(cap);
  freeBytes += cap;
}
