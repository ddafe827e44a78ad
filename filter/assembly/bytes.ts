// A growable byte buffer. Everything the filter writes onto the wire (header
// values, pairs blocks, bodies) is assembled here so that a per-event cost is
// one bulk copy per piece rather than one allocation per string.

// A string literal as UTF-8 bytes, encoded once at module start: the per-request
// path writes literals with ByteBuilder.lit and compares with bytesEqual, never
// walking a UTF-16 string.
export function lit(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

// [p, p+n) equals the literal's bytes.
@inline export function bytesEqual(p: usize, n: i32, l: ArrayBuffer): bool {
  return n == l.byteLength && memory.compare(p, changetype<usize>(l), <usize>n) == 0;
}

// memory.copy is a call out of the Wasm code in V8; the short pieces an event is
// made of (header names, ids, times) are copied eight bytes at a time instead.
@inline export function copyBytes(dst: usize, src: usize, n: i32): void {
  if (n > 64) {
    memory.copy(dst, src, <usize>n);
    return;
  }
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + <usize>i, load<u64>(src + <usize>i));
  for (; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

// Eight bytes at a time (SWAR): the high bit set in each byte of w that is zero (exact as to
// whether any is; the SSE line scan looks for LF and CR this way).
@inline export function zeroBytes(w: u64): u64 {
  return (w - 0x0101010101010101) & ~w & 0x8080808080808080;
}

// [p, p+n) contains the lower-case ASCII literal, letters compared case-insensitively.
export function containsAsciiCaseless(p: usize, n: i32, lower: ArrayBuffer): bool {
  for (let i = 0; i + lower.byteLength <= n; i++) {
    if (startsWithAsciiCaseless(p + <usize>i, n - i, lower)) return true;
  }
  return false;
}

// [p, p+n) starts with the lower-case ASCII literal, letters compared case-insensitively.
export function startsWithAsciiCaseless(p: usize, n: i32, lower: ArrayBuffer): bool {
  const k = lower.byteLength;
  if (n < k) return false;
  const l = changetype<usize>(lower);
  for (let j = 0; j < k; j++) {
    let c = load<u8>(p + <usize>j);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != load<u8>(l + <usize>j)) return false;
  }
  return true;
}

// A plain decimal of at most 12 digits at [p, p+n) (content-length, :status), or -1.
export function parseDecimal(p: usize, n: i32): i64 {
  if (n <= 0 || n > 12) return -1;
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(p + <usize>i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v;
}

// A managed copy of [p, p+n) (a value read in place that outlives its callback).
export function copyOf(p: usize, n: i32): ArrayBuffer {
  const b = new ArrayBuffer(n);
  memory.copy(changetype<usize>(b), p, <usize>n);
  return b;
}

// The one empty buffer: default fields and empty bodies share it (nothing writes into it).
export const NO_BYTES = new ArrayBuffer(0);

export class ByteBuilder {
  buf: ArrayBuffer;
  len: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.buf = new ArrayBuffer(capacity > 0 ? capacity : 8);
  }

  @inline get ptr(): usize {
    return changetype<usize>(this.buf);
  }

  reset(): void {
    this.len = 0;
  }

  // The check is inlined at every call site; growing is the rare, out-of-line part.
  @inline ensure(extra: i32): void {
    if (this.len + extra > this.buf.byteLength) this.grow(this.len + extra);
  }

  private grow(need: i32): void {
    let cap = this.buf.byteLength;
    while (cap < need) cap <<= 1;
    const next = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>this.len);
    this.buf = next;
  }

  @inline byte(b: u8): void {
    this.ensure(1);
    store<u8>(this.ptr + <usize>this.len, b);
    this.len += 1;
  }

  bytes(src: usize, n: i32): void {
    if (n <= 0) return;
    this.ensure(n);
    copyBytes(this.ptr + <usize>this.len, src, n);
    this.len += n;
  }

  buffer(b: ArrayBuffer): void {
    this.bytes(changetype<usize>(b), b.byteLength);
  }

  // A literal encoded once (lit()): one bulk copy, no UTF-16 on the way.
  @inline lit(l: ArrayBuffer): void {
    this.bytes(changetype<usize>(l), l.byteLength);
  }

  // Two decimal digits of v (0..99).
  @inline digits2(v: u32): void {
    this.ensure(2);
    const p = this.ptr + <usize>this.len;
    store<u8>(p, <u8>(0x30 + v / 10));
    store<u8>(p + 1, <u8>(0x30 + v % 10));
    this.len += 2;
  }

  // A non-negative number in decimal, zero-padded to `width` digits; no string is made.
  decimal(v: u64, width: i32 = 1): void {
    let n = 1;
    for (let t = v; t >= 10; t /= 10) n++;
    const len = n > width ? n : width;
    this.ensure(len);
    const p = this.ptr + <usize>this.len;
    let t = v;
    for (let i = len - 1; i >= 0; i--) {
      store<u8>(p + <usize>i, <u8>(0x30 + <u32>(t % 10)));
      t /= 10;
    }
    this.len += len;
  }

  // ASCII only: used for literals and numbers the filter itself produces.
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const p = this.ptr + <usize>this.len;
    for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
    this.len += n;
  }

  // UTF-8 encoding of an AssemblyScript (UTF-16) string; lone surrogates become U+FFFD.
  utf8(s: string): void {
    for (let i = 0; i < s.length; ) {
      const r = codePointAt(s, i);
      this.codePoint(r & 0x1fffff);
      i += <i32>(r >> 24);
    }
  }

  codePoint(c: u32): void {
    if (c < 0x80) {
      this.byte(<u8>c);
    } else if (c < 0x800) {
      this.ensure(2);
      this.byte(<u8>(0xc0 | (c >> 6)));
      this.byte(<u8>(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      this.ensure(3);
      this.byte(<u8>(0xe0 | (c >> 12)));
      this.byte(<u8>(0x80 | ((c >> 6) & 0x3f)));
      this.byte(<u8>(0x80 | (c & 0x3f)));
    } else {
      this.ensure(4);
      this.byte(<u8>(0xf0 | (c >> 18)));
      this.byte(<u8>(0x80 | ((c >> 12) & 0x3f)));
      this.byte(<u8>(0x80 | ((c >> 6) & 0x3f)));
      this.byte(<u8>(0x80 | (c & 0x3f)));
    }
  }

  // A fresh ArrayBuffer holding exactly the bytes written.
  toBuffer(): ArrayBuffer {
    return this.buf.slice(0, this.len);
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len);
  }
}

