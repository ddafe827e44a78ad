// One closing line over the test layers `make test` ran, read from their logs:
//   tests: 73 as-pect, 262 node, 111 node with 2 workers: 446 passed, 0 failed, 0 skipped
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
// A Node test runner's log: `label` names it in the line (the workers run repeats tests with 2 workers).
function nodeLog(file: string, label: string, required: boolean): void {
  const log = read(file);
  if (log === undefined) {
    if (required) {
      parts.push(`${label}: no log`);
      failed++;
    }
    return;
  }
  const n = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, "m").exec(log)?.[1] ?? NaN);
  const [tests, pass, fail, skip] = [n("tests"), n("pass"), n("fail"), n("skipped")];
  if (Number.isNaN(tests)) {
    parts.push(`${label}: no summary (the run did not finish)`);
    failed++;
    return;
  }
  // Node 20 counts a skipped suite as passed and not in "# skipped": count the SKIP lines
  const skipLines = (log.match(/^\s*ok \d+ - .* # SKIP/gm) ?? []).length;
  const skippedSuites = Math.max(0, skipLines - skip);
  parts.push(`${tests} ${label}`);
  passed += pass - skippedSuites;
  failed += fail;
  skipped += skip + skippedSuites;
}
nodeLog("node.log", "node", true);
nodeLog("workers.log", "node with 2 workers", false);
console.log(`tests: ${parts.join(", ")}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
