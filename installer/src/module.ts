// The Wasm module a WasmPlugin points at: its URL and the sha256 Istio verifies it with.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, UsageError } from "./diagnostics.js";
import type { ModuleRef } from "./wasmplugin.js";

// The manifest digest of the image in an OCI image layout (what `make oci` writes):
// Istio verifies an oci:// module by that digest (istio #37565).
export function ociLayoutDigest(dir: string): string {
  let index: { manifests?: { digest?: string }[] };
  try {
    index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  } catch (e) {
    throw new InputError(`--module-oci-layout: ${dir} is not an OCI image layout (${(e as Error).message})`);
  }
  const digests = (index.manifests ?? []).map((m) => m.digest ?? "");
  if (digests.length !== 1)
    throw new InputError(`--module-oci-layout: ${dir}/index.json lists ${digests.length} manifests, expected 1`);
  const m = /^sha256:([a-f0-9]{64})$/.exec(digests[0]!);
  if (!m) throw new InputError(`--module-oci-layout: ${dir}/index.json: "${digests[0]}" is not a sha256 digest`);
  return m[1]!;
}

/**
 * The module a WasmPlugin points at. Pinned by default: without a sha256 (given, or computed from
 * --module-file / --module-oci-layout) Istio would run whatever the URL serves, so that is refused
 * unless `allowUnpinned`. A digest may be written as registries print it (`sha256:…`).
 */
export function moduleRef(
  url: string | undefined,
  sha256: string | undefined,
  file: string | undefined,
  ociLayout?: string,
  allowUnpinned = false,
): ModuleRef {
  if (url === undefined || url === "") {
    throw new UsageError(
      "--module-url is required (oci://…, https://…, http://… or file:///… inside the istio-proxy container)",
    );
  }
  if ([sha256, file, ociLayout].filter((x) => x !== undefined).length > 1) {
    throw new UsageError("give one of --module-sha256, --module-file, --module-oci-layout");
  }
  if (ociLayout !== undefined) {
    if (!url.startsWith("oci://"))
      throw new UsageError("--module-oci-layout gives an image manifest digest: it goes with an oci:// --module-url");
    sha256 = ociLayoutDigest(ociLayout);
  }
  if (file !== undefined) {
    // For OCI images Istio checks the image manifest digest, not the module's (istio #37565).
    if (url.startsWith("oci://") || !/^[a-z]+:\/\//.test(url)) {
      throw new UsageError(
        "--module-file computes the module's sha256, but for an OCI url Istio verifies the image manifest digest: pass --module-sha256",
      );
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new InputError(`--module-file: ${(e as Error).message}`);
    }
    if (bytes.subarray(0, 4).toString("binary") !== "\0asm")
      throw new InputError(`--module-file: ${file} is not a Wasm module`);
    sha256 = createHash("sha256").update(bytes).digest("hex");
  }
  if (sha256?.startsWith("sha256:")) sha256 = sha256.slice("sha256:".length);
  if (sha256 === undefined && !allowUnpinned) {
    throw new UsageError(
      "--module-sha256 is required (or --module-file / --module-oci-layout to compute it): without it Istio runs whatever " +
        `${url} serves; --allow-unpinned-module renders without an integrity check`,
    );
  }
  if (sha256 !== undefined && !/^[a-f0-9]{64}$/.test(sha256)) {
    throw new UsageError(`--module-sha256: "${sha256}" is not 64 lowercase hex digits`);
  }
  return { url, sha256 };
}
