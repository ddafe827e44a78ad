// Property lookup for proxy_get_property, following Envoy context.cc
// getProperty/findValue/serializeValue: the path is NUL-separated segments; the
// first names a top-level value, later ones index into maps; anything missing is
// NotFound. Serialization: strings/bytes raw, int64 (bigint) / double (number) as
// 8 bytes little-endian, bool 1 byte, maps in the pairs format with each key and
// value serialized the same way, lists as pairs with empty values.

import { WasmResult } from "./abi.js";
import { marshalPairs, type Pair } from "./pairs.js";

/** number = double (as Istio's node metadata numbers); bigint = int64. */
export type PropValue = string | Uint8Array | number | bigint | boolean | PropValue[] | PropMap;
export interface PropMap {
  [key: string]: PropValue | undefined;
}

/** A value computed at lookup time (stream-dependent properties). */
export type PropSource = PropValue | (() => PropValue | undefined) | undefined;
export type PropTree = Record<string, PropSource>;

export function serializeProperty(v: PropValue): Buffer {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === "bigint") {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt.asIntN(64, v));
    return b;
  }
  if (typeof v === "number") {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return b;
  }
  if (typeof v === "boolean") return Buffer.from([v ? 1 : 0]);
  if (Array.isArray(v)) return marshalPairs(v.map((x): Pair => [serializeProperty(x), Buffer.alloc(0)]));
  const pairs: Pair[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    pairs.push([Buffer.from(k, "utf8"), serializeProperty(x)]);
  }
  return marshalPairs(pairs);
}

function resolve(src: PropSource): PropValue | undefined {
  return typeof src === "function" ? src() : src;
}

export function lookupProperty(tree: PropTree, path: Uint8Array): { result: number; value?: Buffer } {
  // Envoy: segments split on NUL; an empty path or empty trailing segment ends parsing.
  const segments: string[] = [];
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf(0, start);
    if (end < 0) end = path.length;
    segments.push(Buffer.from(path.subarray(start, end)).toString("utf8"));
    start = end + 1;
  }
  if (segments.length === 0) return { result: WasmResult.NotFound };
  let value = resolve(tree[segments[0]!]);
  if (value === undefined) return { result: WasmResult.NotFound };
  for (const seg of segments.slice(1)) {
    if (Array.isArray(value)) {
      const idx = /^\d+$/.test(seg) ? Number(seg) : -1;
      if (idx < 0 || idx >= value.length) return { result: WasmResult.NotFound };
      value = value[idx]!;
    } else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
      const next: PropValue | undefined = Object.prototype.hasOwnProperty.call(value, seg)
        ? (value as PropMap)[seg]
        : undefined;
      if (next === undefined) return { result: WasmResult.NotFound };
      value = next;
    } else {
      return { result: WasmResult.NotFound };
    }
  }
  return { result: WasmResult.Ok, value: serializeProperty(value) };
}
