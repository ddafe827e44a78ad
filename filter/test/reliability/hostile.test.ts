// Hostile and careless clients, loggers and configurations, through the compiled
// filter in the host over loopback sockets: memory stays within the budget, no
// trap, nothing raw reaches a header, inference is never broken. Figures go to
// docs/reliability.md (report.ts); nothing here is timed.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT, WasmHost } from "proxy-wasm-host";
import { ROOT_ID, startStack, WASM_PATH } from "../../../testbed/stack.js";
import { events, ext, pluginConfig, post, settledCounters, withDeadline } from "../e2e/support.js";
import { heldBodies, rawRequest } from "./hostile.js";

const MiB = 1024 * 1024;

test("thousands of connections that announce 1 MiB and send one byte cost bytes, not mebibytes, and trap nothing", async () => {
  const stack = await startStack({ pluginConfig: pluginConfig() });
  try {
    const held = await heldBodies(stack, { connections: 3000, announce: MiB, send: 1 });
    try {
      // 3000 × 1 MiB announced = 2.9 GiB if buffers were sized from content-length.
      assert.ok(held.wasmBytes < 64 * MiB, `linear memory ${held.wasmBytes} bytes with 3000 held connections`);
      assert.equal(stack.host.failed, false, "the VM did not trap");
      assert.equal(
        Number(stack.host.metric("kserve_logger_events_over_budget") ?? 0n),
        0,
        "nothing reached the budget",
      );
    } finally {
      held.close();
    }
    // The worker still logs.
    const res = await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1,2]]}');
    assert.equal(res.status, 200);
    const evs = await events(stack, 2);
    assert.equal(evs.length, 2);
  } finally {
    await stack.close();
  }
});

test("bodies past limits.maxHeldBytes are cut where the budget ends, marked ce-overbudget, counted, and inference is untouched", async () => {
  const budget = 4 * MiB;
  const stack = await startStack({
    pluginConfig: pluginConfig({ limits: { maxHeldBytes: budget, maxBodyBytes: MiB, maxInflightCallouts: 256 } }),
  });
  try {
    // Each held stream has captured half of its 512 KiB and holds a 512 KiB buffer: about 7 fit in 4 MiB.
    const n = 20;
    const size = 512 * 1024;
    const held = await heldBodies(stack, { connections: n, announce: size, send: size / 2, complete: true });
    const statuses = await held.finish();
    assert.deepEqual(statuses, Array(n).fill(200), "every inference answered 200");
    // Linear memory never shrinks: this is the high-water mark of the whole run.
    const slack = Math.max(4 * MiB, budget / 8);
    assert.ok(
      held.wasmBytes <= budget + slack + 4 * MiB,
      `linear memory ${held.wasmBytes} within budget + GC slack + 4 MiB`,
    );
    assert.ok(stack.host.memoryBytes <= budget + slack + 4 * MiB, `linear memory ${stack.host.memoryBytes} at the end`);
    const c = await settledCounters(stack, 2 * n);
    assert.deepEqual([c.sent, c.failed, c.dropped], [2 * n, 0, 0], "every event delivered");
    const evs = await events(stack, 2 * n);
    const requests = evs.filter((e) => e.event.type.endsWith(".request"));
    const cut = requests.filter((e) => ext(e, "overbudget") === "true");
    assert.ok(cut.length > 0, "some request bodies met the budget");
    assert.ok(cut.length < n, "the budget held whole bodies until it was full");
    for (const e of cut) {
      assert.equal(ext(e, "truncated"), "true");
      assert.ok(e.body.length < size);
    }
    for (const e of requests.filter((x) => ext(x, "overbudget") === undefined))
      assert.equal(e.body.length, size, "a body within the budget is whole");
    assert.equal(
      Number(stack.host.metric("kserve_logger_events_over_budget")),
      cut.length,
      "each cut event counted once",
    );
    assert.equal(stack.host.failed, false);
    // Everything was given back: one at a time, the same bodies all fit again.
    const body = JSON.stringify({ instances: [Array(size / 2 - 10).fill(1)] }).slice(0, size);
    for (let i = 0; i < 10; i++) assert.equal((await post(`${stack.url}/v1/models/m:predict`, body)).status, 200);
    await settledCounters(stack, 2 * n + 20);
    assert.equal(
      Number(stack.host.metric("kserve_logger_events_over_budget")),
      cut.length,
      "no charge was left behind",
    );
    assert.ok(
      Number(stack.host.metric("kserve_logger_held_bytes")) <= budget,
      "the held-bytes gauge reports within the budget",
    );
  } finally {
    await stack.close();
  }
});

