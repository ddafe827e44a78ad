// Sampling: one decision per exchange, from its id (ce-id), so that its request and response
// events are kept or left out together, and every proxy that sees the same Ce-Id decides alike.
// The id's FNV-1a 64 hash, mixed by MurmurHash3's fmix64 (FNV's high bits alone follow the
// last bytes poorly); the exchange is kept when its top 53 bits are below rate × 2^53, so rate 1
// keeps everything and rate 0 nothing. docs/plugin-config.md gives the same recipe for consumers.

import { lit, startsWithAsciiCaseless } from "./bytes";

const TWO_POW_53: f64 = 9007199254740992.0;

export function idHash(p: usize, n: i32): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < n; i++) {
    h ^= <u64>load<u8>(p + <usize>i);
    h *= 0x100000001b3;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}

// The hash below which an exchange is kept (top 53 bits).
export function keepThreshold(rate: f64): u64 {
  if (rate >= 1.0) return <u64>TWO_POW_53;
  if (rate <= 0.0) return 0;
  return <u64>(rate * TWO_POW_53);
}

// At rate 1 (the threshold 2^53, set at configure time) every exchange is kept: no hash.
export function keptAtRate(p: usize, n: i32, threshold: u64): bool {
  return threshold >= <u64>TWO_POW_53 || (idHash(p, n) >> 11) < threshold;
}

// The per-request sampling header's verdict.
export const SAMPLE_BY_RATE: i32 = 0;
export const SAMPLE_FORCE: i32 = 1;
export const SAMPLE_SKIP: i32 = 2;

const V_FORCE = lit("force");
const V_SKIP = lit("skip");

// `force` or `skip` in any case; any other value leaves the decision to the rate.
export function headerVerdict(p: usize, n: i32): i32 {
  if (n == 5 && startsWithAsciiCaseless(p, n, V_FORCE)) return SAMPLE_FORCE;
  if (n == 4 && startsWithAsciiCaseless(p, n, V_SKIP)) return SAMPLE_SKIP;
  return SAMPLE_BY_RATE;
}
