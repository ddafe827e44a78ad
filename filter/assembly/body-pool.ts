// Every byte the VM holds for logging, under one budget (limits.maxHeldBytes):
// capture buffers of every live stream, each stream's fixed share and its
// ce-metadata, bodies kept for a retry, redaction output and batches. What the
// budget refuses is not captured; the event says so (ce-overbudget) and
// kserve_logger_events_over_budget counts it. Nothing here can trap: a refusal
// is an answer, never an allocation that fails.
//
// Body buffers are reused: the runtime's __new clears every block it hands out
// (for a 1 MiB body that is a 1 MiB memory.fill per direction per exchange), so
// buffers come in power-of-two classes (POOL_MIN bytes and up) and come back
// here once their event has been handed to the host (delivery.ts); a buffer
// taken again is resized with __renew, which keeps the block and skips the fill.
//
// Which buffers are the pool's, and in what state, is written in the buffer's
// own object header: its runtime type id is LENT while a caller holds it, FREE
// while it waits in the free list, and ArrayBuffer's once it is let go. Both tag
// classes have no fields, so the collector treats them as it treats ArrayBuffer
// (nothing to visit inside), and an ArrayBuffer reads its byteLength from the
// header's size whatever the id. No map per buffer: none to grow and shrink on
// every exchange. A buffer's class is the largest power of two its block holds
// (the allocator rounds a block up by less than one class).
// Free buffers wait in one stack per class (a take is a pop, no search). They
// count against the budget like lent ones (linear memory never shrinks, so a kept
// buffer costs what it cost when it was lent), are bounded by half the budget, and
// are the first to go when the budget needs room.
//
// The collector: a released buffer is garbage until the incremental collector
// reaches it, and that collector lets garbage grow to the size of everything
// live before it starts a cycle. Released bytes are therefore counted, and once
// they reach gcSlack() a full collection runs, so that garbage adds at most
// gcSlack() to what the budget holds.

import { intDefault } from "./config-fields";
import { OBJECT, OBJECT_OVERHEAD, TOTAL_OVERHEAD } from "rt/common";

const POOL_MIN: i32 = 256;
const CLASSES: i32 = 23; // 256 B << 0..22: up to 1 GiB
// A free buffer at most this many classes larger is taken before a fresh one (no fill, no growth copy).
const LARGER_TAKEN: i32 = 2;
const MIN_SLACK: i64 = 4 * 1024 * 1024;

// until the first configuration sets it: the default of limits.maxHeldBytes
let limit: i64 = <i64>intDefault("limits.maxHeldBytes");
let held: i64 = 0;
let released: i64 = 0;
let collections: i64 = 0;

// The states of a pool buffer, as runtime type ids (see above).
@final class LentBytes {}
@final class FreeBytes {}

@inline function header(buf: ArrayBuffer): OBJECT {
  return changetype<OBJECT>(changetype<usize>(buf) - TOTAL_OVERHEAD);
}

@inline function isLent(buf: ArrayBuffer): bool {
  return header(buf).rtId == idof<LentBytes>();
}

@inline function mark(buf: ArrayBuffer, id: u32): void {
  header(buf).rtId = id;
}

// The class a pool buffer was charged as: the largest power of two its block holds.
function classOfBlock(buf: ArrayBuffer): i32 {
  const room = <u32>((header(buf).mmInfo & ~3) - OBJECT_OVERHEAD);
  return <i32>(1 << (31 - clz<u32>(room)));
}

const free: ArrayBuffer[][] = [];
for (let k = 0; k < CLASSES; k++) free.push([]);
let freeBytes: i64 = 0;
let freeTotal: i32 = 0;

@inline function classIndex(cap: i32): i32 {
  return (31 - clz<u32>(<u32>cap)) - 8; // log2(cap) - log2(POOL_MIN)
}

function freeLimit(): i64 {
  return limit >> 1;
}

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
    // Free buffers go first, largest first: the fewest to let go.
    for (let k = CLASSES - 1; k >= 0 && held + n > limit; k--) {
      const stack = unchecked(free[k]);
      while (stack.length > 0 && held + n > limit) dropFree(stack.pop(), POOL_MIN << k);
    }
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
// cannot hold it. Its contents are undefined.
export function takeBuffer(size: i32): ArrayBuffer | null {
  const cap = classOf(size);
  // A free buffer of its class (or a little larger): already charged, so it only changes state.
  const k0 = classIndex(cap);
  for (let k = k0; k < CLASSES && k <= k0 + LARGER_TAKEN; k++) {
    const stack = unchecked(free[k]);
    if (stack.length == 0) continue;
    const buf = stack.pop();
    freeBytes -= <i64>(POOL_MIN << k);
    freeTotal--;
    mark(buf, idof<LentBytes>());
    return resizeBuffer(buf, size); // same block: no fill
  }
  if (!reserve(cap)) return null;
  const fresh = changetype<ArrayBuffer>(__new(<usize>cap, idof<LentBytes>()));
  return resizeBuffer(fresh, size);
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
  return isLent(buf) ? classOfBlock(buf) : buf.byteLength;
}

// Resizes a buffer within its capacity, in place (no copy, no fill).
export function resizeBuffer(buf: ArrayBuffer, size: i32): ArrayBuffer {
  return changetype<ArrayBuffer>(__renew(changetype<usize>(buf), <usize>size));
}

// Hands a buffer back. Buffers that are not lent (host blocks, NO_BYTES, one
// given back already) are ignored, so callers may pass any body.
export function giveBuffer(buf: ArrayBuffer): void {
  if (!isLent(buf)) return;
  const cap = classOfBlock(buf);
  if (freeBytes + <i64>cap > freeLimit()) {
    dropFree(buf, cap);
    return;
  }
  mark(buf, idof<FreeBytes>());
  unchecked(free[classIndex(cap)]).push(buf);
  freeBytes += cap;
  freeTotal++;
}

// Buffers waiting for reuse, and their bytes (tests).
export function freeCount(): i32 {
  return freeTotal;
}

export function freeHeldBytes(): i64 {
  return freeBytes;
}

// Lets go of a buffer that is not lent (taken off its stack, or given back over the bound).
function dropFree(buf: ArrayBuffer, cap: i32): void {
  if (header(buf).rtId == idof<FreeBytes>()) {
    freeBytes -= cap;
    freeTotal--;
  }
  mark(buf, idof<ArrayBuffer>());
  unreserve(cap);
}
