// The proxy-wasm "pairs" serialization (cpp-host src/pairs_util.cc), all integers
// u32 little-endian: [count] then [len(k) len(v)]*count then (k \0 v \0)*count.

import { PAIRS_MAX_BYTES, PAIRS_MAX_COUNT } from "./abi.js";

export type Pair = [Uint8Array, Uint8Array];

export function pairsSize(pairs: readonly Pair[]): number {
  let n = 4;
  for (const [k, v] of pairs) n += 8 + k.length + 1 + v.length + 1;
  return n;
}

export function marshalPairs(pairs: readonly Pair[]): Buffer {
  const out = Buffer.allocUnsafe(pairsSize(pairs));
  marshalPairsInto(pairs, out);
  return out;
}

/** Writes the serialization into `out` (at least pairsSize(pairs) bytes), e.g. straight into linear memory. */
export function marshalPairsInto(pairs: readonly Pair[], out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, pairs.length, true);
  let off = 4;
  for (const [k, v] of pairs) {
    view.setUint32(off, k.length, true);
    view.setUint32(off + 4, v.length, true);
    off += 8;
  }
  for (const [k, v] of pairs) {
    out.set(k, off);
    off += k.length;
    out[off++] = 0;
    out.set(v, off);
    off += v.length;
    out[off++] = 0;
  }
}

/**
 * cpp-host PairsUtil::toPairs: returns an EMPTY list for anything malformed
 * (too big, too many, missing NUL terminators, trailing bytes) rather than failing.
 */
export function parsePairs(data: Uint8Array): Pair[] {
  if (data.length < 4 || data.length > PAIRS_MAX_BYTES) return [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  if (count > PAIRS_MAX_COUNT) return [];
  let off = 4;
  if (off + count * 8 > data.length) return [];
  const sizes: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    sizes.push([view.getUint32(off, true), view.getUint32(off + 4, true)]);
    off += 8;
  }
  const out: Pair[] = [];
  for (const [kl, vl] of sizes) {
    if (off + kl + 1 > data.length || data[off + kl] !== 0) return [];
    const k = data.slice(off, off + kl);
    off += kl + 1;
    if (off + vl + 1 > data.length || data[off + vl] !== 0) return [];
    const v = data.slice(off, off + vl);
    off += vl + 1;
    out.push([k, v]);
  }
  if (off !== data.length) return [];
  return out;
}

/**
 * True when no name is empty and no name or value of a well-formed pairs block
 * holds a CR, LF or NUL byte (Envoy's header validation), checked over the
 * block's string area at once rather than pair by pair.
 */
export function pairsBlockIsClean(data: Uint8Array, pairs: readonly Pair[]): boolean {
  if (pairs.length === 0) return true;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const strings = b.subarray(4 + 8 * pairs.length);
  if (strings.indexOf(0x0d) >= 0 || strings.indexOf(0x0a) >= 0) return false;
  let nuls = 0;
  for (let i = strings.indexOf(0); i >= 0; i = strings.indexOf(0, i + 1)) nuls++;
  if (nuls !== 2 * pairs.length) return false;
  for (const [k] of pairs) if (k.length === 0) return false;
  return true;
}

export function pairsToStrings(pairs: readonly Pair[]): [string, string][] {
  return pairs.map(([k, v]) => [Buffer.from(k).toString("utf8"), Buffer.from(v).toString("utf8")]);
}
