// One closing line over the test layers `make test` ran, read from their logs:
//   tests: 73 as-pect, 262 node: 335 passed, 0 failed, 0 skipped
// (skipped counts skipped tests and skipped suites, e.g. the real-API-server ones under make test-fast)
// Exit 1 when a log is missing or reports a failure (so the line cannot hide one).
//   node --import tsx scripts/test-summary.ts LOG_DIR
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? ".tmp/test-logs";
const read = (f: string): string | undefined =>
  existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : undefined;
// as-pect's summary, colours stripped: "[Tests]: 73 / 73"
// eslint-disable-next-line no-control-regex -- ANSI colour codes
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const unit = read("unit.log");
const node = read("node.log");
let failed = 0;
let passed = 0;
const parts: string[] = [];
if (unit === undefined) {
  parts.push("as-pect: no log");
  failed++;
} else {
  const m = /\[Tests\]: (\d+) \/ (\d+)/.exec(plain(unit));
  const ok = m ? Number(m[1]) : 0;
  const all = m ? Number(m[2]) : 1;
  parts.push(`${all} as-pect`);
  passed += ok;
  failed += all - ok;
}
let skipped = 0;
if (node === undefined) {
  parts.push("node: no log");
  failed++;
} else {
  const n = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, "m").exec(node)?.[1] ?? NaN);
  const [tests, pass, fail, skip] = [n("tests"), n("pass"), n("fail"), n("skipped")];
  if (Number.isNaN(tests)) {
    parts.push("node: no summary (the run did not finish)");
    failed++;
  } else {
    // Node 20 counts a skipped suite as passed and not in "# skipped": count the SKIP lines
    const skipLines = (node.match(/^\s*ok \d+ - .* # SKIP/gm) ?? []).length;
    const skippedSuites = Math.max(0, skipLines - skip);
    parts.push(`${tests} node`);
    passed += pass - skippedSuites;
    failed += fail;
    skipped += skip + skippedSuites;
  }
}
console.log(`tests: ${parts.join(", ")}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
