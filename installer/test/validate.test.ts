// The validator proven on Istio's own test data, and its parts (Go URL parsing, CEL functions,
// Kubernetes list/metadata rules) on cases of our own.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import YAML from "yaml";
import { evaluateRules, type CelViolation } from "../src/validate/cel.js";
import { parseRequestURI } from "../src/validate/go-url.js";
import { validateObject } from "../src/validate/index.js";
import { WASMPLUGIN_CRD_YAML } from "../src/validate/wasmplugin-crd.gen.js";
import { ROOT } from "./helpers.js";

function vectors(file: string): { name: string; err?: string; doc: Record<string, unknown> }[] {
  return YAML.parseAllDocuments(readFileSync(ROOT + "testdata/istio/" + file, "utf8")).map((d) => {
    const doc = d.toJS() as Record<string, unknown>;
    const err = doc._err as string | undefined;
    delete doc._err; // the test vector's expectation, not part of the object
    return { name: (doc.metadata as { name: string }).name, err, doc };
  });
}

test("embedded CRD is testdata/istio/wasmplugin-crd.yaml (regenerate: node --import tsx installer/scripts/embed-crd.ts)", () => {
  assert.equal(WASMPLUGIN_CRD_YAML, readFileSync(ROOT + "testdata/istio/wasmplugin-crd.yaml", "utf8"));
});

test("every document of Istio's wasm-valid.yaml is accepted", () => {
  const vs = vectors("wasm-valid.yaml");
  assert.equal(vs.length, 4);
  for (const v of vs) assert.deepEqual(validateObject(v.doc).errors, [], v.name);
});

test("every document of Istio's wasm-invalid.yaml is rejected, with the API server's message", () => {
  const vs = vectors("wasm-invalid.yaml");
  assert.equal(vs.length, 15);
  for (const v of vs) {
    const r = validateObject(v.doc);
    assert.ok(r.checked);
    assert.ok(r.errors.length > 0, `${v.name} accepted`);
    assert.ok(
      r.errors.some((e) => e.includes(v.err!)),
      `${v.name}: expected "${v.err}" in ${JSON.stringify(r.errors)}`,
    );
  }
});

const ok = {
  apiVersion: "extensions.istio.io/v1alpha1",
  kind: "WasmPlugin",
  metadata: { name: "p", namespace: "ns" },
  spec: { url: "oci://example/p:1" },
};

test("schema cases beyond Istio's vectors", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...ok, spec: { ...ok.spec, phase: "LATE" } }, /spec\.phase: Unsupported value: "LATE"/],
    [
      { ...ok, spec: { ...ok.spec, match: [{ ports: [{ number: 80 }, { number: 80 }] }] } },
      /spec\.match\[0\]\.ports\[1\]: Duplicate value/,
    ],
    [{ ...ok, spec: { ...ok.spec, match: [{ ports: [{ number: 70000 }] }] } }, /less than or equal to 65535/],
    [{ ...ok, spec: { ...ok.spec, priority: 2 ** 40 } }, /spec\.priority in body must be of type int32/],
    [
      {
        ...ok,
        spec: { ...ok.spec, selector: { matchLabels: { a: "b" } }, targetRefs: [{ kind: "Gateway", name: "g" }] },
      },
      /only one of targetRefs or selector can be set/,
    ],
    [
      { ...ok, spec: { ...ok.spec, targetRefs: [{ kind: "Service", name: "s", namespace: "other" }] } },
      /cross namespace referencing is not currently supported/,
    ],
    [{ ...ok, spec: { ...ok.spec, typo: 1 } }, /unknown field "spec\.typo"/],
    [{ ...ok, metadata: { name: "Bad_Name" } }, /metadata\.name: Invalid value/],
    [{ ...ok, metadata: { name: "p", labels: { a: "x".repeat(64) } } }, /metadata\.labels: Invalid value/],
    [{ ...ok, apiVersion: "extensions.istio.io/v1" }, /is not served/],
    [
      { ...ok, spec: { ...ok.spec, pluginName: "kserve-logger", pluginConfig: { namespace: "x" } } },
      /spec\.pluginConfig\.inferenceService: required \(kserve-logger pluginConfig contract/,
    ],
  ];
  for (const [doc, re] of cases) {
    const errs = validateObject(doc).errors;
    assert.ok(
      errs.some((e) => re.test(e)),
      `${re}: ${JSON.stringify(errs)}`,
    );
  }
  assert.deepEqual(
    validateObject({ ...ok, spec: { ...ok.spec, pluginConfig: { anything: [1, { x: null }] }, priority: null } })
      .errors,
    [],
  );
  assert.equal(validateObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }).checked, false);
});

test("Go ParseRequestURI semantics behind isURL()", () => {
  for (const u of [
    "http://test",
    "oci://ghcr.io/a/b:1",
    "file:///opt/x.wasm",
    "https://h:8443/p?q=1",
    "/abs/path",
    "mailto:x@y",
    "http://[::1]:80/",
  ]) {
    assert.doesNotThrow(() => parseRequestURI(u), u);
  }
  for (const u of [
    "test",
    "#%blah$#@",
    "http://#%blah$#@",
    "",
    ":x",
    "http://h:port/",
    "http://a b/",
    "http://h/%zz",
    "http://h\n/",
  ]) {
    assert.throws(() => parseRequestURI(u), u);
  }
  assert.equal(parseRequestURI("HTTP://Host:1/p").scheme, "http");
});

test("CEL: Kubernetes URL functions, has(), all() over map keys", () => {
  const run = (rule: string, value: unknown, type = "object") => {
    const out: CelViolation[] = [];
    evaluateRules({ type, "x-kubernetes-validations": [{ rule, message: "failed" }] }, value, "x", out);
    return out.length === 0;
  };
  assert.ok(
    run(
      'url(self).getHost() == "h:8080" && url(self).getHostname() == "h" && url(self).getPort() == "8080"',
      "http://h:8080/p",
      "string",
    ),
  );
  assert.ok(
    run(
      'url(self).getEscapedPath() == "/p" && url(self).getQuery()["a"] == ["1", "2"]',
      "http://h/p?a=1&a=2",
      "string",
    ),
  );
  assert.ok(run("has(self.a) && !has(self.b)", { a: 1 }));
  assert.ok(!run('self.all(k, k != "bad")', { bad: 1 }));
  assert.ok(run("self.n + 1 == 3", { n: 2 }));
  assert.ok(!run('url(self).getScheme() == "http"', "not a url", "string")); // evaluation error counts as a violation
});
