// Scanning JSON in place, as bytes: the steps both the redactor (redact.ts) and the LLM
// extractor (openai.ts) take over a body without decoding it. Each returns the position after
// what it scanned, or 0 when the bytes are not what it expected.

@inline export function skipWs(p: usize, end: usize): usize {
  while (p < end) {
    const c = load<u8>(p);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
    p++;
  }
  return p;
}

// After the opening quote at p: the position after the closing quote, or 0 when malformed.
export function skipString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return 0;
    p += c == 0x5c ? 2 : 1;
  }
  return 0;
}

// `"key" :` at p: the position after the colon, or 0.
export function skipKey(p: usize, end: usize): usize {
  if (p >= end || load<u8>(p) != 0x22) return 0;
  p = skipString(p, end);
  if (p == 0) return 0;
  p = skipWs(p, end);
  if (p >= end || load<u8>(p) != 0x3a) return 0;
  return p + 1;
}

// Literals (true, false, null) exactly; numbers loosely (a run of the characters a JSON
// number may hold): its end, or 0. A run of letters fails at its first mismatch, so a large
// non-JSON body costs a few bytes here, not a scan of all of it.
export function skipScalar(p: usize, end: usize): usize {
  const first = load<u8>(p);
  if (first >= 0x61 && first <= 0x7a) {
    const n = literalAt(p, end);
    return n == 0 ? 0 : p + <usize>n;
  }
  const start = p;
  while (p < end) {
    const c = load<u8>(p);
    if (!((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45)) break;
    p++;
  }
  return p == start ? 0 : p;
}

// Any one value at p (after whitespace), its nesting counted rather than recursed into: the
// position after it, or 0. Brackets are not matched by kind; an extractor only needs to get past it.
export function skipValue(p: usize, end: usize): usize {
  p = skipWs(p, end);
  if (p >= end) return 0;
  const c = load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c != 0x7b && c != 0x5b) return skipScalar(p, end);
  let depth = 0;
  while (p < end) {
    const b = load<u8>(p);
    if (b == 0x22) {
      p = skipString(p, end);
      if (p == 0) return 0;
      continue;
    }
    if (b == 0x7b || b == 0x5b) depth++;
    else if (b == 0x7d || b == 0x5d) {
      depth--;
      if (depth == 0) return p + 1;
    }
    p++;
  }
  return 0;
}

// Length of the literal true, false or null at p (not followed by another letter), else 0.
export function literalAt(p: usize, end: usize): i32 {
  if (p + 4 > end) return 0;
  const w = load<u32>(p);
  let n = 0;
  if (w == 0x65757274 || w == 0x6c6c756e) n = 4; // "true", "null" (little-endian)
  else if (w == 0x736c6166 && p + 5 <= end && load<u8>(p + 4) == 0x65) n = 5; // "fals" "e"
  if (n == 0) return 0;
  const q = p + <usize>n;
  if (q < end) {
    const c = load<u8>(q);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return 0;
  }
  return n;
}

// The escapes of a JSON string's body [p, p+n) are all valid (\" \\ \/ \b \f \n \r \t \uXXXX):
// such a body can be copied into other JSON as it is.
export function validEscapes(p: usize, n: i32): bool {
  const end = p + <usize>n;
  while (p < end) {
    const c = load<u8>(p);
    if (c < 0x20) return false;
    if (c != 0x5c) { p++; continue; }
    if (p + 1 >= end) return false;
    const e = load<u8>(p + 1);
    if (e == 0x75) {
      if (p + 6 > end) return false;
      for (let i: usize = 2; i < 6; i++) if (!isHex(load<u8>(p + i))) return false;
      p += 6;
    } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) p += 2;
    else return false;
  }
  return true;
}

@inline function isHex(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
