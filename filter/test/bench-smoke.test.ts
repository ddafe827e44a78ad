// The benchmark command still runs: `bench/run.ts --quick` (a few iterations of
// every section, figures meaningless) must exit 0 and print its tables. Timings
// are never asserted: benchmarks print, they do not judge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("bench/run.ts --quick exits 0 and prints the table headers", { timeout: 180_000 }, () => {
  assert.ok(existsSync(path.join(REPO, "build/kserve-logger.wasm")), "build/kserve-logger.wasm (make build)");
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", "bench/run.ts", "--quick"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 170_000,
  });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${r.stderr}`);
  assert.match(r.stdout, /^kserve-wasm-logger benchmarks$/m);
  assert.match(r.stdout, /^machine: .+, \d+ cores/m);
  for (const title of [
    "== 1. Work inside the filter",
    "== 2. Through the host over loopback",
    "== 3. Wasm linear memory",
    "== 4a. Module size and configure time",
    "== 4b. Per-request cost against the number of annotations",
    "== 7. LLM mode per streamed chunk",
  ]) {
    assert.ok(r.stdout.includes(title), `missing table: ${title}\n${r.stdout}`);
  }
  // Section 6 (KServe's agent, built from source on first use) is never part of a quick run or of make test.
  assert.ok(!r.stdout.includes("== 6."), "the side-by-side section stays out of --quick");
});
