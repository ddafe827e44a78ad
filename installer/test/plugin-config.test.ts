import assert from "node:assert/strict";
import { test } from "node:test";
import { annotationsJsonBytes, checkPluginConfig } from "../src/plugin-config.js";

const base = {
  inferenceService: "sklearn-iris",
  namespace: "models",
  component: "predictor",
  endpoints: { "sklearn-iris-predictor-00002": "default" },
  mode: "all",
  logger: {
    cluster: "outbound|80||message-dumper.models.svc.cluster.local",
    authority: "message-dumper.models.svc.cluster.local",
    path: "/",
    timeoutMs: 5000,
  },
  metadataHeaders: ["X-Tenant"],
  annotations: { "serving.example.com/tenant": "acme" },
};

test("the example of docs/plugin-config.md is accepted", () => {
  assert.deepEqual(checkPluginConfig(base), []);
});

test("unknown fields, wrong types and limits are refused, naming the field", () => {
  const cases: [object, RegExp][] = [
    [{ ...base, extra: 1 }, /^extra: unknown field/],
    [{ ...base, logger: { ...base.logger, retries: 3 } }, /^logger\.retries: unknown field/],
    [{ ...base, mode: "everything" }, /^mode: must be one of/],
    [{ ...base, inferenceService: "" }, /^inferenceService: length 0/],
    [{ ...base, namespace: "x".repeat(64) }, /^namespace: length 64/],
    [{ ...base, logger: { ...base.logger, path: "events" } }, /^logger\.path: must start with \//],
    [{ ...base, logger: { ...base.logger, timeoutMs: 0 } }, /^logger\.timeoutMs: 0 outside 1\.\.60000/],
    [
      { ...base, metadataHeaders: Array.from({ length: 33 }, (_, i) => `H${i}`) },
      /^metadataHeaders: 33 names, at most 32/,
    ],
    [
      { ...base, annotations: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"])) },
      /^annotations: 129 entries, at most 128/,
    ],
    [{ ...base, annotations: { big: "x".repeat(16 * 1024) } }, /^annotations: serialized \d+ bytes, at most 16384/],
    [{ ...base, endpoints: { r: "blue" } }, /^endpoints\["r"\]: must be one of default, canary/],
    [{ ...base, limits: { maxBodyBytes: 67108865 } }, /^limits\.maxBodyBytes: 67108865 outside/],
    [{ ...base, inferenceService: "a\nb" }, /^inferenceService: control characters/],
    [{ ...base, logger: undefined }, /^logger: required object/],
  ];
  for (const [cfg, re] of cases) {
    const errs = checkPluginConfig(cfg);
    assert.ok(
      errs.some((e) => re.test(e)),
      `${re}: got ${JSON.stringify(errs)}`,
    );
  }
});

test("annotation size is counted with Go's escaping of < > &", () => {
  assert.equal(annotationsJsonBytes({ a: "<>&" }), Buffer.byteLength(String.raw`{"a":"\u003c\u003e\u0026"}`));
  assert.equal(annotationsJsonBytes({ a: "é" }), Buffer.byteLength('{"a":"é"}'));
});
