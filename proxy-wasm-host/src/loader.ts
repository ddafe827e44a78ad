// Load-time checks Envoy makes before a module may run (cpp-host src/wasm.cc load,
// src/bytecode_util.cc ABI detection, src/v8/v8.cc link): magic, ABI version
// export, every import provided by the host with the exact signature, known
// exports with the signatures the host will call, memory and malloc present.

import { LoadError } from "./errors.js";
import { hostImportSignatures, MODULE_EXPORT_SIGNATURES, type AbiVersion } from "./signatures.js";
import { isWasmBinary, readWasmBinary, sameSig, sigToString, type WasmBinaryInfo } from "./wasm-binary.js";

export interface CheckedModule {
  module: WebAssembly.Module;
  abi: AbiVersion;
  info: WasmBinaryInfo;
}

export function detectAbi(info: WasmBinaryInfo): AbiVersion {
  const names = new Set(info.exports.map((e) => e.name));
  if (names.has("proxy_abi_version_0_2_1")) return "0_2_1";
  if (names.has("proxy_abi_version_0_2_0")) return "0_2_0";
  if (names.has("proxy_abi_version_0_1_0")) {
    throw new LoadError("Proxy-Wasm ABI 0.1.0 is not supported by the Node host (Envoy still accepts it)");
  }
  throw new LoadError("Missing or unknown Proxy-Wasm ABI version");
}

export function checkModule(bytes: Uint8Array): CheckedModule {
  if (!isWasmBinary(bytes)) throw new LoadError("Failed to load Wasm code: not a Wasm binary (bad magic)");
  let info: WasmBinaryInfo;
  try {
    info = readWasmBinary(bytes);
  } catch (e) {
    throw new LoadError(`Failed to load Wasm code: ${(e as Error).message}`);
  }
  const abi = detectAbi(info);
  const host = hostImportSignatures(abi);
  for (const imp of info.imports) {
    const full = `${imp.module}.${imp.name}`;
    if (imp.kind === "global") throw new LoadError(`Failed to load Wasm module due to an imported global: ${full}`);
    if (imp.kind !== "function") {
      throw new LoadError(`Failed to load Wasm module: imported ${imp.kind} ${full} is not supported by the Node host`);
    }
    const want = host.get(full);
    if (!want) throw new LoadError(`Failed to load Wasm module due to a missing import: ${full}`);
    if (!imp.sig || !sameSig(imp.sig, want)) {
      throw new LoadError(
        `Failed to load Wasm module due to an import type mismatch: ${full}, want: ${imp.sig ? sigToString(imp.sig) : "?"}, but host exports: ${sigToString(want)}`,
      );
    }
  }
  for (const exp of info.exports) {
    const want = MODULE_EXPORT_SIGNATURES[exp.name];
    if (exp.kind !== "function" || !want) continue;
    if (!exp.sig || !sameSig(exp.sig, want)) throw new LoadError(`Bad function signature for: ${exp.name}`);
  }
  const names = new Set(info.exports.map((e) => e.name));
  if (!info.exports.some((e) => e.name === "memory" && e.kind === "memory")) {
    throw new LoadError("Wasm module is missing memory export");
  }
  if (!names.has("malloc") && !names.has("proxy_on_memory_allocate")) {
    throw new LoadError("Wasm module is missing malloc function.");
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(new Uint8Array(bytes));
  } catch (e) {
    throw new LoadError(`Failed to load Wasm code: ${(e as Error).message}`);
  }
  return { module, abi, info };
}
