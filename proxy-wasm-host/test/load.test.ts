// Loading as Envoy does: import checks with Envoy's messages, ABI detection,
// pairs serialization, the binary reader.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmHost, LoadError, marshalPairs, parsePairs } from "../src/index.js";
import { readWasmBinary } from "../src/wasm-binary.js";
import { fixture } from "./fixtures.js";

test("a module importing env.seed (Math.random) is refused with Envoy's missing-import message", async () => {
  await assert.rejects(WasmHost.load(fixture("random"), { rootId: "random" }), (e: Error) => {
    assert.ok(e instanceof LoadError);
    assert.equal(e.message, "Failed to load Wasm module due to a missing import: env.seed");
    return true;
  });
});

test("an import with the wrong signature is refused (type mismatch)", async () => {
  await assert.rejects(
    WasmHost.load(fixture("mismatch")),
    /import type mismatch: env\.proxy_log, want: \(i32\)->\(i32\), but host exports: \(i32,i32,i32\)->\(i32\)/,
  );
});

test("bad magic and a missing ABI version export are refused", async () => {
  await assert.rejects(WasmHost.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /bad magic/);
  // A valid empty module: magic + version only.
  await assert.rejects(
    WasmHost.load(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])),
    /Missing or unknown Proxy-Wasm ABI version/,
  );
});

test("the probe module loads: imports read from the binary with their types", () => {
  const info = readWasmBinary(fixture("probe"));
  const log = info.imports.find((i) => i.name === "proxy_log")!;
  assert.deepEqual(log.sig, { params: ["i32", "i32", "i32"], results: ["i32"] });
  const inc = info.imports.find((i) => i.name === "proxy_increment_metric")!;
  assert.deepEqual(inc.sig, { params: ["i32", "i64"], results: ["i32"] });
  assert.ok(info.exports.some((e) => e.name === "_initialize"));
});

test("pairs format is cpp-host's: counts, sizes, NUL-terminated keys and values", () => {
  const b = marshalPairs([
    [Buffer.from("a"), Buffer.from("1")],
    [Buffer.from("b"), Buffer.from("22")],
  ]);
  assert.equal(
    b.toString("hex"),
    "02000000" + "01000000" + "01000000" + "01000000" + "02000000" + "610031006200323200",
  );
  assert.deepEqual(
    parsePairs(b).map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()]),
    [
      ["a", "1"],
      ["b", "22"],
    ],
  );
  // Malformed (trailing byte, missing NUL) parses to an empty list, as PairsUtil::toPairs.
  assert.deepEqual(parsePairs(Buffer.concat([b, Buffer.from([0])])), []);
  const broken = Buffer.from(b);
  broken[broken.length - 1] = 0x41;
  assert.deepEqual(parsePairs(broken), []);
});
