// An Envoy-like header map: ordered entries of raw bytes, names lower-cased,
// pseudo-headers (":x") kept before regular headers (Envoy HeaderMapImpl keeps a
// pseudo-header section at the front), duplicates preserved.
// Each entry also keeps its name as a latin1 string (one char per byte), made on
// the first lookup that reaches an entry of the same length, so a lookup is a
// length check and a string comparison rather than Buffer allocations.

import type { Pair } from "./pairs.js";

export type HeaderValue = string | Uint8Array;
export type HeaderInput = Iterable<readonly [string, HeaderValue]> | Record<string, HeaderValue | HeaderValue[]>;

const enc = (v: HeaderValue): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v));

// eslint-disable-next-line no-control-regex -- every 7-bit byte, control characters included
const ASCII = /^[\x00-\x7f]*$/;
const UPPER = /[A-Z]/;

/** Lower-cases ASCII letters in place (Envoy lower-cases header names; other bytes stay). */
function lowerInPlace(b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 0x41 && c <= 0x5a) b[i] = c + 0x20;
  }
  return b;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** The lookup key of a name: its lower-cased bytes as a latin1 string. */
function keyOf(name: string | Uint8Array): string {
  if (typeof name === "string") {
    if (ASCII.test(name)) return UPPER.test(name) ? name.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : name;
    return latin1(lowerInPlace(Buffer.from(name, "utf8")));
  }
  const s = latin1(name);
  return UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

interface Entry {
  key: string | null;
  name: Buffer;
  value: Buffer;
}

/** A latin1 lookup key has one char per name byte. */
function matches(e: Entry, key: string): boolean {
  if (e.name.length !== key.length) return false;
  return (e.key ??= latin1(e.name)) === key;
}

export class HeaderMap {
  private entries: Entry[] = [];

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

  /** Adds Node's raw header list (name, value, ... as latin1 strings: one char per wire byte). */
  addNodeRaw(raw: readonly string[]): this {
    for (let i = 0; i + 1 < raw.length; i += 2)
      this.add(Buffer.from(raw[i]!, "latin1"), Buffer.from(raw[i + 1]!, "latin1"));
    return this;
  }

  /** Takes the pair buffers over (no copy): the caller must not use them afterwards. */
  static fromPairs(pairs: readonly Pair[]): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of pairs) m.insert(toBuffer(lowerInPlace(k)), toBuffer(v));
    return m;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Envoy HeaderMap::byteSize(): sum of key and value lengths. */
  byteSize(): number {
    let n = 0;
    for (const e of this.entries) n += e.name.length + e.value.length;
    return n;
  }

  add(name: string | Uint8Array, value: HeaderValue): void {
    this.addBytes(enc(name), enc(value));
  }

  /** Adds a copy of name (lower-cased) and value. */
  addBytes(name: Uint8Array, value: Uint8Array): void {
    this.insert(lowerInPlace(Buffer.from(name)) as Buffer, Buffer.from(value));
  }

  private insert(name: Buffer, value: Buffer): void {
    const entry: Entry = { key: null, name, value };
    if (name[0] === 0x3a /* ':' */) {
      let i = 0;
      while (i < this.entries.length && this.entries[i]!.name[0] === 0x3a) i++;
      this.entries.splice(i, 0, entry);
    } else {
      this.entries.push(entry);
    }
  }

  /** Envoy setCopy: replaces the first entry's value, drops the others; adds if absent. */
  replace(name: string | Uint8Array, value: HeaderValue): void {
    const key = keyOf(name);
    const idx = this.entries.findIndex((e) => matches(e, key));
    if (idx < 0) {
      this.add(name, value);
      return;
    }
    const first = this.entries[idx]!;
    this.entries[idx] = { key, name: first.name, value: enc(value) };
    if (this.entries.some((e, i) => i !== idx && matches(e, key))) {
      this.entries = this.entries.filter((e, i) => i === idx || !matches(e, key));
    }
  }

  remove(name: string | Uint8Array): void {
    const key = keyOf(name);
    if (this.entries.some((e) => matches(e, key))) this.entries = this.entries.filter((e) => !matches(e, key));
  }

  /** The stored value, not a copy (the host copies it into linear memory at once). */
  peek(name: string | Uint8Array): Buffer | undefined {
    const key = keyOf(name);
    for (const e of this.entries) if (matches(e, key)) return e.value;
    return undefined;
  }

  /** First value only, as Envoy's getHeaderMapValue; a copy. */
  getBytes(name: string | Uint8Array): Buffer | undefined {
    const v = this.peek(name);
    return v === undefined ? undefined : Buffer.from(v);
  }

  get(name: string): string | undefined {
    return this.peek(name)?.toString("utf8");
  }

  getAll(name: string): string[] {
    const key = keyOf(name);
    return this.entries.filter((e) => matches(e, key)).map((e) => e.value.toString("utf8"));
  }

  has(name: string): boolean {
    return this.peek(name) !== undefined;
  }

  /** The entries as [name, value] (the stored buffers: do not modify them). */
  pairs(): Pair[] {
    return this.entries.map((e) => [e.name, e.value]);
  }

  clear(): void {
    this.entries = [];
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.entries = this.entries.map((e) => ({ key: e.key, name: Buffer.from(e.name), value: Buffer.from(e.value) }));
    return m;
  }

  /** Decoded as UTF-8, for assertions and printing. */
  toArray(): [string, string][] {
    return this.entries.map((e) => [e.name.toString("utf8"), e.value.toString("utf8")]);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.toArray()) o[k] = o[k] === undefined ? v : `${o[k]},${v}`;
    return o;
  }
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
