// The compiled filter in a host with several workers (Envoy's --concurrency): each worker has
// its own VM and root context, so memory, budgets and caps are per worker; the stats store is
// shared, so the counters an operator reads add up across workers; a downstream connection stays
// on one worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { WasmHost } from "proxy-wasm-host";
import { CLUSTER, pluginConfig } from "./support.js";
import { ROOT_ID, WASM_PATH, startStack } from "../../../testbed/stack.js";

async function workersHost(workers: number, config: object): Promise<WasmHost> {
  const host = await WasmHost.load(readFileSync(WASM_PATH), {
    workers,
    rootId: ROOT_ID,
    failOpen: true,
    callouts: "manual",
    ticks: "manual",
    clusters: { [CLUSTER]: "127.0.0.1:9" },
    nodeMetadata: { NAMESPACE: "models", LABELS: { "serving.kserve.io/inferenceservice": "iris" } },
  });
  assert.ok(host.configure(config).accepted);
  return host;
}

function logRequest(host: WasmHost, worker?: number): void {
  const s = host.newStream({ worker });
  s.sendRequestHeaders(
    [
      [":authority", "iris"],
      [":path", "/v1/models/iris:predict"],
      [":method", "POST"],
      [":scheme", "http"],
      ["content-length", "2"],
    ],
    {},
  );
  s.sendRequestBody("{}", { endOfStream: true });
}

test("two workers: two VMs, a root context in each; counters add up across them", async () => {
  const host = await workersHost(2, pluginConfig({ mode: "request" }));
  try {
    assert.equal(host.workers.length, 2);
    assert.notEqual(host.workers[0]!.vm, host.workers[1]!.vm);
    assert.deepEqual(
      host.workers.map((w) => w.activeRoot?.id),
      [1, 1],
      "each VM numbers its own contexts",
    );
    for (let i = 0; i < 6; i++) logRequest(host); // round-robin: three per worker
    const pending = host.pendingCallouts();
    assert.deepEqual(
      [0, 1].map((w) => pending.filter((c) => c.worker === w).length),
      [3, 3],
    );
    for (const c of pending) host.answerCallout(c.token, { status: 202 }, c.worker);
    await host.idle();
    assert.equal(host.metric("kserve_logger_events_attempted"), 6n);
    assert.equal(host.metric("kserve_logger_events_sent"), 6n);
  } finally {
    host.close();
  }
});

test("limits are per worker: limits.maxInflightCallouts caps each VM's callouts, not the host's", async () => {
  const host = await workersHost(2, pluginConfig({ mode: "request", limits: { maxInflightCallouts: 2 } }));
  try {
    for (let i = 0; i < 3; i++) logRequest(host, 0); // the third is past worker 0's cap
    for (let i = 0; i < 2; i++) logRequest(host, 1);
    assert.equal(host.pendingCallouts().length, 4);
    assert.equal(host.metric("kserve_logger_events_dropped"), 1n);
    assert.ok(host.memoryBytes >= host.workers[0]!.vm.memoryBytes + host.workers[1]!.vm.memoryBytes);
  } finally {
    host.close();
  }
});

test("through the sidecar: a keep-alive connection's requests stay on one worker, a second connection takes the other", async () => {
  const stack = await startStack({ host: { workers: 2 }, pluginConfig: pluginConfig({ mode: "request" }) });
  const seen: number[] = [];
  const orig = stack.host.newStream.bind(stack.host);
  stack.host.newStream = (opts = {}) => {
    seen.push(opts.worker ?? -1);
    return orig(opts);
  };
  const post = (agent: http.Agent): Promise<number> =>
    new Promise((resolve, reject) => {
      const u = new URL("/echo", stack.url);
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end("{}");
    });
  const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const b = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) assert.equal(await post(a), 200);
    for (let i = 0; i < 3; i++) assert.equal(await post(b), 200);
    assert.equal(new Set(seen.slice(0, 3)).size, 1, `one worker per connection: ${seen.join(",")}`);
    assert.equal(new Set(seen.slice(3)).size, 1, `one worker per connection: ${seen.join(",")}`);
    assert.notEqual(seen[0], seen[3], "the second connection went to the other worker");
    await stack.host.idle();
    assert.equal(stack.host.metric("kserve_logger_events_sent"), 6n);
  } finally {
    a.destroy();
    b.destroy();
    await stack.close();
  }
});

test("PROXY_WASM_HOST_WORKERS is the default worker count of a host that does not say (make workers-test)", async () => {
  const saved = process.env["PROXY_WASM_HOST_WORKERS"];
  process.env["PROXY_WASM_HOST_WORKERS"] = "3";
  try {
    const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID });
    assert.equal(host.workers.length, 3);
    const one = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID, workers: 1 });
    assert.equal(one.workers.length, 1, "an explicit count wins");
  } finally {
    if (saved === undefined) delete process.env["PROXY_WASM_HOST_WORKERS"];
    else process.env["PROXY_WASM_HOST_WORKERS"] = saved;
  }
});
