// The patched @solo-io/proxy-runtime 0.1.8: RootContext.onConfigure must pass a
// pointer for the returned size. Unpatched, it passed the configuration SIZE as
// that pointer: the host wrote 4 bytes at address = size, and the SDK decoded the
// configuration with whatever size was last stored in its own out-slot (here the
// length of plugin_root_id, read just before by ensureRootContext) — which happens
// to decode correctly because the host-malloc'ed ArrayBuffer carries its length.
// This test reads two configurations of different lengths and checks both the
// decoded text and that the 4 bytes at address = size are untouched; it then
// compiles the same fixture against an unpatched copy of the SDK and shows that
// the memory check fails there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WasmHost } from "../src/index.js";
import { compileEntry, FIXTURES, fixture, REPO } from "./fixtures.js";

const CONFIGS = ['{"inferenceService":"sklearn-iris","namespace":"models"}', '{"a":1}'];

async function readBack(wasm: Uint8Array): Promise<{ read: string[]; clobbered: boolean }> {
  const host = await WasmHost.load(wasm, { rootId: "sdk-config", canary: false });
  const read: string[] = [];
  let clobbered = false;
  for (const cfg of CONFIGS) {
    const addr = Buffer.byteLength(cfg);
    const before = host.vm.memory.read(addr, 4)!;
    const r = host.configure(cfg);
    const after = host.vm.memory.read(addr, 4)!;
    if (!before.equals(after) && after.readUInt32LE(0) === addr) clobbered = true;
    const line = r.logs.map((l) => l.message).find((m) => m.startsWith("sdk-config read ["));
    read.push(line ? line.slice("sdk-config read [".length, line.lastIndexOf("] size=")) : `<none: ${r.reason}>`);
  }
  host.close();
  return { read, clobbered };
}

test("patched SDK: onConfigure + getConfiguration read two configurations of different lengths exactly", async () => {
  const { read, clobbered } = await readBack(fixture("sdk-config"));
  assert.deepEqual(read, CONFIGS);
  assert.equal(clobbered, false);
});

test("the same check fails against an unpatched SDK (onConfigure passing the size as out-pointer)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "unpatched-sdk-"));
  try {
    const sdk = path.join(dir, "node_modules/@solo-io/proxy-runtime");
    cpSync(path.join(REPO, "node_modules/@solo-io/proxy-runtime"), sdk, { recursive: true });
    const runtime = path.join(sdk, "assembly/runtime.ts");
    const src = readFileSync(runtime, "utf8");
    const patched =
      "PluginConfiguration, 0, configuration_size, globalArrayBufferReference.bufferPtr(), globalArrayBufferReference.sizePtr()));";
    assert.ok(src.includes(patched), "the installed SDK carries the onConfigure patch");
    // Undo only that hunk (the AssemblyScript 0.27 fixes stay, or nothing would compile).
    writeFileSync(
      runtime,
      src.replace(
        patched,
        "PluginConfiguration, 0, configuration_size, globalArrayBufferReference.bufferPtr(), configuration_size));",
      ),
    );
    cpSync(path.join(FIXTURES, "sdk-config.ts"), path.join(dir, "sdk-config.ts"));
    const wasm = compileEntry(path.join(dir, "sdk-config.ts"), path.join(dir, "out"), true);
    const { read, clobbered } = await readBack(wasm);
    // The decoded text can still be right by luck (the host-allocated ArrayBuffer carries its
    // own length); the stray 4-byte write into the module's memory is what gives it away.
    assert.ok(
      clobbered,
      `unpatched SDK makes the host write the size at address = size (read ${JSON.stringify(read)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
