// Delivery, step by step: the events an exchange makes, what the logger's answers do to them
// (sent, retried after the backoff, failed), and the in-flight cap. The compiled filter in the
// host in-process (emulator.ts): callouts wait for the test's answer, time moves when it says.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { CLUSTER, Emulator, pluginConfig, TYPE_REQUEST, TYPE_RESPONSE } from "./emulator.js";

let emu: Emulator;
afterEach(() => emu?.close());
const RETRY = { retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 2000 } };

test("an exchange makes a request and a response event, posted to the logger's cluster; a 2xx answer counts them sent", async () => {
  emu = await Emulator.start();
  emu.exchange({ request: '{"instances":[1]}', response: '{"predictions":[2]}' });
  const [req, res] = emu.callouts();
  assert.equal(req!.cluster, CLUSTER);
  assert.equal(req!.timeoutMs, 5000);
  assert.equal(req!.headers[":path"], "/");
  assert.equal(req!.headers[":authority"], "message-dumper.models.svc.cluster.local");
  assert.equal(req!.headers["ce-type"], TYPE_REQUEST);
  assert.equal(req!.body.toString(), '{"instances":[1]}');
  assert.equal(res!.headers["ce-type"], TYPE_RESPONSE);
  assert.equal(res!.body.toString(), '{"predictions":[2]}');
  assert.equal(res!.headers["ce-id"], req!.headers["ce-id"], "one id for both halves of an exchange");
  assert.equal(req!.headers["ce-time"], "2026-01-01T00:00:00Z", "ce-time is read from the host's clock");
  assert.deepEqual(
    emu.events(),
    { attempted: 2, sent: 0, failed: 0, dropped: 0, retried: 0, truncated: 0 },
    "nothing is sent before the logger answers",
  );
  emu.answer(202);
  assert.deepEqual(emu.events(), { attempted: 2, sent: 2, failed: 0, dropped: 0, retried: 0, truncated: 0 });
  assert.equal(emu.callouts().length, 0);
});

test("a 503 is retried after the backoff (jitter in [backoff/2, backoff]), the same event again", async () => {
  emu = await Emulator.start(pluginConfig({ ...RETRY, mode: "request" }));
  emu.exchange();
  const first = emu.only();
  emu.answer(503);
  assert.equal(emu.callouts().length, 0, "not re-sent at once");
  emu.advance(49);
  assert.equal(emu.callouts().length, 0, "not before backoff/2");
  emu.advance(51);
  const again = emu.only();
  assert.equal(again.headers["ce-id"], first.headers["ce-id"]);
  assert.deepEqual(again.body, first.body);
  assert.equal(emu.counter("events_retried"), 1);
  emu.answer(200);
  assert.deepEqual(emu.events(), { attempted: 1, sent: 1, failed: 0, dropped: 0, retried: 1, truncated: 0 });
});

test("each failure kind: 5xx, 429, a timeout (504) and a reset are retried; a 4xx is not", async () => {
  for (const [what, settle, retried] of [
    ["500", (e: Emulator) => e.answer(500), true],
    ["429", (e: Emulator) => e.answer(429), true],
    ["timeout", (e: Emulator) => e.host.timeOutCallout(e.only().token), true],
    ["reset", (e: Emulator) => e.host.resetCallout(e.only().token), true],
    ["400", (e: Emulator) => e.answer(400), false],
  ] as const) {
    emu = await Emulator.start(pluginConfig({ ...RETRY, mode: "request" }));
    emu.exchange();
    settle(emu);
    emu.advance(100);
    assert.equal(emu.callouts().length, retried ? 1 : 0, `${what}: re-sent after the backoff`);
    assert.equal(emu.counter("events_failed"), retried ? 0 : 1, `${what}: failed at once`);
    emu.close();
  }
});

test("after maxRetries re-sends the event fails: counted once, and nothing is left pending", async () => {
  emu = await Emulator.start(pluginConfig({ ...RETRY, mode: "request" }));
  emu.exchange();
  emu.answer(503); // first send
  emu.advance(100);
  emu.answer(503); // retry 1
  emu.advance(200); // the backoff doubled
  emu.answer(503); // retry 2
  emu.advance(10_000);
  assert.equal(emu.callouts().length, 0);
  assert.deepEqual(emu.events(), { attempted: 1, sent: 0, failed: 1, dropped: 0, retried: 2, truncated: 0 });
});

test("limits.maxInflightCallouts: past it events are dropped and counted, traffic flows on", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", limits: { maxInflightCallouts: 2 } }));
  for (let i = 0; i < 5; i++) {
    const s = emu.exchange();
    assert.equal(s.downstream.headers?.get(":status"), "200", "the client's answer is untouched");
  }
  assert.equal(emu.callouts().length, 2);
  assert.deepEqual(emu.events(), { attempted: 5, sent: 0, failed: 0, dropped: 3, retried: 0, truncated: 0 });
  assert.equal(emu.counter("callouts_inflight"), 2);
  emu.answer(202);
  assert.equal(emu.counter("callouts_inflight"), 0);
  emu.exchange();
  assert.equal(emu.callouts().length, 1, "room again once answered");
});
