// Plugin lifecycle of one worker's VM (workers: 1): refused configurations keep the previous one, traps fail the
// VM for good (fail-open skips the filter, fail-closed answers 503), a new
// pluginConfig gets a new root while in-flight streams keep the old one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmHost, FilterHeadersStatus, HOST_STAT_VM_FAILED } from "../src/index.js";
import { find, fixture, messages } from "./fixtures.js";

const REQ: [string, string][] = [
  [":authority", "m"],
  [":path", "/p"],
  [":method", "POST"],
  [":scheme", "http"],
];

test("a refused configuration (false or trap, caught by the canary) leaves the previous one in force", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe" });
  assert.ok(host.configure("first").accepted);
  const root = host.activeRoot!;
  for (const bad of ["refuse", "trap_configure"]) {
    const r = host.configure(bad);
    assert.equal(r.accepted, false);
    assert.ok(r.logs.some((l) => l.source === "canary" && l.message.includes(`config=${bad}`)));
    assert.ok(
      !r.logs.some((l) => l.source === "worker" && l.message.includes(`config=${bad}`)),
      "the worker VM never saw it",
    );
    assert.equal(host.activeRoot, root);
  }
  assert.equal(host.failed, false);
  assert.deepEqual(host.contextCounts(), { roots: 1, activeRoots: 1, drainingRoots: 0, streams: 0 });
  assert.equal(host.configure("first").unchanged, true);
  host.close();
});

test("without a canary a refusal is seen by the worker: its new root is released, the old stays", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe", canary: false });
  assert.ok(host.configure("first").accepted);
  const r = host.configure("refuse");
  assert.equal(r.accepted, false);
  assert.equal(host.activeRoot!.id, 1);
  assert.ok(messages(host).includes("on_delete ctx=2"));
  host.close();
});

test("a host call the host does not implement (shared queues): named in the log, and the VM traps", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe", failOpen: true });
  assert.ok(host.configure("shared_queue").accepted, "importing it is fine");
  host.newStream().sendRequestHeaders(REQ, { endOfStream: true });
  assert.ok(host.failed, "no made-up answer: the VM traps");
  assert.ok(
    messages(host).some((m) => m === "Node host: proxy_register_shared_queue is not implemented; trapping the VM"),
  );
  host.close();
});

test("a trap with fail-open: VM failed for good, the filter is skipped, traffic flows untouched", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe", failOpen: true });
  assert.ok(host.configure("trap=request_body").accepted);
  assert.equal(host.metric(HOST_STAT_VM_FAILED), undefined, "no failure yet");
  const s = host.newStream();
  assert.equal(s.sendRequestHeaders(REQ), FilterHeadersStatus.Continue);
  s.sendRequestBody("payload", { endOfStream: true });
  assert.ok(host.failed);
  assert.equal(host.metric(HOST_STAT_VM_FAILED), 1n, "a failed worker VM is counted where an operator looks");
  assert.ok(
    host
      .logs("critical")
      .some((l) => /Function: proxy_on_request_body failed: Uncaught RuntimeError: unreachable/.test(l.message)),
  );
  assert.equal(s.upstreamBody.toString(), "payload");
  s.sendResponseHeaders([[":status", "200"]]);
  s.sendResponseBody("ok", { endOfStream: true });
  s.complete();
  assert.equal(s.downstreamBody.toString(), "ok");
  assert.equal(find(host, "on_log").length, 0, "on_log/on_done/on_delete skipped after a failure");
  const before = host.logs().length;
  const s2 = host.newStream();
  s2.sendRequestHeaders(REQ, { endOfStream: true });
  s2.sendResponseHeaders([[":status", "200"]], { endOfStream: true });
  s2.complete();
  assert.equal(host.logs().length, before, "no VM callbacks any more");
  assert.ok(s2.upstream.ended && s2.downstream.headers?.get(":status") === "200");
  host.close();
});

test("a trap with fail-closed: 503 local reply wasm_fail_stream, for this and later streams", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe" });
  assert.ok(host.configure("trap=request_headers").accepted);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, { endOfStream: true });
  assert.equal(s.localReply?.status, 503);
  assert.equal(s.localReply?.details, "wasm_fail_stream");
  assert.equal(s.upstream.headers, null);
  const s2 = host.newStream();
  s2.sendRequestHeaders(REQ, { endOfStream: true });
  assert.equal(s2.localReply?.status, 503);
  host.close();
});

test("reconfiguration: a new root in the same VM; in-flight streams keep the old root until they end", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe" });
  assert.ok(host.configure("v1").accepted);
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  const r = host.configure("v2");
  assert.ok(r.accepted);
  assert.equal(r.rootContextId, 3, "ids continue the VM's counter");
  assert.ok(messages(host).includes("vm_start root=3 size=0"));
  assert.ok(!messages(host).includes("on_done ctx=1"), "old root held by the in-flight stream");
  s.sendRequestBody("x", { endOfStream: true });
  s.sendResponseHeaders([[":status", "200"]], { endOfStream: true });
  s.complete();
  const ms = messages(host);
  assert.ok(ms.includes("on_done ctx=1") && ms.includes("on_delete ctx=1"));
  host.newStream().sendRequestHeaders(REQ, { endOfStream: true });
  assert.ok(messages(host).includes("create ctx=4 parent=3"));
  host.close();
});

test("ticks: set_tick_period arms a per-root timer; manual mode fires only on host.tick()", async () => {
  const host = await WasmHost.load(fixture("probe"), { workers: 1, rootId: "probe", ticks: "manual" });
  assert.ok(host.configure("tick=5").accepted);
  assert.equal(find(host, "tick root=").length, 0);
  host.tick();
  host.tick();
  assert.deepEqual(find(host, "tick root="), ["tick root=1", "tick root=1"]);
  host.close();
});