test("at the default budget, 1,200 held 128 KiB bodies (half sent: 75 MiB) keep linear memory within 64 MiB + GC slack + 4 MiB", async () => {
  // One worker: the budget and the bound on linear memory are a VM's (each worker has its own).
  const stack = await startStack({
    host: { workers: 1 },
    pluginConfig: pluginConfig({ limits: { maxInflightCallouts: 4096 } }),
  });
  try {
    const held = await heldBodies(stack, { connections: 1200, announce: 128 * 1024, send: 64 * 1024, complete: true });
    const statuses = await held.finish();
    assert.equal(statuses.filter((x) => x === 200).length, 1200);
    // 64 MiB budget + 8 MiB GC slack + 4 MiB for the streams' bookkeeping; the allocator grows by need, not by doubling.
    assert.ok(stack.host.memoryBytes <= 76 * MiB, `linear memory ${stack.host.memoryBytes} bytes`);
    assert.ok(Number(stack.host.metric("kserve_logger_events_over_budget")) > 0, "the budget was reached");
    assert.equal(stack.host.failed, false);
  } finally {
    await stack.close();
  }
});

test("a stream the budget has no room for is passed through and its events are counted as dropped", async () => {
  // 1 MiB budget, 1 KiB per logged stream: a few thousand open streams fill it.
  const stack = await startStack({
    host: { workers: 1 },
    pluginConfig: pluginConfig({ limits: { maxHeldBytes: MiB } }),
  });
  try {
    const held = await heldBodies(stack, { connections: 1500, announce: 64, send: 1, complete: true });
    const statuses = await held.finish();
    assert.equal(statuses.filter((s) => s === 200).length, 1500, "every inference answered 200");
    const c = await settledCounters(stack, 3000);
    assert.equal(c.attempted, 3000);
    assert.equal(c.sent + c.failed + c.dropped, c.attempted);
    const over = Number(stack.host.metric("kserve_logger_events_over_budget"));
    assert.ok(over > 0 && c.dropped >= over, `over budget ${over}, dropped ${c.dropped}`);
    assert.ok(held.wasmBytes < 16 * MiB, `linear memory ${held.wasmBytes}`);
  } finally {
    await stack.close();
  }
});

test("a body over limits.maxRedactBytes is not redacted but left out (ce-redaction: omitted, counted)", async () => {
  const stack = await startStack({
    pluginConfig: pluginConfig({ redactPaths: ["instances.*.ssn"], limits: { maxRedactBytes: 4096 } }),
  });
  try {
    const small = JSON.stringify({ instances: [{ ssn: "123-45-6789", x: 1 }] });
    const large = JSON.stringify({ instances: Array.from({ length: 300 }, (_, i) => ({ ssn: "123-45-6789", x: i })) });
    assert.ok(large.length > 4096);
    await post(`${stack.url}/v1/models/m:predict`, small);
    await post(`${stack.url}/v1/models/m:predict`, large);
    const evs = (await events(stack, 4)).filter((e) => e.event.type.endsWith(".request"));
    const [a, b] = [evs.find((e) => e.body.length > 0)!, evs.find((e) => e.body.length === 0)!];
    assert.equal(ext(a, "redaction"), "applied");
    assert.ok(!a.body.toString().includes("123-45"));
    assert.equal(ext(b, "redaction"), "omitted", "the large body is left out, never sent unredacted");
    assert.ok(Number(stack.host.metric("kserve_logger_redaction_omitted")) >= 1);
  } finally {
    await stack.close();
  }
});

