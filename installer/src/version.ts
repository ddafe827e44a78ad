// What `--version` says: the installer's version and the filter module it was built with. The
// bundle (build.mjs) has them written in at build time; from the source tree they are read from
// installer/package.json and build/ as they are now.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface BuildInfo {
  version: string;
  /** sha256 (hex) of build/kserve-logger.wasm, "" when it was not built */
  moduleSha256: string;
  /** the OCI image's manifest digest (sha256:…) of build/kserve-logger-oci, "" when not made */
  ociDigest: string;
}

declare const __KWL_BUILD__: BuildInfo | undefined;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The build facts, from the bundle, else from the source tree. */
export function buildInfo(): BuildInfo {
  if (typeof __KWL_BUILD__ !== "undefined") return __KWL_BUILD__;
  return readBuildInfo(ROOT);
}

/** The facts of a source tree at `root` (build.mjs writes them into the bundle). */
export function readBuildInfo(root: string): BuildInfo {
  const version = (JSON.parse(readFileSync(root + "installer/package.json", "utf8")) as { version: string }).version;
  const wasm = root + "build/kserve-logger.wasm";
  const moduleSha256 = existsSync(wasm) ? createHash("sha256").update(readFileSync(wasm)).digest("hex") : "";
  const index = root + "build/kserve-logger-oci/index.json";
  const ociDigest = existsSync(index)
    ? ((JSON.parse(readFileSync(index, "utf8")) as { manifests?: { digest?: string }[] }).manifests?.[0]?.digest ?? "")
    : "";
  return { version, moduleSha256, ociDigest };
}

export function versionText(b: BuildInfo): string {
  return (
    `kserve-wasm-logger ${b.version}\n` +
    `filter module: ${b.moduleSha256 ? `sha256:${b.moduleSha256} (build/kserve-logger.wasm)` : "not built with this installer"}\n` +
    (b.ociDigest ? `OCI image manifest: ${b.ociDigest} (the --module-sha256 of an oci:// --module-url)\n` : "")
  );
}
