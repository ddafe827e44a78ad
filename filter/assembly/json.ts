// A small JSON parser that reports errors instead of aborting (the JSON
// libraries for AssemblyScript abort on malformed input, which would trap the
// VM at proxy_on_configure), and the JSON string writer used for header values.

import { ByteBuilder, codePointAt, decodeUtf8At } from "./bytes";

export enum JKind { Null, Bool, Num, Str, Arr, Obj }

// Scalars share these (never written): only containers get arrays of their own.
const NO_ITEMS: Array<JValue> = [];
const NO_KEYS: Array<string> = [];

export class JValue {
  kind: JKind = JKind.Null;
  b: bool = false;
  n: f64 = 0;
  s: string = "";
  items: Array<JValue> = NO_ITEMS;
  keys: Array<string> = NO_KEYS;
  vals: Array<JValue> = NO_ITEMS;

  get(key: string): JValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.vals[i];
    return null;
  }

  kindName(): string {
    switch (this.kind) {
      case JKind.Null: return "null";
      case JKind.Bool: return "boolean";
      case JKind.Num: return "number";
      case JKind.Str: return "string";
      case JKind.Arr: return "array";
      default: return "object";
    }
  }
}

export const MAX_DEPTH = 16;
// Members of one object or elements of one array: parsing stays linear and a
// hostile document is refused at the first member past the limit.
export const MAX_MEMBERS = 256;

// A piece of the input for a message: long keys are cut so an error stays one short line.
export function brief(s: string): string {
  return s.length <= 64 ? s : s.substring(0, 61) + "...";
}

export class JsonParser {
  private src: string;
  private pos: i32 = 0;
  error: string = "";

  constructor(src: string) {
    this.src = src;
  }

  // The parsed document, or null with `error` set ("at offset N: ...").
  parse(): JValue | null {
    this.ws();
    const v = this.value(0);
    if (v === null) return null;
    this.ws();
    if (this.pos < this.src.length) return this.fail("unexpected data after the JSON value");
    return v;
  }

  private fail(msg: string): JValue | null {
    if (this.error.length == 0) this.error = "at offset " + this.pos.toString() + ": " + msg;
    return null;
  }

  private ws(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }

  private value(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail("nested deeper than " + MAX_DEPTH.toString() + " levels");
    if (this.pos >= this.src.length) return this.fail("unexpected end of input");
    const c = this.src.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JValue();
      v.kind = JKind.Str;
      v.s = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) { const v = new JValue(); v.kind = JKind.Bool; v.b = true; return v; }
    if (this.literal("false")) { const v = new JValue(); v.kind = JKind.Bool; return v; }
    if (this.literal("null")) return new JValue();
    return this.fail("unexpected character");
  }

  private literal(word: string): bool {
    if (this.src.substr(this.pos, word.length) == word) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private object(depth: i32): JValue | null {
    const v = new JValue();
    v.kind = JKind.Obj;
    v.keys = [];
    v.vals = [];
    const seen = new Set<string>();
    this.pos++; // {
    this.ws();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x22) return this.fail("expected a string key");
      const keyAt = this.pos;
      const k = this.string();
      if (k === null) return null;
      if (v.keys.length >= MAX_MEMBERS) { this.pos = keyAt; return this.fail("more than " + MAX_MEMBERS.toString() + " members in one object"); }
      if (seen.has(k)) { this.pos = keyAt; return this.fail("duplicate key \"" + brief(k) + "\""); }
      seen.add(k);
      this.ws();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      this.ws();
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(k);
      v.vals.push(item);
      this.ws();
      if (this.pos >= this.src.length) return this.fail("unterminated object");
      const c = this.src.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x7d) return v;
      this.pos--;
      return this.fail("expected ',' or '}'");
    }
  }

  private array(depth: i32): JValue | null {
    const v = new JValue();
    v.kind = JKind.Arr;
    v.items = [];
    this.pos++; // [
    this.ws();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (v.items.length >= MAX_MEMBERS) return this.fail("more than " + MAX_MEMBERS.toString() + " elements in one array");
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.ws();
      if (this.pos >= this.src.length) return this.fail("unterminated array");
      const c = this.src.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x5d) return v;
      this.pos--;
      return this.fail("expected ',' or ']'");
    }
  }

  private number(): JValue | null {
    const s = this.src;
    const start = this.pos;
    if (s.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (this.pos >= s.length) return this.fail("bad number");
    let c = s.charCodeAt(this.pos);
    if (c == 0x30) this.pos++;
    else if (c >= 0x31 && c <= 0x39) { while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++; }
    else return this.fail("bad number");
    if (this.pos < s.length && s.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      if (this.pos >= s.length || !isDigit(s.charCodeAt(this.pos))) return this.fail("bad number");
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    }
    if (this.pos < s.length) {
      c = s.charCodeAt(this.pos);
      if (c == 0x65 || c == 0x45) {
        this.pos++;
        if (this.pos < s.length && (s.charCodeAt(this.pos) == 0x2b || s.charCodeAt(this.pos) == 0x2d)) this.pos++;
        if (this.pos >= s.length || !isDigit(s.charCodeAt(this.pos))) return this.fail("bad number");
        while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
      }
    }
    const v = new JValue();
    v.kind = JKind.Num;
    v.n = F64.parseFloat(s.substring(start, this.pos));
    return v;
  }

  // Escapes are decoded into one growing UTF-16 buffer, so a string full of them costs its
  // length (one allocation per doubling), not its length squared or an object per escape.
  private string(): string | null {
    const s = this.src;
    this.pos++; // opening quote
    const start = this.pos;
    // Fast path: no escape before the closing quote.
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        const plain = s.substring(start, this.pos);
        this.pos++;
        return plain;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) break;
      this.pos++;
    }
    if (this.pos >= s.length) { this.fail("unterminated string"); return null; }
    let buf = new ArrayBuffer((this.pos - start + 16) << 1);
    let n = this.pos - start;
    memory.copy(changetype<usize>(buf), changetype<usize>(s) + (<usize>start << 1), <usize>n << 1);
    while (true) {
      if (this.pos >= s.length) { this.fail("unterminated string"); return null; }
      let c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        this.pos++;
        return String.UTF16.decodeUnsafe(changetype<usize>(buf), <usize>n << 1);
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      this.pos++;
      if (c == 0x5c) {
        if (this.pos >= s.length) { this.fail("unterminated string"); return null; }
        const e = s.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x22 || e == 0x5c || e == 0x2f) c = e;
        else if (e == 0x62) c = 0x08;
        else if (e == 0x66) c = 0x0c;
        else if (e == 0x6e) c = 0x0a;
        else if (e == 0x72) c = 0x0d;
        else if (e == 0x74) c = 0x09;
        else if (e == 0x75) {
          if (this.pos + 4 > s.length) { this.fail("bad \\u escape"); return null; }
          let code: i32 = 0;
          for (let i = 0; i < 4; i++) {
            const h = hexVal(s.charCodeAt(this.pos + i));
            if (h < 0) { this.fail("bad \\u escape"); return null; }
            code = (code << 4) | h;
          }
          this.pos += 4;
          c = code;
        } else { this.pos--; this.fail("bad escape"); return null; }
      }
      if ((n << 1) >= buf.byteLength) {
        const bigger = new ArrayBuffer(buf.byteLength << 1);
        memory.copy(changetype<usize>(bigger), changetype<usize>(buf), <usize>n << 1);
        buf = bigger;
      }
      store<u16>(changetype<usize>(buf) + (<usize>n << 1), <u16>c);
      n++;
    }
  }
}

