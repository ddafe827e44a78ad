// The reliability scenarios of docs/reliability.md, asserted: no inference
// request fails or changes, every event is accounted for, Wasm memory stays flat.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runScenario, SCENARIOS, WASM_BOUND } from "./scenarios.js";

describe("reliability scenarios", () => {
  for (const sc of SCENARIOS) {
    test(sc.name, async () => {
      const f = await runScenario(sc, 200);
      assert.equal(f.inferenceFailed, 0, "inference requests failed");
      assert.equal(f.bodiesAltered, 0, "inference bodies altered");
      assert.equal(f.attempted, 400, "every exchange attempted its two events");
      assert.equal(f.unaccounted, 0, `sent + failed + dropped = attempted: ${JSON.stringify(f)}`);
      // Linear memory is a high-water mark: bounded by the caps here; growth with traffic
      // would show in the soak (soak.test.ts, and 100,000 exchanges in docs/reliability.md).
      assert.ok(
        f.wasmEndBytes <= WASM_BOUND,
        `Wasm memory bounded (${f.wasmStartBytes} → ${f.wasmHalfBytes} → ${f.wasmEndBytes})`,
      );
      if (
        sc.name.startsWith("reconfiguration") ||
        sc.name.startsWith("logger up") ||
        sc.name.startsWith("configuration refused")
      ) {
        assert.equal(f.sent, f.attempted, "no event lost");
        assert.equal(f.received, f.attempted, "the sink received every event");
      }
      if (sc.noSink || sc.behaviour?.kind === "status" || sc.behaviour?.kind === "reset")
        assert.ok(f.retried > 0, "failures are retried");
    });
  }
});