test("a crafted body (deep arrays, 32 paths with stars) is redacted exactly, with every path applied", async () => {
  const paths = Array.from({ length: 32 }, (_, i) =>
    Array.from({ length: 1 + (i % 16) }, (_, j) => (j % 2 ? "*" : "a")).join("."),
  );
  const stack = await startStack({ pluginConfig: pluginConfig({ redactPaths: paths }) });
  try {
    const nested = (d: number): unknown => (d === 0 ? 1 : { a: [nested(d - 1), nested(d - 1)] });
    const body = JSON.stringify({ instances: [[1]], a: nested(6) });
    await post(`${stack.url}/v1/models/m:predict`, body);
    const [req] = (await events(stack, 2)).filter((e) => e.event.type.endsWith(".request"));
    assert.equal(ext(req!, "redaction"), "applied");
    // "a" is itself a path: the whole subtree goes.
    assert.deepEqual(JSON.parse(req!.body.toString()), { instances: [[1]], a: "[REDACTED]" });
  } finally {
    await stack.close();
  }
});

test("a pluginConfig of 600 KB or of 18,000 keys is refused at once, naming the limit", async () => {
  const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID });
  try {
    const keys = (n: number): Record<string, string> =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const big = host.configure(JSON.stringify(pluginConfig({ annotations: keys(60000) })));
    assert.equal(big.accepted, false);
    assert.match(host.logText(), /pluginConfig: is \d+ bytes, more than the limit of 262144/);
    host.clearLogs();
    const doc = JSON.stringify(pluginConfig({ annotations: keys(18000) }));
    assert.ok(doc.length < 262144, `${doc.length} bytes: under the size limit`);
    const many = host.configure(doc);
    assert.equal(many.accepted, false);
    assert.match(host.logText(), /more than 256 members in one object/);
    assert.equal(host.failed, false);
    assert.equal(host.configure(pluginConfig()).accepted, true, "a good configuration is still taken");
  } finally {
    host.close();
  }
});

test("ids with C1 controls, U+2028 or invalid UTF-8 are never copied raw into ce-id", async () => {
  // eventId x-request-id: a refused Ce-Id falls back to the (clean) X-Request-Id, a refused one of those to a UUID
  const stack = await startStack({ pluginConfig: pluginConfig({ eventId: "x-request-id" }) });
  try {
    const bad = [
      Buffer.from("id-\xC2\x85-x", "latin1"),
      Buffer.from("id-\u2028-x", "utf8"),
      Buffer.from("\xFF\xFEid", "latin1"),
    ];
    for (const v of bad) {
      const status = await rawRequest(
        stack.url,
        "/v1/models/m:predict",
        [
          ["ce-id", v],
          ["x-request-id", Buffer.from("fallback-id")],
        ],
        '{"instances":[[1]]}',
      );
      assert.equal(status, 200);
    }
    const status = await rawRequest(
      stack.url,
      "/v1/models/m:predict",
      [["x-request-id", Buffer.from("\xC2\x9Bbad", "latin1")]],
      '{"instances":[[1]]}',
    );
    assert.equal(status, 200);
    const evs = await events(stack, 8);
    for (const e of evs.slice(0, 6)) assert.equal(e.event.id, "fallback-id", "the clean x-request-id is used instead");
    for (const e of evs.slice(6))
      assert.match(
        e.event.id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        "else a fresh UUID",
      );
    for (const e of evs) {
      const raw = e.rawHeaders.join("\n");
      assert.ok(
        !/[\u0080-\u009f\u2028\u2029\ufffd]/.test(raw),
        "no C1, separator or replacement character in any header",
      );
    }
  } finally {
    await stack.close();
  }
});

