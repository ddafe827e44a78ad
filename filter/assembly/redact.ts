// Redaction of JSON body fields by path, for PII in inference payloads.
// A single validating pass over the body bytes; values at a configured path
// are replaced by "[REDACTED]", everything else is copied verbatim in bulk
// (the output is the input with the redacted ranges swapped out). A body that
// is not one well-formed JSON value (binary, truncated, too deep) cannot be
// redacted safely, so the caller omits it instead.
//
// Path syntax: segments separated by '.', '*' matches any object key or array
// index, a number matches that array index: "instances.*.ssn", "inputs.*.data".
//
// Cost is linear in the body, whatever the paths: the paths are compiled into
// bit masks (≤ 32 paths, so one u32 says which of them still match here), a
// key is hashed once and looked up among the paths' literal segments, and a
// value where no path can match any more is only validated, never looked into.

import { ByteBuilder } from "./bytes";
import { JsonParser } from "./json";
import { skipKey, skipScalar, skipString, skipWs } from "./json-scan";
import { MAX_REDACT_PATH_SEGMENTS, configField } from "./config-fields";

export const REDACTED = "\"[REDACTED]\"";
export const MAX_SEGMENTS: i32 = MAX_REDACT_PATH_SEGMENTS;
const MAX_DEPTH = 64;
const LEVELS = MAX_SEGMENTS + 2; // masks are read at depth ≤ MAX_SEGMENTS + 1
// skip() modes: one value at p, or the rest of an array / object after one of its entries.
const VALUE: i32 = -1;
const IN_OBJECT: i32 = 0;
const IN_ARRAY: i32 = 1;

export function parsePath(path: string): string[] | null {
  if (path.length == 0) return null;
  const segs = path.split(".");
  for (let i = 0; i < segs.length; i++) if (segs[i].length == 0) return null;
  return segs;
}

// An array index literal: canonical decimal ("0", "17"; not "01"), small enough for an i32.
function indexLiteral(s: string): i32 {
  if (s.length == 0 || s.length > 9 || (s.length > 1 && s.charCodeAt(0) == 0x30)) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

@inline function fnv1a(p: usize, n: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < n; i++) h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
  return h;
}

export class Redactor {
  // Per depth d: paths with '*' at d, paths with any literal at d, paths with an
  // index literal at d, paths of exactly d segments (a value at depth d matches).
  private star: StaticArray<u32> = new StaticArray<u32>(LEVELS);
  private anyLit: StaticArray<u32> = new StaticArray<u32>(LEVELS);
  private indexLit: StaticArray<u32> = new StaticArray<u32>(LEVELS);
  private ends: StaticArray<u32> = new StaticArray<u32>(LEVELS);
  private maxIndex: StaticArray<i32> = new StaticArray<i32>(LEVELS); // largest index literal per depth, -1 none
  private indexes: Array<i32[]> = []; // per depth: the index literals there, sorted
  private all: u32 = 0;
  // Literal segments, each once: bytes, and per depth the paths that have it there.
  private litBytes: ArrayBuffer[] = [];
  private litMasks: u32[] = []; // id * LEVELS + d
  private byHash: Map<u32, i32> = new Map<u32, i32>(); // hash -> first id
  private nextSameHash: i32[] = [];
  private byIndex: Map<i32, i32> = new Map<i32, i32>(); // index literal -> id
  // Scan state.
  private p: usize = 0;
  private end: usize = 0;
  private ok: bool = true;
  private copied: usize = 0;
  private out: ByteBuilder = new ByteBuilder(256);
  private outMax: i32 = 0;

