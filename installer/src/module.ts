// The Wasm module a WasmPlugin points at: its URL and the sha256 Istio verifies it with.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InputError, UsageError } from "./diagnostics.js";
import type { ModuleRef } from "./wasmplugin.js";

export function moduleRef(url: string | undefined, sha256: string | undefined, file: string | undefined): ModuleRef {
  if (url === undefined || url === "") {
    throw new UsageError("--module-url is required (oci://…, https://…, http://… or file:///… inside the istio-proxy container)");
  }
  if (sha256 !== undefined && file !== undefined) throw new UsageError("give --module-sha256 or --module-file, not both");
  if (file !== undefined) {
    // For OCI images Istio checks the image manifest digest, not the module's (istio #37565).
    if (url.startsWith("oci://") || !/^[a-z]+:\/\//.test(url)) {
      throw new UsageError("--module-file computes the module's sha256, but for an OCI url Istio verifies the image manifest digest: pass --module-sha256");
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new InputError(`--module-file: ${(e as Error).message}`);
    }
    if (bytes.subarray(0, 4).toString("binary") !== "\0asm") throw new InputError(`--module-file: ${file} is not a Wasm module`);
    sha256 = createHash("sha256").update(bytes).digest("hex");
  }
  if (sha256 !== undefined && !/^[a-f0-9]{64}$/.test(sha256)) {
    throw new UsageError(`--module-sha256: "${sha256}" is not 64 lowercase hex digits`);
  }
  return { url, sha256 };
}
