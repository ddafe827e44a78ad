// HTTP streams through the probe filter: header maps as Envoy serializes them,
// per-chunk vs buffered bodies, status conversion, availability rules, lifecycle
// order, local replies, the 1 MiB buffer limit, properties, result codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmHost, marshalPairs, FilterHeadersStatus, FilterDataStatus } from "../src/index.js";
import { find, fixture, messages } from "./fixtures.js";

const NODE = {
  NAME: "sklearn-iris-predictor-00001-deployment-abc",
  NAMESPACE: "models",
  LABELS: { "serving.kserve.io/inferenceservice": "sklearn-iris", component: "predictor" },
};
const REQ: [string, string][] = [
  [":authority", "models.example"],
  [":path", "/v1/models/m:predict"],
  [":method", "POST"],
  [":scheme", "http"],
  ["content-type", "application/json"],
  ["x-request-id", "rid-1"],
];

async function probe(config: string, opts: Record<string, unknown> = {}): Promise<WasmHost> {
  const host = await WasmHost.load(fixture("probe"), {
    rootId: "probe",
    pluginName: "models.probe",
    nodeMetadata: NODE,
    ...opts,
  });
  const r = host.configure(config);
  assert.ok(r.accepted, r.reason);
  return host;
}

test("request header map reaches the filter in the pairs format, pseudo-headers first", async () => {
  const host = await probe("log_pairs");
  const s = host.newStream();
  // Regular header given first: the map still puts pseudo-headers in front (Envoy HeaderMapImpl).
  s.sendRequestHeaders([["X-Tenant", "Acme"], ...REQ], { endOfStream: true });
  const [line] = find(host, "pairs ");
  const expected = marshalPairs(
    [...REQ.slice(0, 4), ["x-tenant", "Acme"], ...REQ.slice(4)].map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
  );
  assert.equal(line, `pairs code=0 hex=${expected.toString("hex")}`);
  host.close();
});

test("with Continue the filter sees each chunk alone; with StopIterationAndBuffer the accumulated body", async () => {
  const host = await probe("");
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  assert.equal(s.sendRequestBody("abc"), FilterDataStatus.Continue);
  s.sendRequestBody("def", { endOfStream: true });
  assert.deepEqual(
    find(host, "req_body").map((m) => m.replace(/ctx=\d+ /, "")),
    ["req_body size=3 eos=0 code=0 data=abc", "req_body size=3 eos=1 code=0 data=def"],
  );
  assert.equal(s.upstreamBody.toString(), "abcdef");
  host.close();

  const h2 = await probe("body=buffer");
  const s2 = h2.newStream();
  s2.sendRequestHeaders(REQ);
  assert.equal(s2.sendRequestBody("abc"), FilterDataStatus.StopIterationAndBuffer);
  assert.equal(s2.upstream.chunks.length, 0, "buffered data is held");
  s2.sendRequestBody("def");
  s2.sendRequestBody("gh", { endOfStream: true });
  assert.deepEqual(
    find(h2, "req_body").map((m) => m.replace(/ctx=\d+ /, "")),
    [
      "req_body size=3 eos=0 code=0 data=abc",
      "req_body size=6 eos=0 code=0 data=abcdef",
      "req_body size=8 eos=1 code=0 data=abcdefgh",
    ],
  );
  assert.equal(s2.upstreamBody.toString(), "abcdefgh");
  assert.ok(s2.upstream.ended);
  h2.close();
});

test("StopIterationAndWatermark holds data but shows only the current chunk", async () => {
  const host = await probe("body=watermark");
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody("ab");
  s.sendRequestBody("cd", { endOfStream: true });
  assert.deepEqual(
    find(host, "req_body").map((m) => m.replace(/ctx=\d+ /, "")),
    ["req_body size=2 eos=0 code=0 data=ab", "req_body size=2 eos=1 code=0 data=cd"],
  );
  assert.equal(s.upstreamBody.toString(), "abcd");
  host.close();
});

test("StopIteration on headers becomes StopAllIterationAndWatermark: headers and later data are held, the filter not called", async () => {
  const host = await probe("headers=stop");
  const s = host.newStream();
  assert.equal(s.sendRequestHeaders(REQ), FilterHeadersStatus.StopAllIterationAndWatermark);
  s.sendRequestBody("xy");
  assert.equal(s.upstream.headers, null, "headers held");
  assert.equal(find(host, "req_body").length, 0, "data arriving while stopped-all is buffered, not shown");
  s.sendRequestBody("z", { endOfStream: true });
  assert.equal(s.upstream.headers, null);
  host.close();
});