  constructor(patterns: string[][]) {
    for (let d = 0; d < LEVELS; d++) {
      this.maxIndex[d] = -1;
      this.indexes.push([]);
    }
    const most = <i32>configField("redactPaths").max;
    for (let i = 0; i < patterns.length && i < most; i++) {
      const bit: u32 = 1 << <u32>i;
      const pat = patterns[i];
      this.all |= bit;
      this.ends[pat.length] = this.ends[pat.length] | bit;
      for (let d = 0; d < pat.length; d++) {
        const seg = pat[d];
        if (seg == "*") { this.star[d] = this.star[d] | bit; continue; }
        this.anyLit[d] = this.anyLit[d] | bit;
        const id = this.literalId(seg);
        this.litMasks[id * LEVELS + d] = this.litMasks[id * LEVELS + d] | bit;
        const index = indexLiteral(seg);
        if (index >= 0) {
          this.indexLit[d] = this.indexLit[d] | bit;
          if (index > this.maxIndex[d]) this.maxIndex[d] = index;
          if (!this.indexes[d].includes(index)) this.indexes[d].push(index);
        }
      }
    }
  }

  // The smallest index literal at depth d that is ≥ from, or -1.
  private nextIndex(d: i32, from: i32): i32 {
    const xs = unchecked(this.indexes[d]);
    let best = -1;
    for (let i = 0; i < xs.length; i++) {
      const x = unchecked(xs[i]);
      if (x >= from && (best < 0 || x < best)) best = x;
    }
    return best;
  }

  private literalId(seg: string): i32 {
    const bytes = String.UTF8.encode(seg);
    const h = fnv1a(changetype<usize>(bytes), <usize>bytes.byteLength);
    let id = this.byHash.has(h) ? this.byHash.get(h) : -1;
    while (id >= 0) {
      if (sameBytes(this.litBytes[id], changetype<usize>(bytes), bytes.byteLength)) return id;
      id = this.nextSameHash[id];
    }
    id = this.litBytes.length;
    this.litBytes.push(bytes);
    this.nextSameHash.push(this.byHash.has(h) ? this.byHash.get(h) : -1);
    this.byHash.set(h, id);
    for (let d = 0; d < LEVELS; d++) this.litMasks.push(0);
    const index = indexLiteral(seg);
    if (index >= 0) this.byIndex.set(index, id);
    return id;
  }

  // The redacted body in a scratch builder reused by the next call (copy it out),
  // or null when the body is not one well-formed JSON value or the output would
  // exceed maxOut bytes.
  apply(body: ArrayBuffer, maxOut: i32): ByteBuilder | null {
    const start = changetype<usize>(body);
    this.out.reset();
    this.outMax = maxOut;
    if (!this.scan(start, start + <usize>body.byteLength, this.all)) return null;
    this.emit(this.end);
    return this.ok ? this.out : null;
  }

  private scan(start: usize, end: usize, mask: u32): bool {
    this.p = start;
    this.end = end;
    this.ok = true;
    this.copied = start;
    this.ws();
    if (this.p >= this.end) return false;
    this.value(mask, 0);
    this.ws();
    return this.ok && this.p == this.end;
  }

  private emit(upTo: usize): void {
    const n = <i32>(upTo - this.copied);
    if (this.out.len + n > this.outMax) { this.fail(); return; }
    this.out.bytes(this.copied, n);
    this.copied = upTo;
  }

