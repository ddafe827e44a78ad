// render takes the WasmPlugin's sha256 from the OCI image `make oci` builds: for an
// oci:// url Istio verifies the image manifest digest, not the module's own sha256.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { buildOciImage } from "../../scripts/oci-image.js";
import { ROOT, runCli } from "./helpers.js";

test("render --module-oci-layout puts the image manifest digest in spec.sha256", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kwl-oci-render-"));
  try {
    const img = buildOciImage(ROOT + "build/kserve-logger.wasm", join(dir, "layout"), "0.1.0");
    const r = await runCli([
      "render",
      "-f",
      ROOT + "testdata/isvc/sklearn-iris-basic.yaml",
      "--module-url",
      "oci://registry.example.com/kserve-wasm-logger:0.1.0",
      "--module-oci-layout",
      img.layout,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const plugin = YAML.parseAllDocuments(r.stdout)
      .map((d) => d.toJSON())
      .find((o) => o.kind === "WasmPlugin");
    assert.equal(plugin.spec.sha256, img.manifestDigest.replace("sha256:", ""));
    assert.notEqual(plugin.spec.sha256, img.wasmSha256, "not the module's own digest");

    const bad = await runCli([
      "render",
      "-f",
      ROOT + "testdata/isvc/sklearn-iris-basic.yaml",
      "--module-url",
      "https://example.com/x.wasm",
      "--module-oci-layout",
      img.layout,
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--module-oci-layout gives an image manifest digest: it goes with an oci:\/\/ --module-url/,
    );
    const missing = await runCli([
      "render",
      "-f",
      ROOT + "testdata/isvc/sklearn-iris-basic.yaml",
      "--module-url",
      "oci://r/x:1",
      "--module-oci-layout",
      join(dir, "nope"),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is not an OCI image layout/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
