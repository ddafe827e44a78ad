// The testbed's servers, named in the README, answer --help with their usage (exit 0) instead of
// starting a server.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const run = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", ...args], { encoding: "utf8", timeout: 60_000 });

test("the sink's --help prints its usage instead of starting a server", () => {
  const help = run(["testbed/sink.ts", "--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage:\n {2}node --import tsx testbed\/sink\.ts \[--port PORT\]/);
  assert.doesNotMatch(help.stdout + help.stderr, /listening/);
});
