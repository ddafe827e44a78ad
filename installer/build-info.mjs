// The facts `--version` reports, read from a source tree: the installer's version and the filter
// module it is built with. build.mjs writes them into the bundle; installer/src/version.ts reads
// them here when it runs from the source tree. Plain JavaScript so that build.mjs (run by node,
// without tsx) can import it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

/** @param {string} root the repository root, ending in "/" */
export function readBuildInfo(root) {
  const version = JSON.parse(readFileSync(root + "installer/package.json", "utf8")).version;
  const wasm = root + "build/kserve-logger.wasm";
  const moduleSha256 = existsSync(wasm) ? createHash("sha256").update(readFileSync(wasm)).digest("hex") : "";
  const index = root + "build/kserve-logger-oci/index.json";
  const ociDigest = existsSync(index) ? (JSON.parse(readFileSync(index, "utf8")).manifests?.[0]?.digest ?? "") : "";
  return { version, moduleSha256, ociDigest };
}
