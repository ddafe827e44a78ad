// Packs the filter as a Wasm OCI image in the format Istio's agent pulls
// (istio pkg/wasm/imagefetcher.go, "compat" variant): one
// application/vnd.oci.image.layer.v1.tar+gzip layer holding `plugin.wasm`.
// Writes an OCI image layout directory and a tarball of it, which oras, crane
// or skopeo can push (`skopeo copy oci-archive:build/kserve-logger-oci.tar docker://REGISTRY/IMAGE:TAG`).
// Built with Node alone; byte-for-byte reproducible (fixed mtimes, no owners).

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar";

export const LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
export const MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
export const INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
const EPOCH = new Date(0);

export interface OciImage {
  layout: string;
  tarball: string;
  manifestDigest: string; // what WasmPlugin.spec.sha256 must carry for an oci:// url (istio #37565)
  layerDigest: string;
  wasmSha256: string;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function writeBlob(layout: string, data: Buffer): { digest: string; size: number } {
  const hex = sha256(data);
  writeFileSync(join(layout, "blobs", "sha256", hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

export function buildOciImage(wasmPath: string, outDir: string, tag: string): OciImage {
  const wasm = readFileSync(wasmPath);
  if (wasm.subarray(0, 4).toString("binary") !== "\0asm") throw new Error(`${wasmPath}: not a Wasm module`);
  const layout = resolve(outDir);
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });

  const staging = mkdtempSync(join(tmpdir(), "kwl-oci-"));
  try {
    copyFileSync(wasmPath, join(staging, "plugin.wasm"));
    const layerTar = join(staging, "layer.tar");
    tar.c({ cwd: staging, file: layerTar, sync: true, portable: true, mtime: EPOCH }, ["plugin.wasm"]);
    const uncompressed = readFileSync(layerTar);
    const layer = writeBlob(layout, gzipSync(uncompressed, { level: 9 }));
    const config = writeBlob(
      layout,
      Buffer.from(
        JSON.stringify({
          architecture: "wasm",
          os: "wasip1",
          config: {},
          rootfs: { type: "layers", diff_ids: [`sha256:${sha256(uncompressed)}`] },
        }),
      ),
    );
    const manifest = writeBlob(
      layout,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_MEDIA_TYPE,
          config: { mediaType: CONFIG_MEDIA_TYPE, ...config },
          layers: [
            { mediaType: LAYER_MEDIA_TYPE, ...layer, annotations: { "org.opencontainers.image.title": "plugin.wasm" } },
          ],
          annotations: { "module.wasm.image/variant": "compat" },
        }),
      ),
    );
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: INDEX_MEDIA_TYPE,
        manifests: [
          { mediaType: MANIFEST_MEDIA_TYPE, ...manifest, annotations: { "org.opencontainers.image.ref.name": tag } },
        ],
      }),
    );
    const tarball = `${layout.replace(/\/$/, "")}.tar`;
    tar.c({ cwd: layout, file: tarball, sync: true, portable: true, mtime: EPOCH }, [
      "oci-layout",
      "index.json",
      "blobs",
    ]);
    return { layout, tarball, manifestDigest: manifest.digest, layerDigest: layer.digest, wasmSha256: sha256(wasm) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const img = buildOciImage(
    arg("--wasm", "build/kserve-logger.wasm"),
    arg("--out", "build/kserve-logger-oci"),
    arg("--tag", "latest"),
  );
  console.log(
    `OCI image layout ${img.layout}\ntarball ${img.tarball}\nmanifest digest ${img.manifestDigest} (WasmPlugin.spec.sha256 for an oci:// url: ${img.manifestDigest.slice(7)})\nlayer ${img.layerDigest}\nplugin.wasm sha256 ${img.wasmSha256}`,
  );
}
