// An Envoy-like header map: ordered entries of raw bytes, names lower-cased,
// pseudo-headers (":x") kept before regular headers (Envoy HeaderMapImpl keeps a
// pseudo-header section at the front), duplicates preserved.

import type { Pair } from "./pairs.js";

export type HeaderValue = string | Uint8Array;
export type HeaderInput = Iterable<readonly [string, HeaderValue]> | Record<string, HeaderValue | HeaderValue[]>;

const enc = (v: HeaderValue): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v));

function lower(name: Uint8Array): Buffer {
  const b = Buffer.from(name);
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 0x41 && c <= 0x5a) b[i] = c + 0x20;
  }
  return b;
}

export class HeaderMap {
  private entries: Pair[] = [];

  static from(input?: HeaderInput): HeaderMap {
    const m = new HeaderMap();
    if (!input) return m;
    if (Symbol.iterator in (input as object)) {
      for (const [k, v] of input as Iterable<readonly [string, HeaderValue]>) m.add(k, v);
    } else {
      for (const [k, v] of Object.entries(input as Record<string, HeaderValue | HeaderValue[]>)) {
        for (const one of Array.isArray(v) ? v : [v]) m.add(k, one);
      }
    }
    return m;
  }

  static fromPairs(pairs: readonly Pair[]): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of pairs) m.addBytes(k, v);
    return m;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Envoy HeaderMap::byteSize(): sum of key and value lengths. */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  add(name: string | Uint8Array, value: HeaderValue): void {
    this.addBytes(enc(name), enc(value));
  }

  addBytes(name: Uint8Array, value: Uint8Array): void {
    const k = lower(name);
    const entry: Pair = [k, Buffer.from(value)];
    if (k[0] === 0x3a /* ':' */) {
      let i = 0;
      while (i < this.entries.length && this.entries[i]![0][0] === 0x3a) i++;
      this.entries.splice(i, 0, entry);
    } else {
      this.entries.push(entry);
    }
  }

  /** Envoy setCopy: replaces the first entry's value, drops the others; adds if absent. */
  replace(name: string | Uint8Array, value: HeaderValue): void {
    const k = lower(enc(name));
    const idx = this.entries.findIndex(([n]) => Buffer.compare(n, k) === 0);
    if (idx < 0) {
      this.addBytes(k, enc(value));
      return;
    }
    this.entries[idx] = [k, enc(value)];
    this.entries = this.entries.filter(([n], i) => i === idx || Buffer.compare(n, k) !== 0);
  }

  remove(name: string | Uint8Array): void {
    const k = lower(enc(name));
    this.entries = this.entries.filter(([n]) => Buffer.compare(n, k) !== 0);
  }

  /** First value only, as Envoy's getHeaderMapValue. */
  getBytes(name: string | Uint8Array): Buffer | undefined {
    const k = lower(enc(name));
    const e = this.entries.find(([n]) => Buffer.compare(n, k) === 0);
    return e ? Buffer.from(e[1]) : undefined;
  }

  get(name: string): string | undefined {
    return this.getBytes(name)?.toString("utf8");
  }

  getAll(name: string): string[] {
    const k = lower(enc(name));
    return this.entries.filter(([n]) => Buffer.compare(n, k) === 0).map(([, v]) => Buffer.from(v).toString("utf8"));
  }

  has(name: string): boolean {
    return this.getBytes(name) !== undefined;
  }

  pairs(): Pair[] {
    return this.entries.map(([k, v]) => [k, v]);
  }

  clear(): void {
    this.entries = [];
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.entries = this.entries.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
    return m;
  }

  /** Decoded as UTF-8, for assertions and printing. */
  toArray(): [string, string][] {
    return this.entries.map(([k, v]) => [Buffer.from(k).toString("utf8"), Buffer.from(v).toString("utf8")]);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.toArray()) o[k] = o[k] === undefined ? v : `${o[k]},${v}`;
    return o;
  }
}