@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX = "0123456789abcdef";

function escapeUnit(out: ByteBuilder, c: u32): void {
  out.ascii("\\u");
  out.byte(<u8>HEX.charCodeAt((c >> 12) & 0xf));
  out.byte(<u8>HEX.charCodeAt((c >> 8) & 0xf));
  out.byte(<u8>HEX.charCodeAt((c >> 4) & 0xf));
  out.byte(<u8>HEX.charCodeAt(c & 0xf));
}

// Writes one code point as Go's encoding/json would inside a string literal,
// with one deliberate difference: DEL and the C1 controls are escaped too, so
// that no control character of any kind can reach an HTTP header.
function writeCodePoint(out: ByteBuilder, c: u32): void {
  if (c == 0x22) { out.ascii("\\\""); return; }
  if (c == 0x5c) { out.ascii("\\\\"); return; }
  if (c < 0x20) {
    if (c == 0x0a) out.ascii("\\n");
    else if (c == 0x0d) out.ascii("\\r");
    else if (c == 0x09) out.ascii("\\t");
    else if (c == 0x08) out.ascii("\\b");
    else if (c == 0x0c) out.ascii("\\f");
    else escapeUnit(out, c);
    return;
  }
  // Go's HTML-safe escaping; U+2028/2029 because JavaScript treats them as line ends.
  if (c == 0x3c || c == 0x3e || c == 0x26 || c == 0x2028 || c == 0x2029 || (c >= 0x7f && c <= 0x9f)) {
    escapeUnit(out, c);
    return;
  }
  out.codePoint(c);
}

// Appends `s` as a JSON string literal (with quotes), UTF-8 encoded.
export function writeJsonString(out: ByteBuilder, s: string): void {
  out.byte(0x22);
  for (let i = 0; i < s.length; ) {
    const r = codePointAt(s, i);
    writeCodePoint(out, r & 0x1fffff);
    i += <i32>(r >> 24);
  }
  out.byte(0x22);
}

// Appends the bytes [p, p+n) (UTF-8, possibly invalid, as request headers may
// be) as a JSON string literal; invalid sequences become U+FFFD as in Go.
export function writeJsonBytes(out: ByteBuilder, p: usize, n: usize): void {
  out.byte(0x22);
  const end = p + n;
  let run = p; // start of a run of bytes copied verbatim
  while (p < end) {
    const b = load<u8>(p);
    // Printable ASCII that needs no escape is copied in runs.
    if (b >= 0x20 && b < 0x7f && b != 0x22 && b != 0x5c && b != 0x3c && b != 0x3e && b != 0x26) { p++; continue; }
    out.bytes(run, <i32>(p - run));
    if (b < 0x80) {
      writeCodePoint(out, <u32>b);
      p++;
    } else {
      const r = decodeUtf8At(p, end);
      writeCodePoint(out, r & 0x1fffff);
      p += <usize>(r >> 24);
    }
    run = p;
  }
  out.bytes(run, <i32>(p - run));
  out.byte(0x22);
}
