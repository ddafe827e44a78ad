// Every byte the VM holds for logging, under one budget (limits.maxHeldBytes):
// capture buffers of every live stream, each stream's fixed share and its
// ce-metadata, bodies kept for a retry, redaction output and batches. What the
// budget refuses is not captured; the event says so (ce-overbudget) and
// kserve_logger_events_over_budget counts it. Nothing here can trap: a refusal
// is an answer, never an allocation that fails.
//
// Body buffers are reused: the runtime's __new clears every block it hands out
// (for a 1 MiB body that is a 1 MiB memory.fill per direction per exchange), so
// buffers of POOL_MIN bytes or more come in power-of-two classes and come back
// here once their event has been handed to the host (delivery.ts); a buffer
// taken again is resized with __renew, which keeps the block and skips the fill.
// The free list is bounded (FREE_MAX buffers, FREE_MAX_BYTES) and counts against
// the budget like a lent buffer: linear memory never shrinks, so a kept buffer
// costs what it cost when it was lent.
//
// The collector: a released buffer is garbage until the incremental collector
// reaches it, and that collector lets garbage grow to the size of everything
// live before it starts a cycle. Released bytes are therefore counted, and once
// they reach gcSlack() a full collection runs, so that garbage adds at most
// gcSlack() to what the budget holds.

import { intDefault } from "./config-fields";

const POOL_MIN: i32 = 16 * 1024;
const FREE_MAX: i32 = 8;
const FREE_MAX_BYTES: i64 = 8 * 1024 * 1024;
const MIN_SLACK: i64 = 4 * 1024 * 1024;

// until the first configuration sets it: the default of limits.maxHeldBytes
let limit: i64 = <i64>intDefault("limits.maxHeldBytes");
let held: i64 = 0;
let released: i64 = 0;
let collections: i64 = 0;

const lent = new Map<usize, i32>(); // buffer -> its capacity (charged to the budget)
const freeBufs: ArrayBuffer[] = [];
const freeCaps: i32[] = [];
let freeBytes: i64 = 0;

// The budget of the newest accepted configuration applies to the whole VM.
export function setHeldLimit(bytes: i64): void {
  limit = bytes;
}

export function heldBytes(): i64 {
  return held;
}

export function heldLimit(): i64 {
  return limit;
}

export function fullCollections(): i64 {
  return collections;
}

// Garbage allowed before a full collection: an eighth of the budget, at least 4 MiB.
export function gcSlack(): i64 {
  const s = limit >> 3;
  return s > MIN_SLACK ? s : MIN_SLACK;
}

// Charges n bytes, giving up free-list buffers first when that makes room; false when it cannot.
export function reserve(n: i64): bool {
  if (held + n > limit) {
    while (freeBufs.length > 0 && held + n > limit) dropFree(freeBufs.length - 1);
    if (held + n > limit) return false;
  }
  held += n;
  return true;
}

// Gives back a charge taken with reserve; the bytes become garbage.
export function unreserve(n: i64): void {
  held -= n;
  noteGarbage(n);
}

// Bytes the filter let go to the collector (host blocks, scratch copies).
export function noteGarbage(n: i64): void {
  released += n;
  if (released >= gcSlack()) {
    released = 0;
    collections++;
    __collect();
  }
}

function classOf(size: i32): i32 {
  let c = POOL_MIN;
  while (c < size && c < 0x40000000) c <<= 1;
  return c;
}

// A buffer of byteLength `size` charged to the budget, or null when the budget
// cannot hold it. Its contents are undefined unless it is small (below POOL_MIN
// it is a fresh, cleared ArrayBuffer).
export function takeBuffer(size: i32): ArrayBuffer | null {
  if (size < POOL_MIN) {
    if (!reserve(size)) return null;
    const small = new ArrayBuffer(size);
    lent.set(changetype<usize>(small), size);
    return small;
  }
  // Smallest free buffer that fits: already charged, so it moves from the free list to the lent set.
  let best = -1;
  for (let i = 0; i < freeBufs.length; i++) {
    const c = unchecked(freeCaps[i]);
    if (c >= size && (best < 0 || c < unchecked(freeCaps[best]))) best = i;
  }
  if (best >= 0) {
    const buf = unchecked(freeBufs[best]);
    const cap = unchecked(freeCaps[best]);
    removeFree(best);
    lent.set(changetype<usize>(buf), cap);
    return changetype<ArrayBuffer>(__renew(changetype<usize>(buf), <usize>size)); // same block: no fill
  }
  const cap = classOf(size);
  if (!reserve(cap)) return null;
  const fresh = changetype<ArrayBuffer>(__new(<usize>cap, idof<ArrayBuffer>()));
  lent.set(changetype<usize>(fresh), cap);
  return changetype<ArrayBuffer>(__renew(changetype<usize>(fresh), <usize>size));
}

// A charged copy of [p, p+n), or null when the budget cannot hold it.
export function copyToBuffer(p: usize, n: i32): ArrayBuffer | null {
  const buf = takeBuffer(n);
  if (buf === null) return null;
  memory.copy(changetype<usize>(buf), p, <usize>n);
  return buf;
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
  if (cap < POOL_MIN || freeBufs.length >= FREE_MAX || freeBytes + <i64>cap > FREE_MAX_BYTES) {
    unreserve(cap);
    return;
  }
  freeBufs.push(buf);
  freeCaps.push(cap);
  freeBytes += cap;
}

function removeFree(i: i32): void {
  const last = freeBufs.length - 1;
  freeBytes -= unchecked(freeCaps[i]);
  unchecked((freeBufs[i] = freeBufs[last]));
  unchecked((freeCaps[i] = freeCaps[last]));
  freeBufs.pop();
  freeCaps.pop();
}

function dropFree(i: i32): void {
  const cap = unchecked(freeCaps[i]);
  removeFree(i);
  unreserve(cap);
}
