// Wall-clock nanoseconds with sub-millisecond resolution that never goes
// backwards within a process (Date.now() at start + monotonic hrtime since).
const baseWallNs = BigInt(Date.now()) * 1_000_000n;
const baseHr = process.hrtime.bigint();

export function wallClockNs(): bigint {
  return baseWallNs + (process.hrtime.bigint() - baseHr);
}

export function monotonicNs(): bigint {
  return process.hrtime.bigint() - baseHr;
}