test("a logger answering 100 MiB cannot make the host hold it: the callout is reset at Envoy's 32 MiB and inference carries on", async () => {
  const stack = await startStack({
    pluginConfig: pluginConfig({ retry: { maxRetries: 0 } }),
    sink: { behaviour: { kind: "big-answer", bytes: 100 * MiB } },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1,2]]}');
      assert.equal(res.status, 200);
    }
    const c = await settledCounters(stack, 6);
    assert.equal(c.attempted, 6);
    assert.equal(c.failed, 6, "Envoy reports an over-limit answer as a reset: counted failed");
    assert.equal(Number(stack.host.metric(HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT)), 6);
    assert.match(stack.host.logText(), /the buffer size limit for async client response body has been exceeded/);
  } finally {
    await stack.close();
  }
});

test("a logger answering 1 MiB (under the limit) is an ordinary success", async () => {
  const stack = await startStack({
    pluginConfig: pluginConfig(),
    sink: { behaviour: { kind: "big-answer", bytes: MiB } },
  });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1,2]]}');
    const c = await withDeadline(settledCounters(stack, 2), "settled");
    assert.equal(c.sent, 2);
    assert.equal(Number(stack.host.metric(HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT) ?? 0n), 0);
  } finally {
    await stack.close();
  }
});

test("LLM mode: streams whose SSE lines never end are held within limits.maxHeldBytes, counted, and still logged", async () => {
  const budget = 4 * MiB;
  const stack = await startStack({
    host: { workers: 1 },
    pluginConfig: pluginConfig({
      llm: { maxEventBytes: MiB },
      limits: { maxHeldBytes: budget, maxBodyBytes: 0, maxInflightCallouts: 1024 },
    }),
  });
  try {
    // 200 completions, each answered with 256 KiB of one SSE line that never ends: 50 MiB if held unbounded.
    const n = 200;
    const piece = Buffer.alloc(16 * 1024, 0x78);
    piece.write("data: ");
    const streams = Array.from({ length: n }, () => {
      const s = stack.host.newStream();
      s.sendRequestHeaders([
        [":authority", "m"],
        [":path", "/v1/chat/completions"],
        [":method", "POST"],
      ]);
      s.sendRequestBody('{"stream":true}', { endOfStream: true });
      s.sendResponseHeaders([
        [":status", "200"],
        ["content-type", "text/event-stream"],
      ]);
      return s;
    });
    // one stream after another: the first ones are held whole, the later ones meet the budget
    for (const s of streams) for (let k = 0; k < 16; k++) s.sendResponseBody(piece);
    const slack = Math.max(4 * MiB, budget / 8);
    assert.ok(
      stack.host.memoryBytes <= budget + slack + 4 * MiB,
      `linear memory ${stack.host.memoryBytes} within budget + GC slack + 4 MiB`,
    );
    assert.equal(stack.host.failed, false, "the VM did not trap");
    for (const s of streams) s.complete(); // cut off: logged at on_log
    const evs = await events(stack, 2 * n);
    const resp = evs.filter((e) => e.event.type.endsWith(".response"));
    assert.equal(resp.length, n, "every cut-off completion is logged");
    assert.ok(resp.every((e) => ext(e, "llmincomplete") === "true" && ext(e, "llmusage") === "unknown"));
    const over = resp.filter((e) => ext(e, "overbudget") === "true").length;
    assert.ok(
      over > 0 && over < n,
      `${over} of ${n} streams met the budget (marked ce-overbudget); the first were held`,
    );
    assert.ok(
      resp.every((e) => ext(e, "llmskipped") === "1"),
      "the unfinished line is one skipped event",
    );
    await settledCounters(stack, 2 * n);
    assert.ok(Number(stack.host.metric("kserve_logger_events_over_budget")) >= over);
    assert.ok(Number(stack.host.metric("kserve_logger_held_bytes") ?? 0n) < budget, "the held lines were given back");
  } finally {
    await stack.close();
  }
});
