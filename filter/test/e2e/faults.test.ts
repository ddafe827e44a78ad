// The logger down, slow, failing, resetting or answering garbage: every
// inference request still succeeds with the same body, and the filter's
// counters add up (sent + failed + dropped = attempted).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SinkBehaviour } from "../../../testbed/sink.js";
import { startStack } from "../../../testbed/stack.js";
import { pluginConfig, post, settledCounters } from "./support.js";

const N = 40;
const FAST_RETRY = { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 20 };

async function drive(url: string): Promise<{ failed: number; altered: number }> {
  let failed = 0;
  let altered = 0;
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const body = JSON.stringify({ instances: [[i, 1]] });
      const res = await post(`${url}/v1/models/m:predict`, body);
      if (res.status !== 200) failed++;
      else if (res.body.toString() !== JSON.stringify({ predictions: [i + 1] })) altered++;
    }),
  );
  return { failed, altered };
}

const cases: {
  name: string;
  behaviour?: SinkBehaviour;
  noSink?: boolean;
  timeoutMs?: number;
  expect: (c: Record<string, number>) => void;
}[] = [
  {
    name: "logger down for the whole run",
    noSink: true,
    expect: (c) => {
      assert.equal(c.sent, 0);
      assert.equal(c.failed + c.dropped, c.attempted);
      assert.ok(c.retried > 0, "connection failures are retried");
    },
  },
  {
    name: "logger answering 500",
    behaviour: { kind: "status", status: 500 },
    expect: (c) => {
      assert.equal(c.sent, 0);
      assert.ok(c.retried > 0);
    },
  },
  { name: "logger answering 503", behaviour: { kind: "status", status: 503 }, expect: (c) => assert.equal(c.sent, 0) },
  {
    name: "logger answering 400 (not retried: the event itself is refused)",
    behaviour: { kind: "status", status: 400 },
    expect: (c) => {
      assert.equal(c.sent, 0);
      assert.equal(c.retried, 0);
    },
  },
  {
    name: "logger slower than the callout timeout",
    behaviour: { kind: "delay", ms: 400 },
    timeoutMs: 50,
    expect: (c) => assert.equal(c.sent, 0),
  },
  { name: "logger resetting connections", behaviour: { kind: "reset" }, expect: (c) => assert.equal(c.sent, 0) },
  { name: "logger answering garbage", behaviour: { kind: "garbage" }, expect: (c) => assert.equal(c.sent, 0) },
  {
    name: "logger accepting with 202 (a Knative broker)",
    behaviour: { kind: "ok", status: 202 },
    expect: (c) => assert.equal(c.sent, c.attempted),
  },
];

describe("logger faults never harm inference traffic", () => {
  for (const k of cases) {
    test(k.name, async () => {
      const stack = await startStack({
        pluginConfig: pluginConfig({
          retry: FAST_RETRY,
          logger: { ...(pluginConfig().logger as object), timeoutMs: k.timeoutMs ?? 2000 },
        }),
        noSink: k.noSink,
        sink: k.behaviour ? { behaviour: k.behaviour } : undefined,
      });
      try {
        const memBefore = stack.host.memoryBytes;
        const r = await drive(stack.url);
        assert.equal(r.failed, 0, "inference requests failed");
        assert.equal(r.altered, 0, "inference bodies altered");
        const c = await settledCounters(stack, 2 * N);
        assert.equal(c.attempted, 2 * N);
        assert.equal(c.sent + c.failed + c.dropped, c.attempted, `counters add up: ${JSON.stringify(c)}`);
        k.expect(c);
        assert.ok(
          stack.host.memoryBytes <= Math.max(memBefore, 4 * 65536) * 4,
          `Wasm memory stays bounded (${memBefore} → ${stack.host.memoryBytes})`,
        );
        assert.ok(!stack.host.failed, "the VM never trapped");
      } finally {
        await stack.close();
      }
    });
  }

  test("beyond the in-flight cap events are dropped and counted, never waited for", async () => {
    const stack = await startStack({
      pluginConfig: pluginConfig({ limits: { maxInflightCallouts: 2 }, retry: { maxRetries: 0 } }),
      sink: { behaviour: { kind: "delay", ms: 200 } },
    });
    try {
      const r = await drive(stack.url);
      assert.equal(r.failed + r.altered, 0);
      const c = await settledCounters(stack, 2 * N);
      assert.ok(c.dropped > 0, "some events were dropped at the cap");
      assert.equal(c.sent + c.failed + c.dropped, c.attempted);
    } finally {
      await stack.close();
    }
  });
});
