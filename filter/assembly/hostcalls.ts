// Thin wrappers over the raw proxy-wasm imports. The SDK's own wrappers abort
// (and so trap the VM) on any non-Ok result; optional properties, header maps
// and buffers must be read without that, so the filter uses these.

import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { log, LogLevelValues } from "@solo-io/proxy-runtime/assembly";
import { armHandOff, disarmHandOff } from "./malloc";
import { noteGarbage } from "./body-pool";

// Out-parameters the host writes (pointer, size).
const OUT = memory.data(16);

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

export const OK: u32 = 0;
export const NOT_FOUND: u32 = 1;

// Buffer and header-map types of ABI 0.2.x.
export const BUF_REQUEST_BODY: i32 = 0;
export const BUF_RESPONSE_BODY: i32 = 1;
export const BUF_HTTP_CALL_RESPONSE_BODY: i32 = 4;
export const BUF_PLUGIN_CONFIGURATION: i32 = 7;
export const MAP_REQUEST_HEADERS: i32 = 0;
export const MAP_RESPONSE_HEADERS: i32 = 2;
export const MAP_HTTP_CALL_RESPONSE_HEADERS: i32 = 6;

// Takes ownership of the block the host allocated with our malloc (pinned),
// or returns an empty buffer when the host wrote size 0 (it then allocates nothing).
function takeHostBlock(): ArrayBuffer {
  const ptr = load<usize>(OUT);
  const size = load<usize>(OUT + 4);
  if (size == 0 || ptr == 0) return new ArrayBuffer(0);
  noteGarbage(<i64>size); // read once and let go (header pairs, properties, configuration); still pinned here
  __unpin(ptr);
  return changetype<ArrayBuffer>(ptr);
}

function clearOut(): void {
  store<u64>(OUT, 0);
}

export function getBufferBytes(type: i32, start: u32, length: u32): ArrayBuffer | null {
  clearOut();
  if (imports.proxy_get_buffer_bytes(type, start, length, OUT, OUT + 4) != OK) return null;
  return takeHostBlock();
}

// Reads [start, start+length) of a body buffer straight to `dst` (room bytes free there)
// through the malloc hand-off; returns the bytes written (a block the host handed of its
// own instead is copied to dst and released).
export function readBufferInto(type: i32, start: u32, length: u32, dst: usize, room: i32): i32 {
  clearOut();
  armHandOff(dst, room);
  const rc = imports.proxy_get_buffer_bytes(type, start, length, OUT, OUT + 4);
  disarmHandOff();
  if (rc != OK) return 0;
  const ptr = load<usize>(OUT);
  const size = <i32>load<usize>(OUT + 4);
  if (size == 0 || ptr == 0) return 0;
  if (ptr == dst) return size;
  const n = size < room ? size : room;
  memory.copy(dst, ptr, <usize>n);
  noteGarbage(<i64>size);
  __unpin(ptr);
  return n;
}

// Header blocks (a stream's request and response headers, a callout's :status) are read
// into one scratch buffer through the malloc hand-off and parsed in place within the
// callback: no block per read. A block larger than the scratch arrives in a host
// block; it is copied into a scratch grown to fit, so later ones fit.
let headerScratch = new ArrayBuffer(4096);

@inline export function headerBlock(): usize {
  return changetype<usize>(headerScratch);
}

function readIntoScratch(rc: u32): i32 {
  disarmHandOff();
  if (rc != OK) return -1;
  const ptr = load<usize>(OUT);
  const size = <i32>load<usize>(OUT + 4);
  if (size == 0 || ptr == 0) return 0;
  if (ptr != changetype<usize>(headerScratch)) {
    let cap = headerScratch.byteLength;
    while (cap < size) cap <<= 1;
    headerScratch = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(headerScratch), ptr, <usize>size);
    noteGarbage(<i64>size);
    __unpin(ptr);
  }
  return size;
}

// A header map's pairs at headerBlock(): its length, or -1 when the host has none.
// Valid until the next read; callers copy what they keep.
export function readHeaderPairs(type: i32): i32 {
  clearOut();
  armHandOff(changetype<usize>(headerScratch), headerScratch.byteLength);
  return readIntoScratch(imports.proxy_get_header_map_pairs(type, OUT, OUT + 4));
}

// One header's value at headerBlock(): its length, or -1 when absent. `key`: the
// name's bytes, encoded once by the caller (bytes.ts lit).
export function readHeaderValue(type: i32, key: ArrayBuffer): i32 {
  clearOut();
  armHandOff(changetype<usize>(headerScratch), headerScratch.byteLength);
  return readIntoScratch(imports.proxy_get_header_map_value(type, changetype<usize>(key), key.byteLength, OUT, OUT + 4));
}

// A property by its path segments (joined with NUL, as Envoy expects), or null when absent.
export function getProperty(segments: string[]): ArrayBuffer | null {
  const path = String.UTF8.encode(segments.join("\0"));
  clearOut();
  if (imports.proxy_get_property(changetype<usize>(path), path.byteLength, OUT, OUT + 4) != OK) return null;
  return takeHostBlock();
}

export function nowNanos(): u64 {
  store<u64>(OUT + 8, 0);
  imports.proxy_get_current_time_nanoseconds(OUT + 8);
  return load<u64>(OUT + 8);
}

export function randomBytes(dst: usize, n: usize): bool {
  return wasi_random_get(dst, n) == 0;
}

export function setTickPeriod(ms: u32): void {
  imports.proxy_set_tick_period_milliseconds(ms);
}

export function httpCall(cluster: ArrayBuffer, pairs: usize, pairsLen: i32, body: usize, bodyLen: i32, timeoutMs: u32, tokenOut: usize): u32 {
  return imports.proxy_http_call(
    changetype<usize>(cluster), cluster.byteLength, pairs, pairsLen, body, bodyLen, 0, 0, timeoutMs, tokenOut,
  );
}

export function rootDone(): void {
  imports.proxy_done();
}

export function logInfo(msg: string): void { log(LogLevelValues.info, msg); }
export function logWarn(msg: string): void { log(LogLevelValues.warn, msg); }
export function logError(msg: string): void { log(LogLevelValues.error, msg); }
