// "Did you mean …?": the known name a mistyped one is closest to (LoggerSpec fields, commands, flags).

/** The candidate closest to `s` by edit distance, if it is close enough to be a typo of it. */
export function nearest(s: string, candidates: readonly string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]!;
        row[j] = Math.min(
          row[j]! + 1,
          row[j - 1]! + 1,
          prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
        );
        prev = cur;
      }
    }
    return row[b.length]!;
  };
  // a name typed short ("--module-sha") means the one it begins
  const prefixed = candidates.filter((c) => c.length > s.length && c.toLowerCase().startsWith(s.toLowerCase()));
  if (prefixed.length > 0) return prefixed.sort((a, b) => a.length - b.length)[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dd = dist(s, c);
    if (dd < bestD) [best, bestD] = [c, dd];
  }
  return bestD <= Math.max(2, Math.floor(s.length / 3)) ? best : undefined;
}
