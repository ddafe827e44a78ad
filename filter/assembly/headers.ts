// Header-name and header-value rules shared by configuration and events.

import { ByteBuilder, decodeUtf8At } from "./bytes";

// RFC 7230 token characters (what Go's textproto accepts in a header name).
export function isTokenChar(c: i32): bool {
  if (c >= 0x30 && c <= 0x39) return true;
  if (c >= 0x41 && c <= 0x5a) return true;
  if (c >= 0x61 && c <= 0x7a) return true;
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a ||
    c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

export function isToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

// Go's textproto.CanonicalMIMEHeaderKey for a valid token: the first letter and
// every letter after '-' upper case, the rest lower case ("x-request-id" →
// "X-Request-Id"). KServe's agent keys the `metadata` JSON by this form.
export function canonicalHeaderKey(s: string): string {
  let out = "";
  let upper = true;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (upper && c >= 0x61 && c <= 0x7a) c -= 0x20;
    else if (!upper && c >= 0x41 && c <= 0x5a) c += 0x20;
    out += String.fromCharCode(c);
    upper = c == 0x2d;
  }
  return out;
}

export function toLowerAscii(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    out += String.fromCharCode(c);
  }
  return out;
}

// C0 controls, DEL, C1 controls and the Unicode line and paragraph separators:
// none of them may ever reach a header value (JavaScript and some log
// pipelines take U+2028/U+2029 for line ends).
@inline export function isControl(c: u32): bool {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

export function hasControlChars(s: string): bool {
  for (let i = 0; i < s.length; i++) if (isControl(<u32>s.charCodeAt(i))) return true;
  return false;
}

const HEX_UPPER = "0123456789ABCDEF";

// CloudEvents HTTP binding 3.1.3.2: bytes outside printable ASCII, space, '"'
// and '%' are percent-encoded (UTF-8 bytes, upper-case hex). Opt-in only: the
// Go, Java and JavaScript SDKs do not decode it (see docs/events.md).
export function appendPercentEncoded(out: ByteBuilder, p: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const b = load<u8>(p + <usize>i);
    if (b <= 0x20 || b >= 0x7f || b == 0x22 || b == 0x25) {
      out.byte(0x25);
      out.byte(<u8>HEX_UPPER.charCodeAt(b >> 4));
      out.byte(<u8>HEX_UPPER.charCodeAt(b & 0xf));
    } else out.byte(b);
  }
}

// Appends a header value as configured: raw bytes, or percent-encoded.
export function appendHeaderValue(out: ByteBuilder, p: usize, n: i32, percent: bool): void {
  if (percent) appendPercentEncoded(out, p, n);
  else out.bytes(p, n);
}

// True when [p, p+n) is well-formed UTF-8 holding no isControl() character: what
// the filter copies raw from a request (ids, content type) or the node (identity)
// into an event header. Anything else is not copied: the caller falls back.
export function isCleanHeaderText(p: usize, n: i32): bool {
  const end = p + <usize>n;
  while (p < end) {
    const b = load<u8>(p);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7f) return false;
      p++;
      continue;
    }
    const r = decodeUtf8At(p, end);
    const cp = r & 0x1fffff;
    const len = <usize>(r >> 24);
    // decodeUtf8At maps invalid sequences to U+FFFD; only a literal EF BF BD is real.
    if (cp == 0xfffd && !(len == 3 && load<u8>(p) == 0xef && load<u8>(p + 1) == 0xbf && load<u8>(p + 2) == 0xbd)) return false;
    if (isControl(cp)) return false;
    p += len;
  }
  return true;
}