  private literalAtKey(keyStart: usize, keyEnd: usize): i32 {
    // keyStart/keyEnd include the quotes.
    const p = keyStart + 1;
    const n = keyEnd - keyStart - 2;
    let plain = true;
    for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) == 0x5c) { plain = false; break; }
    if (plain) return this.lookup(p, n);
    const v = new JsonParser(String.UTF8.decodeUnsafe(keyStart, keyEnd - keyStart)).parse();
    if (v === null) return -1;
    const bytes = String.UTF8.encode(v.s);
    return this.lookup(changetype<usize>(bytes), <usize>bytes.byteLength);
  }

  private lookup(p: usize, n: usize): i32 {
    const h = fnv1a(p, n);
    if (!this.byHash.has(h)) return -1;
    let id = this.byHash.get(h);
    while (id >= 0) {
      if (sameBytes(unchecked(this.litBytes[id]), p, <i32>n)) return id;
      id = unchecked(this.nextSameHash[id]);
    }
    return -1;
  }

  @inline private peek(): u8 {
    return this.p < this.end ? load<u8>(this.p) : 0;
  }

  private ws(): void {
    this.p = skipWs(this.p, this.end);
  }

  private fail(): void {
    this.ok = false;
    this.p = this.end;
  }

  // One value at depth d; `mask`: the paths that match the way here.
  private value(mask: u32, depth: i32): void {
    if (!this.ok) return;
    if (depth > MAX_DEPTH) { this.fail(); return; }
    const c = this.peek();
    if (c == 0x7b) this.object(mask, depth);
    else if (c == 0x5b) this.array(mask, depth);
    else if (c == 0x22) this.string();
    else this.scalar();
  }

  // A member or element whose way there is `mask` (at depth d): replaced when a path ends here.
  private child(mask: u32, d: i32): void {
    if (d <= MAX_SEGMENTS && (mask & unchecked(this.ends[d])) != 0) {
      const at = this.p;
      this.skip(d, VALUE, -1); // validates and skips it
      if (!this.ok) return;
      this.emit(at);
      if (!this.ok) return;
      this.out.ascii(REDACTED);
      if (this.out.len > this.outMax) { this.fail(); return; }
      this.copied = this.p;
      return;
    }
    if (mask == 0 || d > MAX_SEGMENTS) this.skip(d, VALUE, -1);
    else this.value(mask, d);
  }

  private object(mask: u32, depth: i32): void {
    const deep = depth >= MAX_SEGMENTS;
    const star = deep ? 0 : unchecked(this.star[depth]) & mask;
    const lits = deep ? 0 : unchecked(this.anyLit[depth]) & mask;
    if ((star | lits) == 0) { this.skip(depth, VALUE, -1); return; } // no path goes on through here
    const endsBelow = unchecked(this.ends[depth + 1]);
    this.p++;
    this.ws();
    if (this.peek() == 0x7d) { this.p++; return; }
    while (this.ok) {
      this.ws();
      if (this.peek() != 0x22) { this.fail(); return; }
      const keyStart = this.p;
      this.string();
      if (!this.ok) return;
      let m = star;
      if (lits != 0) {
        const id = this.literalAtKey(keyStart, this.p);
        if (id >= 0) m |= lits & unchecked(this.litMasks[id * LEVELS + depth]);
      }
      this.ws();
      if (this.peek() != 0x3a) { this.fail(); return; }
      this.p++;
      this.ws();
      this.member(m, endsBelow, depth + 1);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.p++; continue; }
      if (c == 0x7d) { this.p++; return; }
      this.fail();
    }
  }

  private array(mask: u32, depth: i32): void {
    const deep = depth >= MAX_SEGMENTS;
    const star = deep ? 0 : unchecked(this.star[depth]) & mask;
    const lits = deep ? 0 : unchecked(this.indexLit[depth]) & mask;
    if ((star | lits) == 0) { this.skip(depth, VALUE, -1); return; }
    const endsBelow = unchecked(this.ends[depth + 1]);
    let nextLit = lits != 0 ? this.nextIndex(depth, 0) : -1; // the next element an index literal names
    this.p++;
    this.ws();
    if (this.peek() == 0x5d) { this.p++; return; }
    let index = 0;
    while (this.ok) {
      this.ws();
      let m = star;
      if (index == nextLit) {
        m |= lits & unchecked(this.litMasks[this.byIndex.get(index) * LEVELS + depth]);
        nextLit = this.nextIndex(depth, index + 1);
      }
      this.member(m, endsBelow, depth + 1);
      index++;
      this.ws();
      let c = this.peek();
      if (c == 0x2c && star == 0 && this.ok && nextLit != index) {
        // Only index literals go on from here: the elements before the next one are dead.
        if (this.skip(depth, IN_ARRAY, nextLit < 0 ? -1 : nextLit - index)) return; // the array ended
        if (!this.ok) return;
        index = nextLit;
        this.ws();
        c = this.peek();
      }
      if (c == 0x2c) { this.p++; continue; }
      if (c == 0x5d) { this.p++; return; }
      this.fail();
    }
  }

  // An element or member value: a scalar that no path ends at is only skipped (most
  // elements of a tensor), anything else goes through child().
  @inline private member(m: u32, endsHere: u32, d: i32): void {
    const c = this.peek();
    if (c != 0x7b && c != 0x5b && (m & endsHere) == 0) {
      // inline: most elements of a tensor take this path
      this.advance(c == 0x22 ? skipString(this.p, this.end) : this.p < this.end ? skipScalar(this.p, this.end) : 0);
      return;
    }
    this.child(m, d);
  }

  // Validates and skips without looking at paths: one value at p (VALUE), or the rest of
  // an array or object whose entry before p was just read (IN_ARRAY, IN_OBJECT). No
  // recursion, locals only: what most of a large body goes through. In an array, `limit`
  // ≥ 0 stops after that many more elements, before the ',' that follows: the result is
  // then false (the array goes on); true when the value or container was read to its end.
  private skip(depth: i32, mode: i32, limit: i32): bool {
    let p = this.p;
    const end = this.end;
    let stack: u64 = 0; // bit per open container, lowest = innermost: 1 array, 0 object
    let level = 0;
    let skipped = 0;
    let wantValue = mode == VALUE;
    if (!wantValue) { level = 1; stack = mode == IN_ARRAY ? 1 : 0; }
    while (true) {
      if (wantValue) {
        p = skipWs(p, end);
        if (p >= end || depth + level > MAX_DEPTH) break;
        const c = load<u8>(p);
        if (c == 0x7b || c == 0x5b) {
          const isArray = c == 0x5b;
          level++;
          stack = (stack << 1) | (isArray ? 1 : 0);
          p = skipWs(p + 1, end);
          if (p >= end) break;
          const d = load<u8>(p);
          if (d == (isArray ? 0x5d : 0x7d)) {
            p++;
            level--;
            stack >>= 1;
            wantValue = false;
          } else if (!isArray) {
            p = skipKey(p, end);
            if (p == 0) break;
          }
          continue;
        }
        p = c == 0x22 ? skipString(p, end) : skipScalar(p, end);
        if (p == 0) break;
        wantValue = false;
      }
      if (level == 0) {
        this.p = p;
        return true;
      }
      if (level == 1 && limit >= 0) {
        if (skipped == limit) {
          this.p = p;
          return false;
        }
        skipped++;
      }
      p = skipWs(p, end);
      if (p >= end) break;
      const c = load<u8>(p);
      const inArray = (stack & 1) != 0;
      if (c == 0x2c) {
        p++;
        if (!inArray) {
          p = skipKey(skipWs(p, end), end);
          if (p == 0) break;
        }
        wantValue = true;
        continue;
      }
      if (c != (inArray ? 0x5d : 0x7d)) break;
      p++;
      level--;
      stack >>= 1;
    }
    this.fail();
    return true;
  }

  // A string (at its opening quote) or a scalar, checked as skip() checks them.
  private string(): void {
    this.advance(skipString(this.p, this.end));
  }

  private scalar(): void {
    this.advance(this.p < this.end ? skipScalar(this.p, this.end) : 0);
  }

  @inline private advance(q: usize): void {
    if (q == 0) this.fail();
    else this.p = q;
  }

  // True when [p, p+n) is one JSON value (as far as redaction checks: see skipScalar()).
  isJson(p: usize, n: i32): bool {
    return this.scan(p, p + <usize>n, 0);
  }
}

// One validator for every caller that only asks "is this JSON?" (batch mode's data vs data_base64).
let validator: Redactor | null = null;

export function isJsonValue(p: usize, n: i32): bool {
  let v = validator;
  if (v === null) validator = v = new Redactor([]);
  return v.isJson(p, n);
}

function sameBytes(a: ArrayBuffer, p: usize, n: i32): bool {
  return a.byteLength == n && memory.compare(changetype<usize>(a), p, <usize>n) == 0;
}
