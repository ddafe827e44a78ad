// The compiled artifact itself: it imports only what Envoy provides (env.proxy_*
// and WASI) — never AssemblyScript's runtime imports, which make Envoy refuse the
// module — and exports the proxy-wasm ABI entry points.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { WASM_PATH } from "../../../testbed/stack.js";

const module = new WebAssembly.Module(readFileSync(WASM_PATH));

test("imports: only env.proxy_* host functions and WASI preview1 functions (what every proxy-wasm host has)", () => {
  const imports = WebAssembly.Module.imports(module);
  for (const i of imports) {
    assert.equal(i.kind, "function", `${i.module}.${i.name} is a function import`);
    // Envoy registers WASI as both wasi_unstable and wasi_snapshot_preview1; several hosts only the latter
    const ok = (i.module === "env" && i.name.startsWith("proxy_")) || i.module === "wasi_snapshot_preview1";
    assert.ok(ok, `${i.module}.${i.name} is something every proxy-wasm host provides`);
  }
  const names = imports.map((i) => `${i.module}.${i.name}`);
  for (const forbidden of ["env.abort", "env.seed", "env.Date.now", "env.trace", "env.console.log"]) {
    assert.ok(!names.includes(forbidden), `${forbidden} is not imported`);
  }
  assert.ok(!names.includes("env.proxy_clear_route_cache"), "no ABI 0.1.0-only call");
});

test("exports: memory, malloc, _initialize, the ABI version and the callbacks Envoy calls", () => {
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const e of [
    "memory",
    "malloc",
    "proxy_on_memory_allocate",
    "_initialize",
    "proxy_abi_version_0_2_0",
    "proxy_on_context_create",
    "proxy_on_vm_start",
    "proxy_on_configure",
    "proxy_on_request_headers",
    "proxy_on_request_body",
    "proxy_on_response_headers",
    "proxy_on_response_body",
    "proxy_on_http_call_response",
    "proxy_on_tick",
    "proxy_on_log",
    "proxy_on_done",
    "proxy_on_delete",
  ]) {
    assert.ok(exports.has(e), `exports ${e}`);
  }
  assert.ok(!exports.has("_start"), "no _start: Envoy would call it as a command");
});

test("the README lists exactly the module's imports", () => {
  const readme = readFileSync("README.md", "utf8");
  const para = readme.slice(
    readme.indexOf("- Imports of the module"),
    readme.indexOf("Exports:", readme.indexOf("- Imports of the module")),
  );
  // the names after the parenthesis (which names what is NOT imported)
  const listed = [...para.slice(para.indexOf("):")).matchAll(/`((?:env|wasi_[a-z0-9_]+)\.[A-Za-z_.]+)`/g)]
    .map((m) => m[1]!)
    .sort();
  const actual = WebAssembly.Module.imports(module)
    .map((i) => `${i.module}.${i.name}`)
    .sort();
  assert.deepEqual(listed, actual, "README lists every import and nothing else");
});

test("docs/operations.md's metrics table names exactly the stats the module defines", async () => {
  const { WasmHost } = await import("proxy-wasm-host");
  const { pluginConfig } = await import("./support.js");
  const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: "kserve-logger", logLevel: "error" });
  try {
    assert.ok(host.configure(pluginConfig()).accepted);
    // stats are defined on first use: one exchange
    const s = host.newStream();
    s.sendRequestHeaders([
      [":authority", "m"],
      [":path", "/"],
      [":method", "POST"],
    ]);
    s.sendRequestBody("{}", { endOfStream: true });
    s.complete();
    const defined = Object.keys(host.metrics()).sort();
    const doc = readFileSync("docs/operations.md", "utf8");
    const documented = [...doc.matchAll(/^\| `(kserve_logger_[a-z_]+)` \| (?:counter|gauge) \|/gm)]
      .map((m) => m[1]!)
      .sort();
    assert.ok(defined.length >= 10, defined.join(" "));
    assert.deepEqual(documented, defined);
  } finally {
    host.close();
  }
});
