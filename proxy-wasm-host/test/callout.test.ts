// proxy_http_call: Envoy's argument checks, a real socket, delivery to the ROOT
// context on a later event-loop turn, byte-exact header values, router-style
// failures (503 connect, 504 timeout, reset), cancellation when a root goes away,
// on_done/proxy_done draining.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WasmHost } from "../src/index.js";
import { find, fixture, messages } from "./fixtures.js";
import { Upstream } from "./upstream.js";

const CLUSTER = "outbound|80||sink.models.svc.cluster.local";
const REQ: [string, string][] = [
  [":authority", "m"],
  [":path", "/"],
  [":method", "POST"],
  [":scheme", "http"],
];

async function probe(config: string, target: string, opts: Record<string, unknown> = {}): Promise<WasmHost> {
  const host = await WasmHost.load(fixture("probe"), { rootId: "probe", clusters: { [CLUSTER]: target }, ...opts });
  assert.ok(host.configure(config).accepted);
  return host;
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("argument checks in Envoy's order: unknown cluster, missing :path, CR/LF in a value => BadArgument", async () => {
  for (const [cfg, target] of [
    ["callout=outbound|80||nowhere", "127.0.0.1:1"],
    [`callout=${CLUSTER} nopath`, "127.0.0.1:1"],
    [`callout=${CLUSTER} crlf`, "127.0.0.1:1"],
  ] as const) {
    const host = await probe(cfg, target);
    host.newStream().sendRequestHeaders(REQ, { endOfStream: true });
    assert.deepEqual(find(host, "callout ctx="), ["callout ctx=2 result=2 token=0"], cfg);
    assert.equal(host.pendingCallouts().length, 0);
    host.close();
  }
});

test("a callout from a stream goes over a socket and its response reaches the ROOT context, later", async () => {
  const sink = await Upstream.start();
  const host = await probe(`callout=${CLUSTER}`, sink.address);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, { endOfStream: true });
  assert.deepEqual(find(host, "callout ctx="), ["callout ctx=2 result=0 token=4"]);
  assert.equal(find(host, "callout_response").length, 0, "not delivered inside the call");
  s.complete(); // the stream may be gone: the call belongs to the root
  assert.equal(host.pendingCallouts().length, 1);
  await host.idle();
  const [resp] = find(host, "callout_response");
  // the upstream answers 400 "error"
  assert.match(
    resp!,
    /^callout_response root=1 token=4 headers=\d+ body=\d+ trailers=0 :status code=0 value=400 bodycode=0 data=error get_status=0,$/,
  );
  const got = sink.received[0]!;
  assert.equal(got.headers["x-probe"], "\u00c9t\u00e9 \u2713", "UTF-8 header bytes sent unchanged");
  assert.equal(got.headers["content-length"], String("hello from 2".length));
  assert.equal(got.headers["host"], "sink.local");
  assert.equal(got.body.toString(), "hello from 2");
  host.close();
  await sink.close();
});

test("connect refused => 503 from the 'router'", async () => {
  const refused = await probe(`callout=${CLUSTER}`, `127.0.0.1:${await closedPort()}`);
  try {
    refused.newStream().sendRequestHeaders(REQ, { endOfStream: true });
    await refused.idle();
    assert.match(
      find(refused, "callout_response")[0]!,
      /:status code=0 value=503 .*data=upstream connect error or disconnect\/reset before headers/,
    );
  } finally {
    refused.close();
  }
});

test("timeout before response headers => 504 'upstream request timeout'", async () => {
  const sink = await Upstream.start("hang");
  const slow = await probe(`callout=${CLUSTER} timeout=30`, sink.address);
  try {
    slow.newStream().sendRequestHeaders(REQ, { endOfStream: true });
    await slow.idle();
    assert.match(find(slow, "callout_response")[0]!, /:status code=0 value=504 .*data=upstream request timeout/);
  } finally {
    slow.close();
    await sink.close();
  }
});

test("reset after response headers => (0,0,0) + status 11 reset", async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write("partial", () => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const reset = await probe(`callout=${CLUSTER}`, `127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    reset.newStream().sendRequestHeaders(REQ, { endOfStream: true });
    await reset.idle();
    assert.match(
      find(reset, "callout_response")[0]!,
      /headers=0 body=0 trailers=0 :status code=2 value= bodycode=1 data= get_status=11,reset$/,
    ); // no response: maps BadArgument, body NotFound
  } finally {
    reset.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("when a root context is destroyed its pending callouts are cancelled: no callback", async () => {
  const sink = await Upstream.start("hang");
  const host = await probe(`callout=${CLUSTER}`, sink.address);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, { endOfStream: true });
  s.complete();
  assert.equal(host.pendingCallouts().length, 1);
  assert.ok(host.configure("").accepted); // new pluginConfig: old root on_done (true) -> on_delete
  assert.ok(messages(host).includes("on_delete ctx=1"));
  assert.equal(host.pendingCallouts().length, 0);
  await host.idle();
  assert.equal(find(host, "callout_response").length, 0);
  host.close();
  await sink.close();
});

test("a root whose on_done returns false stays until it calls proxy_done", async () => {
  const host = await probe("delay_done done_on_tick tick=1000", "127.0.0.1:1", { ticks: "manual", workers: 1 });
  assert.ok(host.configure("tick=1000 done_on_tick").accepted);
  assert.deepEqual(host.contextCounts(), { roots: 2, activeRoots: 1, drainingRoots: 1, streams: 0 });
  assert.ok(messages(host).includes("on_done ctx=1"));
  assert.ok(!messages(host).includes("on_delete ctx=1"));
  host.tick(); // both roots tick; the draining one calls proxy_done (Ok), the new one gets NotFound
  const ms = messages(host);
  assert.ok(ms.includes("proxy_done code=0"));
  assert.ok(ms.includes("proxy_done code=1"));
  assert.ok(ms.includes("on_delete ctx=1"));
  assert.deepEqual(host.contextCounts(), { roots: 1, activeRoots: 1, drainingRoots: 0, streams: 0 });
  host.close();
});
