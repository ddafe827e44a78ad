// The render flags that shape delivery, through the real path: `render` turns the ISVC into a
// WasmPlugin, and that WasmPlugin's pluginConfig drives the compiled filter in the Node host
// against the CloudEvents sink over loopback.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import YAML from "yaml";
import { podMetadata, startStack } from "../../testbed/stack.js";
import { events, post } from "../../filter/test/e2e/support.js";
import { MODULE_ARGS, ROOT, runCli } from "./helpers.js";

async function rendered(flags: string[], isvc = "sklearn-iris-annotated.yaml"): Promise<Record<string, unknown>> {
  const r = await runCli(["render", "-f", ROOT + "testdata/isvc/" + isvc, ...MODULE_ARGS, ...flags]);
  assert.equal(r.code, 0, r.stderr);
  const plugin = YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .find((o) => o.kind === "WasmPlugin");
  return plugin.spec.pluginConfig;
}

test("--batch-max-events: the filter sends the exchange's events together as one CloudEvents batch", async () => {
  const stack = await startStack({
    pluginConfig: await rendered(["--batch-max-events", "2", "--batch-interval-ms", "60000"]),
    nodeMetadata: podMetadata("sklearn-iris", "default"),
  });
  try {
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1]]}', { "ce-id": "batched" });
    const evs = await events(stack, 2);
    assert.equal(stack.sink!.requests, 1, "one request for both events");
    for (const e of evs) {
      assert.equal(e.batch, true);
      assert.equal(e.headers["content-type"], "application/cloudevents-batch+json");
      assert.equal(e.event.id, "batched");
    }
  } finally {
    await stack.close();
  }
});

test("--ce-endpoint: canary from the traffic split by default, empty as KServe's agent sends it with kserve", async () => {
  // a pod of the revision being rolled out (canary in the ISVC's status)
  const pod = podMetadata("sklearn-canary", "models", "predictor", "sklearn-canary-predictor-00003");
  for (const [flags, want] of [
    [[], "canary"],
    [["--ce-endpoint", "kserve"], ""],
  ] as const) {
    const stack = await startStack({
      pluginConfig: await rendered([...flags], "canary-serverless.yaml"),
      nodeMetadata: pod,
    });
    try {
      await post(`${stack.url}/v1/models/sklearn-canary:predict`, '{"instances":[[1]]}', { "ce-id": "compat" });
      const evs = await events(stack, 2);
      for (const e of evs) assert.equal(e.headers["ce-endpoint"], want, `${flags.join(" ") || "default"}`);
    } finally {
      await stack.close();
    }
  }
});

test("--max-metadata-bytes caps ce-metadata and marks it", async () => {
  const stack = await startStack({
    pluginConfig: await rendered(["--max-metadata-bytes", "64"]),
    nodeMetadata: podMetadata("sklearn-iris", "default"),
  });
  try {
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1]]}', {
      "ce-id": "capped",
      "x-tenant": "t".repeat(200),
    });
    for (const e of await events(stack, 2)) {
      assert.equal(e.headers["ce-metadatatruncated"], "true");
      assert.ok(Buffer.byteLength(e.headers["ce-metadata"] ?? "") <= 64, e.headers["ce-metadata"]);
    }
  } finally {
    await stack.close();
  }
});

test("--max-held-bytes and --max-redact-bytes reach the filter: a body over the redaction limit is left out", async () => {
  const cfg = await rendered(["--max-held-bytes", "2097152", "--max-redact-bytes", "16", "--redact-path", "instances"]);
  assert.deepEqual(cfg.limits, { maxHeldBytes: 2097152, maxRedactBytes: 16 });
  const stack = await startStack({ pluginConfig: cfg, nodeMetadata: podMetadata("sklearn-iris", "default") });
  try {
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1,2,3,4,5,6]]}', { "ce-id": "big" });
    const req = (await events(stack, 2)).find((e) => e.event.type.endsWith(".request"))!;
    assert.equal(req.headers["ce-redaction"], "omitted");
    assert.equal(req.body.length, 0);
  } finally {
    await stack.close();
  }
});

test("--fail-strategy: FAIL_RELOAD is rendered (schema-valid), FAIL_CLOSE refused, FAIL_OPEN the default", async () => {
  const spec = async (flags: string[]): Promise<Record<string, unknown>> => {
    const r = await runCli([
      "render",
      "-f",
      ROOT + "testdata/isvc/sklearn-iris-annotated.yaml",
      ...MODULE_ARGS,
      ...flags,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return YAML.parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .find((o) => o.kind === "WasmPlugin").spec;
  };
  assert.equal((await spec([])).failStrategy, "FAIL_OPEN");
  assert.equal((await spec(["--fail-strategy", "FAIL_RELOAD"])).failStrategy, "FAIL_RELOAD");
  const out = await runCli([
    "render",
    "-f",
    ROOT + "testdata/isvc/sklearn-iris-annotated.yaml",
    ...MODULE_ARGS,
    "--fail-strategy",
    "FAIL_RELOAD",
  ]);
  const dir = mkdtempSync(tmpdir() + "/kwl-");
  writeFileSync(dir + "/reload.yaml", out.stdout);
  const valid = await runCli(["validate", "-f", dir + "/reload.yaml"]);
  assert.equal(valid.code, 0, valid.stderr + valid.stdout);
  const bad = await runCli([
    "render",
    "-f",
    ROOT + "testdata/isvc/sklearn-iris-annotated.yaml",
    ...MODULE_ARGS,
    "--fail-strategy",
    "FAIL_CLOSE",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fail-strategy: "FAIL_CLOSE" is not FAIL_OPEN or FAIL_RELOAD/);
});
