// What the events carry of the bodies: the body cap, the memory budget's cut, redaction and
// mode, step by step through the compiled filter in-process (emulator.ts).
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { Emulator, pluginConfig, TYPE_REQUEST, TYPE_RESPONSE } from "./emulator.js";

let emu: Emulator;
afterEach(() => emu?.close());

test("limits.maxBodyBytes: the body is cut there, the event says ce-truncated: true and is counted; the client gets it all", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", limits: { maxBodyBytes: 10 } }));
  const body = JSON.stringify({ instances: [[1, 2, 3, 4, 5, 6, 7, 8]] });
  const s = emu.exchange({ request: body });
  const ev = emu.only();
  assert.equal(ev.body.toString(), body.slice(0, 10));
  assert.equal(ev.headers["ce-truncated"], "true");
  assert.equal(emu.counter("events_truncated"), 1);
  assert.equal(s.upstreamBody.toString(), body, "the model server got the whole body");
});

test("a body within the cap is whole, without ce-truncated", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", limits: { maxBodyBytes: 1024 } }));
  emu.exchange({ request: '{"instances":[1]}' });
  const ev = emu.only();
  assert.equal(ev.body.toString(), '{"instances":[1]}');
  assert.equal(ev.headers["ce-truncated"], undefined);
});

test('redactPaths: the values there become "[REDACTED]" in the event, never in the traffic; ce-redaction: applied', async () => {
  emu = await Emulator.start(pluginConfig({ redactPaths: ["instances.*.ssn"] }));
  const request = '{"instances":[{"ssn":"078-05-1120","age":41},{"ssn":"219-09-9999","age":7}]}';
  const s = emu.exchange({ request });
  const [req, res] = emu.callouts();
  assert.equal(req!.body.toString(), '{"instances":[{"ssn":"[REDACTED]","age":41},{"ssn":"[REDACTED]","age":7}]}');
  assert.equal(req!.headers["ce-redaction"], "applied");
  assert.equal(res!.headers["ce-redaction"], "applied", "the response half is redacted too");
  assert.equal(s.upstreamBody.toString(), request, "the model server gets the real values");
});

test("redactPaths on a body that is not one JSON value: the body is left out, ce-redaction: omitted", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", redactPaths: ["ssn"] }));
  emu.exchange({ request: '{"ssn":"078-05-1120"' }); // cut short: not JSON
  const ev = emu.only();
  assert.equal(ev.body.length, 0);
  assert.equal(ev.headers["ce-redaction"], "omitted");
});

test("limits.maxRedactBytes: a larger body is not scanned but left out, and counted", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request", redactPaths: ["ssn"], limits: { maxRedactBytes: 16 } }));
  emu.exchange({ request: '{"ssn":"078-05-1120","note":"longer than sixteen bytes"}' });
  const ev = emu.only();
  assert.equal(ev.body.length, 0);
  assert.equal(ev.headers["ce-redaction"], "omitted");
  assert.equal(emu.counter("redaction_omitted"), 1);
});

test("mode: request logs only requests, response only responses", async () => {
  for (const [mode, type] of [
    ["request", TYPE_REQUEST],
    ["response", TYPE_RESPONSE],
  ] as const) {
    emu = await Emulator.start(pluginConfig({ mode }));
    emu.exchange();
    assert.equal(emu.only().headers["ce-type"], type, mode);
    emu.close();
  }
});

test("a non-200 response: no response event unless logAllResponses, which adds ce-statuscode", async () => {
  emu = await Emulator.start(pluginConfig());
  emu.exchange({ status: 500, response: '{"error":"boom"}' });
  assert.deepEqual(
    emu.callouts().map((c) => c.headers["ce-type"]),
    [TYPE_REQUEST],
  );
  emu.close();
  emu = await Emulator.start(pluginConfig({ logAllResponses: true }));
  emu.exchange({ status: 500, response: '{"error":"boom"}' });
  const res = emu.callouts().find((c) => c.headers["ce-type"] === TYPE_RESPONSE)!;
  assert.equal(res.headers["ce-statuscode"], "500");
  assert.equal(res.body.toString(), '{"error":"boom"}');
});

test("limits.maxHeldBytes: a body the budget cannot hold is cut where it stops (ce-truncated + ce-overbudget), counted", async () => {
  // Buffers are pooled in power-of-two classes and charged at their capacity: a 600 KiB body holds
  // 1 MiB, so a 2 MiB budget (less 1 KiB per stream) has no room for a second one at the same time
  emu = await Emulator.start(
    pluginConfig({ mode: "request", limits: { maxHeldBytes: 2 * 1048576, maxBodyBytes: 1048576 } }),
  );
  const big = `"${"x".repeat(600 * 1024)}"`;
  const first = emu.requestOnly({ request: big });
  const second = emu.requestOnly({ request: big });
  emu.respond(first);
  emu.respond(second);
  const [a, b] = emu.callouts();
  assert.equal(a!.body.length, big.length);
  assert.equal(a!.headers["ce-overbudget"], undefined);
  assert.ok(b!.body.length < big.length, `the second body is cut (${b!.body.length} of ${big.length} bytes)`);
  assert.equal(b!.headers["ce-truncated"], "true");
  assert.equal(b!.headers["ce-overbudget"], "true");
  assert.equal(emu.counter("events_over_budget"), 1);
  assert.equal(second.upstreamBody.length, big.length, "the traffic is whole");
});
