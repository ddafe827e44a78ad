export interface BuildInfo {
  version: string;
  /** sha256 (hex) of build/kserve-logger.wasm, "" when it was not built */
  moduleSha256: string;
  /** the OCI image's manifest digest (sha256:…) of build/kserve-logger-oci, "" when not made */
  ociDigest: string;
}
export function readBuildInfo(root: string): BuildInfo;
