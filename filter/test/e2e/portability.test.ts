// The compiled filter on a host that is not Envoy: WASI only as wasi_snapshot_preview1, the
// allocator looked up as proxy_on_memory_allocate, no plugin_root_id property. The module needs
// nothing more (README, "Imports of the module").

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { HeaderMap, WasmHost } from "proxy-wasm-host";
import { WASM_PATH } from "../../../testbed/stack.js";
import { pluginConfig } from "./support.js";

const wasm = readFileSync(WASM_PATH);

test("instantiates with WASI preview1 only, and allocates through proxy_on_memory_allocate", async () => {
  const module = new WebAssembly.Module(wasm);
  const env: Record<string, () => number> = {};
  for (const i of WebAssembly.Module.imports(module)) if (i.module === "env") env[i.name] = () => 0;
  const wasi = { proc_exit: () => undefined, random_get: () => 0 };
  // no wasi_unstable in the import object: instantiation would fail if the module needed it
  const inst = await WebAssembly.instantiate(module, { env, wasi_snapshot_preview1: wasi });
  const ex = inst.exports as {
    _initialize(): void;
    proxy_on_memory_allocate(n: number): number;
    memory: WebAssembly.Memory;
  };
  ex._initialize();
  const p = ex.proxy_on_memory_allocate(64);
  assert.ok(p > 0 && p + 64 <= ex.memory.buffer.byteLength, "a block inside linear memory");
});

test("without a plugin_root_id property the one root context is used, and it logs", async () => {
  const host = await WasmHost.load(wasm, {
    omitRootIdProperty: true,
    clusters: { [(pluginConfig().logger as { cluster: string }).cluster]: "127.0.0.1:9" },
    calloutResponder: () => ({ headers: HeaderMap.from([[":status", "202"]]), body: Buffer.alloc(0), trailers: null }),
  });
  try {
    const r = host.configure(pluginConfig());
    assert.equal(r.accepted, true, host.logText());
    assert.match(host.logText(), /kserve-logger: configured for models\/sklearn-iris predictor/);
    const s = host.newStream();
    s.sendRequestHeaders(
      HeaderMap.from([
        [":authority", "m"],
        [":path", "/v1/models/m:predict"],
        [":method", "POST"],
        ["content-type", "application/json"],
      ]),
    );
    s.sendRequestBody('{"instances":[[1]]}', { endOfStream: true });
    s.sendResponseHeaders(HeaderMap.from([[":status", "200"]]));
    s.sendResponseBody('{"predictions":[1]}', { endOfStream: true });
    s.complete();
    await host.idle();
    assert.equal(host.metric("kserve_logger_events_attempted"), 2n);
    assert.equal(host.failed, false);
  } finally {
    host.close();
  }
});