test("request headers: readable only in on_request_headers; BadArgument later, empty pairs; access-log maps in on_log", async () => {
  const host = await probe("");
  const s = host.newStream();
  s.sendRequestHeaders(REQ, { endOfStream: true });
  s.sendResponseHeaders([
    [":status", "200"],
    ["content-type", "application/json"],
  ]);
  s.sendResponseBody("{}", { endOfStream: true });
  s.complete();
  const ms = messages(host);
  assert.ok(ms.includes("resp_headers req_path code=2 value="), ms.join("\n"));
  assert.ok(ms.includes("resp_headers req_pairs code=0 ptr=0 size=0"));
  assert.ok(
    ms.some((m) =>
      /^on_log ctx=\d+ req_path code=0 value=\/v1\/models\/m:predict resp_status code=0 value=200$/.test(m),
    ),
  );
  // Envoy order at the end of a stream: on_log, on_done, on_delete.
  const id = s.id;
  const tail = ms
    .filter((m) => m.endsWith(`ctx=${id}`) || m.startsWith(`on_log ctx=${id} `))
    .map((m) => m.split(" ")[0]);
  assert.deepEqual(tail.slice(-3), ["on_log", "on_done", "on_delete"]);
  assert.equal(host.contextCounts().streams, 0);
  host.close();
});

test("context ids come from one per-VM counter: root 1, streams 2, 3, ...", async () => {
  const host = await probe("", { workers: 1 });
  assert.equal(host.activeRoot!.id, 1);
  const a = host.newStream();
  const b = host.newStream();
  assert.deepEqual([a.id, b.id], [2, 3]);
  a.sendRequestHeaders(REQ, { endOfStream: true });
  assert.ok(messages(host).includes("create ctx=2 parent=1"));
  host.close();
});

test("send_local_response: the filter's reply replaces the upstream's; the request is not forwarded", async () => {
  const host = await probe("local=403");
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody("ignored", { endOfStream: true });
  assert.equal(s.localReply?.status, 403);
  assert.equal(s.localReply?.body.toString(), "denied by probe");
  assert.equal(s.localReply?.details, "probe_denied");
  assert.equal(s.localReply?.headers.get("x-local"), "1");
  assert.equal(s.upstream.headers, null);
  host.close();
});

test("buffering past Envoy's buffer limit: 413 on the request path", async () => {
  const host = await probe("body=buffer_forever", { bufferLimitBytes: 1024 });
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody(Buffer.alloc(1000));
  assert.equal(s.localReply, null);
  s.sendRequestBody(Buffer.alloc(100));
  const reply = s.localReply as { status: number; details: string } | null;
  assert.equal(reply?.status, 413);
  assert.equal(reply?.details, "request_payload_too_large");
  host.close();
});

test("properties: plugin ids, node metadata (xds and legacy node), one label, whole LABELS map, NotFound", async () => {
  const host = await probe("props", { logLevel: "debug" });
  const s = host.newStream();
  s.sendRequestHeaders(REQ, { endOfStream: true });
  const props = find(host, "prop ");
  const labels = marshalPairs(Object.entries(NODE.LABELS).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
  assert.deepEqual(props, [
    "prop plugin_root_id code=0 value=probe",
    "prop plugin_name code=0 value=models.probe",
    `prop xds/node/metadata/NAME code=0 value=${NODE.NAME}`,
    "prop xds/node/metadata/LABELS/serving.kserve.io/inferenceservice code=0 value=sklearn-iris",
    `prop xds/node/metadata/LABELS code=0 hex=${labels.toString("hex")}`,
    "prop node/metadata/NAMESPACE code=0 value=models",
    "prop xds/node/metadata/MISSING code=1",
    "prop request/id code=0 value=rid-1",
    "prop request.id code=1",
  ]);
  const ms = messages(host);
  assert.ok(ms.includes("log_level code=0 level=1"));
  assert.ok(ms.includes("oob_log code=6"), "out-of-bounds pointer => InvalidMemoryAccess");
  assert.ok(ms.includes("config_outside_configure code=1"), "PLUGIN_CONFIGURATION only during configure");
  host.close();

  const noLegacy = await probe("props", { legacyNodeProperty: false });
  noLegacy.newStream().sendRequestHeaders(REQ, { endOfStream: true });
  assert.ok(messages(noLegacy).includes("prop node/metadata/NAMESPACE code=1"));
  noLegacy.close();
});

test("metrics defined by the module are readable by name", async () => {
  const host = await probe("");
  for (let i = 0; i < 3; i++) host.newStream().sendRequestHeaders(REQ, { endOfStream: true });
  assert.equal(host.metric("probe_requests"), 3n);
  assert.equal(host.metric("wasmcustom.probe_requests"), 3n);
  host.close();
});
