// A short soak in the test suite (the full 100,000-exchange run is in
// `npm run reliability`): counters exact, memory flat, across logger down → up.

import assert from "node:assert/strict";
import { test } from "node:test";
import { soak } from "./soak.js";

test("soak: 4,000 exchanges, logger down then up: counters exact, Wasm memory flat", async () => {
  const f = await soak(4000);
  assert.equal(f.attempted, 8000);
  assert.equal(f.sent + f.failed + f.dropped, f.attempted, JSON.stringify(f));
  assert.equal(f.dropped, 0, "no event dropped at this pace");
  assert.equal(f.failed, 4000, "every event of the down phase failed after its retries");
  assert.equal(f.sent, 4000, "every event of the up phase was delivered");
  assert.equal(f.received, f.sent, "the sink received what the filter counted as sent");
  assert.equal(f.wasmBytes.end, f.wasmBytes.switch, `Wasm memory flat: ${JSON.stringify(f.wasmBytes)}`);
});
