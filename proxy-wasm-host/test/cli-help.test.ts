// The host's command line answers --help with their usage (exit 0) and a
// bad flag with the usage on stderr (exit 2), instead of a stack trace.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const run = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", ...args], { encoding: "utf8", timeout: 60_000 });

test("the host's cli.ts: --help prints the usage; an unknown flag names it, no stack trace", () => {
  const help = run(["proxy-wasm-host/src/cli.ts", "--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage:\n {2}node --import tsx proxy-wasm-host\/src\/cli\.ts --wasm FILE --upstream URL/m);
  assert.match(help.stdout, /--cluster NAME=HOST:PORT/);
  assert.match(help.stdout, /--concurrency N .*Envoy's --concurrency/);
  const zero = run([
    "proxy-wasm-host/src/cli.ts",
    "--wasm",
    "x",
    "--upstream",
    "http://127.0.0.1:1",
    "--concurrency",
    "0",
  ]);
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /--concurrency 0: expected a positive integer/);
  const bad = run(["proxy-wasm-host/src/cli.ts", "--bogus"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Unknown option '--bogus'/);
  assert.doesNotMatch(bad.stderr, /\n {4}at /, "no stack trace");
});
