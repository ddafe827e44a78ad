// The OCI image of the filter, read back as Istio's agent would read it: index →
// manifest → the single tar+gzip layer → plugin.wasm, byte-identical to the build.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import * as tar from "tar";
import { buildOciImage, CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE } from "../../scripts/oci-image.js";

const WASM = "build/kserve-logger.wasm";

function blob(layout: string, digest: string): Buffer {
  const data = readFileSync(join(layout, "blobs", "sha256", digest.replace(/^sha256:/, "")));
  assert.equal(`sha256:${createHash("sha256").update(data).digest("hex")}`, digest, "blob content matches its digest");
  return data;
}

test("the OCI image layout holds the built module as plugin.wasm in a single layer", () => {
  const dir = mkdtempSync(join(tmpdir(), "kwl-oci-test-"));
  try {
    const img = buildOciImage(WASM, join(dir, "image"), "v-test");
    const layout = img.layout;
    assert.deepEqual(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].mediaType, MANIFEST_MEDIA_TYPE);
    assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "v-test");
    assert.equal(index.manifests[0].digest, img.manifestDigest);
    const manifest = JSON.parse(blob(layout, img.manifestDigest).toString("utf8"));
    assert.equal(manifest.config.mediaType, CONFIG_MEDIA_TYPE);
    assert.equal(manifest.layers.length, 1, "Istio's compat variant is a single layer");
    assert.equal(manifest.layers[0].mediaType, LAYER_MEDIA_TYPE);
    const config = JSON.parse(blob(layout, manifest.config.digest).toString("utf8"));
    const layerTar = gunzipSync(blob(layout, manifest.layers[0].digest));
    assert.equal(config.rootfs.diff_ids[0], `sha256:${createHash("sha256").update(layerTar).digest("hex")}`);
    // Extract the layer and compare the module byte for byte.
    const tarFile = join(dir, "layer.tar");
    writeFileSync(tarFile, layerTar);
    const names: string[] = [];
    tar.t({
      file: tarFile,
      sync: true,
      onReadEntry: (e) => {
        names.push(e.path);
      },
    });
    assert.deepEqual(names, ["plugin.wasm"]);
    tar.x({ file: tarFile, cwd: dir, sync: true });
    assert.ok(readFileSync(join(dir, "plugin.wasm")).equals(readFileSync(WASM)), "plugin.wasm is the built module");
    // Reproducible: the same module gives the same digest.
    assert.equal(buildOciImage(WASM, join(dir, "again"), "v-test").manifestDigest, img.manifestDigest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
