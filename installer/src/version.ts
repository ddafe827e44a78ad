// What `--version` says: the installer's version and the filter module it was built with. The
// bundle (build.mjs) has them written in at build time; from the source tree they are read from
// installer/package.json and build/ as they are now.
import { fileURLToPath } from "node:url";
import { readBuildInfo, type BuildInfo } from "../build-info.mjs";

export type { BuildInfo } from "../build-info.mjs";
export { readBuildInfo };

declare const __KWL_BUILD__: BuildInfo | undefined;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The build facts, from the bundle, else from the source tree. */
export function buildInfo(): BuildInfo {
  if (typeof __KWL_BUILD__ !== "undefined") return __KWL_BUILD__;
  return readBuildInfo(ROOT);
}

export function versionText(b: BuildInfo): string {
  return (
    `kserve-wasm-logger ${b.version}\n` +
    `filter module: ${b.moduleSha256 ? `sha256:${b.moduleSha256} (build/kserve-logger.wasm)` : "not built with this installer"}\n` +
    (b.ociDigest ? `OCI image manifest: ${b.ociDigest} (the --module-sha256 of an oci:// --module-url)\n` : "")
  );
}
