// Sampling (pluginConfig sampling) end to end, over a few thousand exchanges through the compiled
// filter: the kept share follows the rate, an exchange's two events are never split, the
// decision is docs/plugin-config.md's recipe exactly (so a consumer can tell which ids were
// kept), what is left out is counted apart from drops, and the force/skip header overrides it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startStack, type Stack } from "../../../testbed/stack.js";
import { byType, pluginConfig, post, settledCounters, TYPE_REQUEST, TYPE_RESPONSE, withDeadline } from "./support.js";

// docs/plugin-config.md, sampling.rate: FNV-1a 64 of the id, MurmurHash3 fmix64, top 53 bits < rate × 2^53.
const M64 = (1n << 64n) - 1n;
function keptByRecipe(id: string, rate: number): boolean {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(id)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & M64;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & M64;
  h ^= h >> 33n;
  return Number(h >> 11n) < rate * 2 ** 53;
}

async function exchanges(
  stack: Stack,
  ids: string[],
  headers: (id: string) => Record<string, string> = () => ({}),
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const r = await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1,2]]}', {
        "ce-id": id,
        ...headers(id),
      });
      assert.equal(r.status, 200, "inference is never affected by sampling");
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

function sampledOut(stack: Stack): number {
  return Number(stack.host.metrics()["kserve_logger_events_sampled_out"] ?? 0n);
}

async function run(rate: number, n: number): Promise<{ kept: Set<string>; ids: string[]; stack: Stack }> {
  const stack = await startStack({ pluginConfig: pluginConfig({ sampling: { rate } }) });
  const ids = Array.from({ length: n }, (_, i) => `exchange-${rate}-${i}`);
  await exchanges(stack, ids);
  await settledCounters(stack);
  await withDeadline(
    (async () => {
      while (stack.sink!.events.length + sampledOut(stack) < 2 * n) await new Promise((r) => setTimeout(r, 20));
    })(),
    "every event sent or sampled out",
  );
  const req = byType(stack.sink!.events, TYPE_REQUEST).map((e) => e.event.id);
  const resp = byType(stack.sink!.events, TYPE_RESPONSE).map((e) => e.event.id);
  assert.deepEqual(new Set(req), new Set(resp), `rate ${rate}: every kept exchange has both events, no pair is split`);
  assert.equal(req.length, new Set(req).size);
  return { kept: new Set(req), ids, stack };
}

describe("sampling", () => {
  for (const [rate, n, tolerance] of [
    [0, 1000, 0],
    [0.5, 3000, 0.03],
    [1, 1000, 0],
  ] as const) {
    test(`rate ${rate} over ${n} exchanges: ${rate * 100}% kept (±${tolerance * 100}%), pairs never split, the rest counted as sampled out`, async () => {
      const { kept, ids, stack } = await run(rate, n);
      try {
        const share = kept.size / n;
        assert.ok(Math.abs(share - rate) <= tolerance, `kept ${kept.size} of ${n} (${share})`);
        assert.deepEqual(
          ids.filter((id) => kept.has(id)),
          ids.filter((id) => keptByRecipe(id, rate)),
          "exactly the ids the documented recipe keeps",
        );
        const c = await settledCounters(stack);
        assert.equal(c.attempted, 2 * kept.size, "sampled-out events are not attempted");
        assert.equal(c.dropped, 0, "nor dropped");
        assert.equal(sampledOut(stack), 2 * (n - kept.size));
      } finally {
        await stack.close();
      }
    });
  }

  test("without Ce-Id, a fresh UUID decides: about the rate, and still both events or neither", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig({ sampling: { rate: 0.5 } }) });
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next++ < 1000) await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
        }),
      );
      await settledCounters(stack);
      const req = byType(stack.sink!.events, TYPE_REQUEST).map((e) => e.event.id);
      const resp = byType(stack.sink!.events, TYPE_RESPONSE).map((e) => e.event.id);
      assert.deepEqual(new Set(req), new Set(resp));
      // 1000 fair coins: 6 standard deviations is ±95
      assert.ok(Math.abs(req.length - 500) <= 95, `kept ${req.length} of 1000`);
    } finally {
      await stack.close();
    }
  });

  test("sampling.header: force logs and skip leaves out whatever the rate; other values leave it to the rate", async () => {
    for (const rate of [0, 1]) {
      const stack = await startStack({ pluginConfig: pluginConfig({ sampling: { rate, header: "X-Kserve-Log" } }) });
      try {
        const ids = ["forced", "FORCED-caps", "skipped", "SKIP-caps", "other", "none"];
        const values: Record<string, string | undefined> = {
          forced: "force",
          "FORCED-caps": "FORCE",
          skipped: "skip",
          "SKIP-caps": "Skip",
          other: "yes",
          none: undefined,
        };
        await exchanges(stack, ids, (id): Record<string, string> =>
          values[id] === undefined ? {} : { "x-kserve-log": values[id]! },
        );
        await withDeadline(
          (async () => {
            while (stack.sink!.events.length + sampledOut(stack) < 2 * ids.length)
              await new Promise((r) => setTimeout(r, 20));
          })(),
          "every event sent or sampled out",
        );
        const kept = new Set(byType(stack.sink!.events, TYPE_RESPONSE).map((e) => e.event.id));
        const want = rate === 1 ? ["forced", "FORCED-caps", "other", "none"] : ["forced", "FORCED-caps"];
        assert.deepEqual([...kept].sort(), want.sort(), `rate ${rate}`);
      } finally {
        await stack.close();
      }
    }
  });
});
