// A new pluginConfig pushed while traffic flows (what Istio does when the
// installer re-applies a WasmPlugin after an annotation change): no request
// fails, each exchange's events carry one configuration — old or new, never a
// mix — and the retired configuration's events in flight are still delivered.

import assert from "node:assert/strict";
import http from "node:http";
import { describe, test } from "node:test";
import { readFileSync } from "node:fs";
import { Sidecar, WasmHost } from "proxy-wasm-host";
import { ModelServer } from "../../../testbed/model-server.js";
import { ROOT_ID, startStack, WASM_PATH } from "../../../testbed/stack.js";
import { events, pluginConfig, post, settledCounters, withDeadline } from "./support.js";

const OLD = { "serving.example.com/model-version": "v1" };
const NEW = { "serving.example.com/model-version": "v2", "serving.example.com/tenant": "acme" };

describe("reconfiguration", () => {
  test("under load: every request succeeds, each exchange carries old or new annotations, none is lost", async () => {
    // A cap above the load, so that only a reconfiguration could lose an event.
    const limits = { maxInflightCallouts: 1024 };
    const stack = await startStack({
      pluginConfig: pluginConfig({ annotations: OLD, limits }),
      sink: { behaviour: { kind: "delay", ms: 30 } },
    });
    try {
      let failed = 0;
      const send = async (i: number): Promise<void> => {
        const res = await post(`${stack.url}/v1/models/m:predict`, `{"instances":[[${i}]]}`, { "ce-id": `ex-${i}` });
        if (res.status !== 200 || res.body.toString() !== `{"predictions":[${i}]}`) failed++;
      };
      const first = Array.from({ length: 60 }, (_, i) => send(i));
      // Swap while the first wave's requests and callouts are in flight.
      await new Promise((r) => setImmediate(r));
      const res = stack.sidecar.reconfigure(pluginConfig({ annotations: NEW, limits }));
      assert.equal(res.accepted, true);
      const second = Array.from({ length: 60 }, (_, i) => send(60 + i));
      await Promise.all([...first, ...second]);
      assert.equal(failed, 0, "inference requests failed");
      const c = await settledCounters(stack, 240);
      assert.equal(c.attempted, 240);
      assert.equal(c.sent, 240, `no event lost to reconfiguration: ${JSON.stringify(c)}`);
      const evs = await events(stack, 240);
      const byId = new Map<string, string[]>();
      for (const e of evs) {
        const a = e.headers["ce-annotations"]!;
        assert.ok(
          a === JSON.stringify(OLD) || a === JSON.stringify(Object.fromEntries(Object.entries(NEW).sort())),
          `annotations are one configuration's: ${a}`,
        );
        byId.set(e.event.id, [...(byId.get(e.event.id) ?? []), a]);
      }
      for (const [id, as] of byId) {
        assert.equal(as.length, 2, `${id}: request and response`);
        assert.equal(as[0], as[1], `${id}: both events of one exchange carry the same configuration`);
      }
      const usedNew = [...byId.values()].filter((as) => as[0]!.includes("v2")).length;
      assert.ok(usedNew >= 60, "exchanges begun after the swap use the new annotations");
    } finally {
      await stack.close();
    }
  });

  test("an exchange begun before the swap finishes with the old configuration", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig({ annotations: OLD }) });
    try {
      const done = new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${stack.url}/echo`,
          { method: "POST", headers: { "content-type": "application/json", "ce-id": "straddling" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.write('{"instances":');
        // Once the model has the request headers, the filter has seen them: the
        // stream has begun under the old configuration when the new one arrives.
        const swapWhenStarted = (): void => {
          if (stack.model.started < 1) return void setTimeout(swapWhenStarted, 5);
          assert.equal(stack.sidecar.reconfigure(pluginConfig({ annotations: NEW })).accepted, true);
          req.end("[[1]]}");
        };
        swapWhenStarted();
      });
      assert.equal(await withDeadline(done, "the straddling request"), 200);
      await post(`${stack.url}/echo`, "{}", { "ce-id": "after" });
      const evs = await events(stack, 4);
      for (const e of evs.filter((x) => x.event.id === "straddling"))
        assert.equal(e.headers["ce-annotations"], JSON.stringify(OLD));
      for (const e of evs.filter((x) => x.event.id === "after")) assert.ok(e.headers["ce-annotations"]!.includes("v2"));
    } finally {
      await stack.close();
    }
  });

  test("a refused configuration is logged with the field named; traffic flows on the previous one", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig({ annotations: OLD }) });
    try {
      const res = stack.sidecar.reconfigure(pluginConfig({ annotations: NEW, mode: "everything" }));
      assert.equal(res.accepted, false);
      assert.match(
        stack.host.logText(),
        /kserve-logger: invalid pluginConfig: mode: must be all, request or response, not "everything"/,
      );
      const r = await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[5]]}', { "ce-id": "still" });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), '{"predictions":[5]}');
      const evs = await events(stack, 2);
      for (const e of evs)
        assert.equal(e.headers["ce-annotations"], JSON.stringify(OLD), "the previous configuration stays in force");
      assert.equal(Number(stack.host.metric("kserve_logger_config_rejected") ?? 0n), 1);
    } finally {
      await stack.close();
    }
  });

  test("a filter that was never configured validly passes traffic through untouched and logs nothing", async () => {
    const model = await ModelServer.start();
    const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID, failOpen: true });
    try {
      const res = host.configure('{"inferenceService": 1}');
      assert.equal(res.accepted, false);
      assert.match(host.logText(), /invalid pluginConfig: inferenceService: must be a string, not number/);
      const sidecar = await Sidecar.start(host, { upstream: model.url });
      try {
        const r = await post(`${sidecar.url}/v1/models/m:predict`, '{"instances":[[6]]}');
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), '{"predictions":[6]}');
        assert.equal(host.pendingCallouts().length, 0, "no event was attempted");
      } finally {
        await sidecar.close();
      }
    } finally {
      host.close();
      await model.close();
    }
  });
});
