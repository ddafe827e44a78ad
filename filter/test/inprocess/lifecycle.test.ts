// Batches and reconfiguration, step by step: when a batch leaves (count, size, interval), and what
// a replaced configuration does with the events it still holds (drain, its deadline). The compiled
// filter in-process (emulator.ts); the clock moves only when the test says.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { Emulator, pluginConfig, TYPE_REQUEST, TYPE_RESPONSE } from "./emulator.js";

let emu: Emulator;
afterEach(() => emu?.close());
const BATCH_TYPE = "application/cloudevents-batch+json";

test("batch.maxEvents: the events wait until a batch is full, then leave in one request", async () => {
  emu = await Emulator.start(pluginConfig({ batch: { maxEvents: 4, intervalMs: 60_000 } }));
  emu.exchange();
  assert.equal(emu.callouts().length, 0, "2 of 4: waiting");
  emu.exchange();
  const batch = emu.only();
  assert.equal(batch.headers["content-type"], BATCH_TYPE);
  const events = JSON.parse(batch.body.toString()) as { type: string; id: string; data: unknown }[];
  assert.deepEqual(
    events.map((e) => e.type),
    [TYPE_REQUEST, TYPE_RESPONSE, TYPE_REQUEST, TYPE_RESPONSE],
  );
  assert.deepEqual(events[0]!.data, { instances: [[6.8, 2.8, 4.8, 1.4]] }, "a JSON body is the event's data");
  emu.answer(202);
  assert.equal(emu.counter("events_sent"), 4, "a batch counts as the events it carries");
});

test("batch.intervalMs: a batch that is not full leaves once its first event has waited that long", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", batch: { maxEvents: 100, intervalMs: 1000 } }));
  emu.exchange();
  emu.advance(500);
  emu.exchange();
  emu.advance(499);
  assert.equal(emu.callouts().length, 0, "999 ms after the first event");
  emu.advance(1);
  assert.equal((JSON.parse(emu.only().body.toString()) as unknown[]).length, 2);
});

test("batch.maxBytes: a batch leaves with the event that takes it to the size", async () => {
  emu = await Emulator.start(
    pluginConfig({ mode: "request", batch: { maxEvents: 100, maxBytes: 2048, intervalMs: 60_000 } }),
  );
  const body = JSON.stringify({ instances: ["x".repeat(500)] });
  let n = 0;
  while (emu.callouts().length === 0 && n < 10) {
    emu.exchange({ request: body });
    n++;
  }
  const batch = emu.only();
  const events = JSON.parse(batch.body.toString()) as unknown[];
  assert.equal(events.length, n);
  assert.ok(n >= 2, `${n} events of about ${body.length} bytes each`);
  assert.ok(batch.body.length >= 2048, `${batch.body.length} bytes`);
  assert.ok(JSON.stringify(events.slice(0, -1)).length < 2048, "not before");
});

test("a failed batch is retried whole and counted as its events", async () => {
  emu = await Emulator.start(
    pluginConfig({ batch: { maxEvents: 2 }, retry: { maxRetries: 1, initialBackoffMs: 100, maxBackoffMs: 100 } }),
  );
  emu.exchange();
  const batch = emu.only();
  emu.answer(503);
  emu.advance(100);
  assert.deepEqual(emu.only().body, batch.body);
  assert.equal(emu.counter("events_retried"), 2);
  emu.answer(503);
  emu.advance(1000);
  assert.deepEqual(emu.events(), { attempted: 2, sent: 0, failed: 2, dropped: 0, retried: 2, truncated: 0 });
});

test("reconfiguration: the replaced configuration drains — its callout in flight is answered and counted, then it goes", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request" }));
  emu.exchange();
  const old = emu.only();
  assert.ok(emu.host.configure(pluginConfig({ mode: "request", endpoint: "v2" })).accepted);
  assert.equal(emu.host.contextCounts().drainingRoots, 1, "the old root waits for its callout");
  emu.exchange();
  const fresh = emu.callouts().find((c) => c.token !== old.token)!;
  assert.equal(fresh.headers["ce-endpoint"], "v2", "new exchanges use the new configuration");
  emu.answer(202, old.token);
  assert.equal(emu.host.contextCounts().drainingRoots, 0, "drained: the old root is gone");
  assert.equal(emu.counter("events_sent"), 1);
});

test("limits.drainTimeoutMs: events still undelivered when the drain time runs out are dropped and counted", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", limits: { drainTimeoutMs: 2000 } }));
  emu.exchange();
  assert.ok(emu.host.configure(pluginConfig({ mode: "request", endpoint: "v2" })).accepted);
  emu.advance(1999);
  assert.equal(emu.host.contextCounts().drainingRoots, 1);
  emu.advance(1);
  assert.equal(emu.host.contextCounts().drainingRoots, 0, "the deadline ends the drain");
  assert.equal(emu.callouts().length, 0, "its callout is cancelled");
  assert.equal(emu.counter("events_dropped"), 1);
});
