// Redaction of JSON body fields by path, for PII in inference payloads.
// A single streaming pass over the body bytes: values at a configured path are
// replaced by "[REDACTED]", everything else is copied verbatim. A body that is
// not one well-formed JSON value (binary, truncated, too deep) cannot be
// redacted safely, so the caller omits it instead.
//
// Path syntax: segments separated by '.', '*' matches any object key or array
// index, a number matches that array index: "instances.*.ssn", "inputs.*.data".

import { ByteBuilder } from "./bytes";
import { JsonParser } from "./json";

export const REDACTED = "\"[REDACTED]\"";
const MAX_DEPTH = 64;

export function parsePath(path: string): string[] | null {
  if (path.length == 0) return null;
  const segs = path.split(".");
  for (let i = 0; i < segs.length; i++) if (segs[i].length == 0) return null;
  return segs;
}

class Scan {
  p: usize;
  end: usize;
  ok: bool = true;
  constructor(p: usize, end: usize) {
    this.p = p;
    this.end = end;
  }
}

export class Redactor {
  private patterns: string[][];
  private path: string[] = [];
  private out: ByteBuilder = new ByteBuilder(256);
  private s: Scan = new Scan(0, 0);

  constructor(patterns: string[][]) {
    this.patterns = patterns;
  }

  // The redacted body, or null when the body is not a well-formed JSON value.
  apply(body: ArrayBuffer): ArrayBuffer | null {
    const start = changetype<usize>(body);
    this.s = new Scan(start, start + <usize>body.byteLength);
    this.out = new ByteBuilder(body.byteLength + 16);
    this.path = [];
    this.ws();
    this.value(0);
    this.ws();
    if (!this.s.ok || this.s.p != this.s.end) return null;
    return this.out.toBuffer();
  }

  private matches(): bool {
    const depth = this.path.length;
    for (let i = 0; i < this.patterns.length; i++) {
      const pat = this.patterns[i];
      if (pat.length != depth) continue;
      let all = true;
      for (let j = 0; j < depth; j++) {
        if (pat[j] != "*" && pat[j] != this.path[j]) { all = false; break; }
      }
      if (all) return true;
    }
    return false;
  }

  @inline private peek(): u8 {
    return this.s.p < this.s.end ? load<u8>(this.s.p) : 0;
  }

  private ws(): void {
    while (this.s.p < this.s.end) {
      const c = load<u8>(this.s.p);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) {
        this.out.byte(c);
        this.s.p++;
      } else break;
    }
  }

  private fail(): void {
    this.s.ok = false;
    this.s.p = this.s.end;
  }

  // Copies (or, at a redacted path, replaces) one value.
  private value(depth: i32): void {
    if (!this.s.ok) return;
    if (depth > MAX_DEPTH) { this.fail(); return; }
    if (this.path.length > 0 && this.matches()) {
      const save = this.out.len;
      this.copyValue(depth); // validates and skips it
      this.out.len = save;
      if (this.s.ok) this.out.ascii(REDACTED);
      return;
    }
    this.copyValue(depth);
  }

  private copyValue(depth: i32): void {
    const c = this.peek();
    if (c == 0x7b) this.object(depth);
    else if (c == 0x5b) this.array(depth);
    else if (c == 0x22) this.string();
    else this.scalar();
  }

  private object(depth: i32): void {
    this.out.byte(0x7b);
    this.s.p++;
    this.ws();
    if (this.peek() == 0x7d) { this.out.byte(0x7d); this.s.p++; return; }
    while (this.s.ok) {
      this.ws();
      if (this.peek() != 0x22) { this.fail(); return; }
      const keyStart = this.s.p;
      this.string();
      if (!this.s.ok) return;
      const key = decodeKey(keyStart, this.s.p);
      if (key === null) { this.fail(); return; }
      this.ws();
      if (this.peek() != 0x3a) { this.fail(); return; }
      this.out.byte(0x3a);
      this.s.p++;
      this.ws();
      this.path.push(key);
      this.value(depth + 1);
      this.path.pop();
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.out.byte(0x2c); this.s.p++; continue; }
      if (c == 0x7d) { this.out.byte(0x7d); this.s.p++; return; }
      this.fail();
    }
  }

  private array(depth: i32): void {
    this.out.byte(0x5b);
    this.s.p++;
    this.ws();
    if (this.peek() == 0x5d) { this.out.byte(0x5d); this.s.p++; return; }
    let index = 0;
    while (this.s.ok) {
      this.ws();
      this.path.push(index.toString());
      this.value(depth + 1);
      this.path.pop();
      index++;
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.out.byte(0x2c); this.s.p++; continue; }
      if (c == 0x5d) { this.out.byte(0x5d); this.s.p++; return; }
      this.fail();
    }
  }

  private string(): void {
    const start = this.s.p;
    this.s.p++;
    while (this.s.p < this.s.end) {
      const c = load<u8>(this.s.p);
      if (c == 0x22) {
        this.s.p++;
        this.out.bytes(start, <i32>(this.s.p - start));
        return;
      }
      if (c < 0x20) break;
      this.s.p += c == 0x5c ? 2 : 1;
    }
    this.fail();
  }

  // Literals (true, false, null) exactly; numbers loosely (the characters a JSON
  // number may hold). A run of letters fails at its first mismatch, so a large
  // non-JSON body costs a few bytes here, not a scan and a decode of all of it.
  private scalar(): void {
    const start = this.s.p;
    const first = load<u8>(start);
    if (first >= 0x61 && first <= 0x7a) {
      const n = literalAt(start, this.s.end);
      if (n == 0) { this.fail(); return; }
      this.s.p += n;
      this.out.bytes(start, n);
      return;
    }
    while (this.s.p < this.s.end) {
      const c = load<u8>(this.s.p);
      const ok = (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45;
      if (!ok) break;
      this.s.p++;
    }
    const n = <i32>(this.s.p - start);
    if (n == 0) { this.fail(); return; }
    this.out.bytes(start, n);
  }
}

// Length of the literal true, false or null at p (not followed by another letter), else 0.
function literalAt(p: usize, end: usize): i32 {
  const n = matchWord(p, end, "true") || matchWord(p, end, "false") || matchWord(p, end, "null");
  if (n == 0) return 0;
  const q = p + <usize>n;
  if (q < end) {
    const c = load<u8>(q);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return 0;
  }
  return n;
}

function matchWord(p: usize, end: usize, word: string): i32 {
  const n = word.length;
  if (p + <usize>n > end) return 0;
  for (let i = 0; i < n; i++) if (<i32>load<u8>(p + <usize>i) != word.charCodeAt(i)) return 0;
  return n;
}

// An object key as text (escapes resolved), or null when malformed.
function decodeKey(start: usize, end: usize): string | null {
  let plain = true;
  for (let p = start + 1; p < end - 1; p++) if (load<u8>(p) == 0x5c) { plain = false; break; }
  if (plain) return String.UTF8.decodeUnsafe(start + 1, end - start - 2);
  const v = new JsonParser(String.UTF8.decodeUnsafe(start, end - start)).parse();
  return v === null ? null : v.s;
}