// The code point at UTF-16 index i in the low 21 bits and the number of code
// units it took (1 or 2) in bits 24..25; a lone surrogate reads as U+FFFD.
export function codePointAt(s: string, i: i32): u32 {
  const c = <u32>s.charCodeAt(i);
  if (c < 0xd800 || c >= 0xe000) return c | (1 << 24);
  if (c < 0xdc00 && i + 1 < s.length) {
    const d = <u32>s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d < 0xe000) return (0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)) | (2 << 24);
  }
  return 0xfffd | (1 << 24);
}

// Decodes one UTF-8 code point at p (end exclusive). Returns the code point in
// the low 21 bits and its byte length in bits 24..26; invalid sequences decode
// to U+FFFD with length 1, as Go's encoding/json and WHATWG decoders do.
export function decodeUtf8At(p: usize, end: usize): u32 {
  const b0 = <u32>load<u8>(p);
  if (b0 < 0x80) return b0 | (1 << 24);
  let need: i32 = 0;
  let min: u32 = 0;
  let cp: u32 = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { need = 2; cp = b0 & 0x0f; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { need = 3; cp = b0 & 0x07; min = 0x10000; }
  else return 0xfffd | (1 << 24);
  if (p + <usize>need >= end) return 0xfffd | (1 << 24);
  for (let i = 1; i <= need; i++) {
    const b = <u32>load<u8>(p + <usize>i);
    if ((b & 0xc0) != 0x80) return 0xfffd | (1 << 24);
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return 0xfffd | (1 << 24);
  return cp | (<u32>(need + 1) << 24);
}

// True when [p, p+n) is well-formed UTF-8.
export function isValidUtf8(p: usize, n: usize): bool {
  const end = p + n;
  while (p < end) {
    const r = decodeUtf8At(p, end);
    const len = <usize>(r >> 24);
    if ((r & 0x1fffff) == 0xfffd) {
      // A literal U+FFFD (EF BF BD) is valid; anything else mapped to it is not.
      if (!(len == 3 && load<u8>(p) == 0xef && load<u8>(p + 1) == 0xbf && load<u8>(p + 2) == 0xbd)) return false;
    }
    p += len;
  }
  return true;
}
