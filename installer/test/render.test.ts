import assert from "node:assert/strict";
import { test } from "node:test";
import { Diagnostics } from "../src/diagnostics.js";
import { parseIsvc } from "../src/isvc.js";
import { DEFAULT_RENDER_OPTIONS, renderIsvc } from "../src/render.js";
import { isSensitiveAnnotationKey, isSensitiveHeader } from "../src/sensitive.js";

const opts = { ...DEFAULT_RENDER_OPTIONS, module: { url: "oci://example/kserve-logger:1" } };

function isvc(predictor: object, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "serving.kserve.io/v1beta1",
    kind: "InferenceService",
    metadata: {
      name: "m",
      namespace: "ns",
      annotations: { "a.example/x": "from-isvc", "autoscaling.knative.dev/min-scale": "2" },
    },
    spec: { predictor, ...extra },
  };
}

function render(doc: unknown, o = opts) {
  const d = new Diagnostics("t");
  const parsed = parseIsvc(doc, "default", d);
  const objs = parsed ? (renderIsvc(parsed, o, d) as any[]) : [];
  return { objs, diags: d.items };
}

test("annotations: ISVC's minus KServe's disallowed list, overlaid by the component's", () => {
  const { objs, diags } = render(
    isvc({
      annotations: { "a.example/x": "from-component" },
      logger: { url: "http://sink", metadataAnnotations: ["a.example/x", "autoscaling.knative.dev/min-scale"] },
    }),
  );
  assert.deepEqual(objs[0].spec.pluginConfig.annotations, { "a.example/x": "from-component" });
  assert.match(diags.map((x) => x.message).join("\n"), /min-scale" is on KServe's disallowed annotation list/);
});

test("a selected annotation that is missing is a warning that names it; --strict makes it an error", () => {
  const doc = isvc({ logger: { url: "http://sink", metadataAnnotations: ["a.example/nope"] } });
  const lax = render(doc);
  assert.equal(lax.objs.length, 1);
  assert.deepEqual(
    lax.diags.map((x) => [x.severity, x.field]),
    [["warning", "spec.predictor.logger.metadataAnnotations[0]"]],
  );
  assert.match(lax.diags[0]!.message, /"a\.example\/nope"/);
  const strict = render(doc, { ...opts, strict: true });
  assert.equal(strict.diags[0]!.severity, "error");
});

test("each component gets its own WasmPlugin selecting only its pods", () => {
  const { objs } = render(
    isvc(
      { logger: { url: "http://sink" } },
      {
        transformer: { logger: { url: "http://sink" } },
        explainer: { logger: { url: "http://sink", mode: "response" } },
      },
    ),
  );
  assert.deepEqual(
    objs.map((o) => o.metadata.name),
    ["m-predictor-logger", "m-transformer-logger", "m-explainer-logger"],
  );
  for (const o of objs) {
    assert.deepEqual(o.spec.selector.matchLabels, {
      "serving.kserve.io/inferenceservice": "m",
      component: o.spec.pluginConfig.component,
    });
    assert.equal(o.spec.pluginName, "kserve-logger");
    assert.equal(o.spec.failStrategy, "FAIL_OPEN");
    assert.deepEqual(o.spec.match, [{ mode: "SERVER" }]);
  }
});

test("spec.canary[] predictors inherit the stable logger and are told apart by their Deployment's app label", () => {
  const { objs } = render(
    isvc(
      { logger: { url: "http://sink", mode: "request" } },
      { canary: [{ trafficPercent: 10, predictor: { name: "v2" } }] },
    ),
  );
  assert.deepEqual(
    objs.map((o) => [
      o.metadata.name,
      o.spec.selector.matchLabels.app,
      o.spec.pluginConfig.endpoint,
      o.spec.pluginConfig.mode,
    ]),
    [
      ["m-predictor-logger", "isvc.m-predictor", "default", "request"],
      ["m-v2-predictor-logger", "isvc.m-v2-predictor", "canary", "request"],
    ],
  );
});

test("owner reference only with a uid (the API server requires one)", () => {
  const without = render(isvc({ logger: { url: "http://sink" } })).objs[0];
  assert.equal(without.metadata.ownerReferences, undefined);
  const doc = isvc({ logger: { url: "http://sink" } });
  (doc.metadata as any).uid = "1234";
  const withUid = render(doc).objs[0];
  assert.deepEqual(withUid.metadata.ownerReferences, [
    { apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", name: "m", uid: "1234" },
  ]);
});

test("invalid header names are refused", () => {
  const { diags } = render(isvc({ logger: { url: "http://sink", metadataHeaders: ["X Bad"] } }));
  assert.equal(diags[0]!.field, "spec.predictor.logger.metadataHeaders[0]");
});

test("sensitive keys and headers", () => {
  for (const k of [
    "kubectl.kubernetes.io/last-applied-configuration",
    "example.com/api-token",
    "example.com/db-password",
    "vault.example/secret-path",
    "example.com/apikey",
    "example.com/credentials",
    "example.com/authorization",
    "example.com/passphrase",
    "example.com/pwd",
    "example.com/jwt",
    "example.com/db-dsn",
    "example.com/aws_access_key_id",
    "example.com/ssh-key",
    "example.com/dbpassword",
    "example.com/accessToken",
    "example.com/session-id",
  ]) {
    assert.ok(isSensitiveAnnotationKey(k), k);
  }
  for (const k of [
    "serving.example.com/tenant",
    "example.com/author",
    "serving.kserve.io/deploymentMode",
    "example.com/cost-centre",
    "example.com/tokenizer",
    "example.com/max-tokens",
  ]) {
    assert.ok(!isSensitiveAnnotationKey(k), k);
  }
  for (const h of [
    "Authorization",
    "cookie",
    "Set-Cookie",
    "Proxy-Authorization",
    "X-Api-Key",
    "X-Auth-Token",
    "X-Amz-Security-Token",
    "X-Forwarded-Authorization",
    "X-Original-Authorization",
    "X-Authorization",
    "X-Csrf-Token",
    "X-Forwarded-Client-Cert",
  ])
    assert.ok(isSensitiveHeader(h), h);
  for (const h of ["X-Request-Id", "X-B3-Traceid", "X-Tenant", "Content-Type"]) assert.ok(!isSensitiveHeader(h), h);
});

test("malformed ISVCs: every problem reported with its field", () => {
  const d = new Diagnostics("t");
  assert.equal(parseIsvc({ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } }, "default", d), undefined);
  assert.deepEqual(
    d.items.map((x) => x.field),
    ["apiVersion", "kind", "spec"],
  );
  const d2 = new Diagnostics("t");
  parseIsvc("just a string", "default", d2);
  assert.match(d2.items[0]!.message, /expected an InferenceService object/);
});

// The logger spec held in a `kserve-wasm-logger/logger.<component>` annotation (no agent injected by KServe).
function annotatedIsvc(annotations: Record<string, string>, spec: Record<string, unknown>) {
  return {
    apiVersion: "serving.kserve.io/v1beta1",
    kind: "InferenceService",
    metadata: { name: "m", namespace: "ns", annotations: { "a.example/x": "from-isvc", ...annotations } },
    spec,
  };
}

test("a logger held in the kserve-wasm-logger/logger.<component> annotation renders as the same spec would", () => {
  const logger = {
    mode: "request",
    url: "http://sink.ns/",
    metadataHeaders: ["X-Tenant"],
    metadataAnnotations: ["a.example/x"],
  };
  const fromSpec = render(isvc({ logger }));
  const fromAnnotation = render(
    annotatedIsvc({ "kserve-wasm-logger/logger.predictor": JSON.stringify(logger) }, { predictor: {} }),
  );
  assert.deepEqual(fromAnnotation.diags, []);
  assert.equal(fromAnnotation.objs.length, 1);
  assert.deepEqual(fromAnnotation.objs[0].spec.pluginConfig, fromSpec.objs[0].spec.pluginConfig);
  // YAML is accepted as well
  const yaml = render(
    annotatedIsvc(
      {
        "kserve-wasm-logger/logger.predictor":
          "mode: request\nurl: http://sink.ns/\nmetadataHeaders: [X-Tenant]\nmetadataAnnotations: [a.example/x]",
      },
      { predictor: {} },
    ),
  );
  assert.deepEqual(yaml.objs[0].spec.pluginConfig, fromSpec.objs[0].spec.pluginConfig);
});

test("the logger annotation: errors name the annotation and say what is wrong", () => {
  const cases: [Record<string, string>, Record<string, unknown>, RegExp][] = [
    [
      { "kserve-wasm-logger/logger.predictor": '{"mode": "all"' },
      { predictor: {} },
      /metadata\.annotations\["kserve-wasm-logger\/logger\.predictor"\]: not a JSON or YAML logger spec/,
    ],
    [{ "kserve-wasm-logger/logger.predictor": '"all"' }, { predictor: {} }, /must hold a logger spec object/],
    [
      { "kserve-wasm-logger/logger.predictor": '{"mode": "everything"}' },
      { predictor: {} },
      /logger\.predictor"\]\.mode: unsupported value "everything"/,
    ],
    [
      { "kserve-wasm-logger/logger.predictor": '{"mode": "all"}' },
      { predictor: { logger: { mode: "all" } } },
      /spec\.predictor\.logger is set too; keep one/,
    ],
    [
      { "kserve-wasm-logger/logger.transformer": '{"mode": "all"}' },
      { predictor: {} },
      /names the transformer, which spec\.transformer does not define/,
    ],
    [{ "kserve-wasm-logger/logger.router": '{"mode": "all"}' }, { predictor: {} }, /unknown component "router"/],
    [
      { "kserve-wasm-logger/logger.predictor": '{"mode": "all", "batchSize": 5}' },
      { predictor: {} },
      /batchSize: blob storage and batching are not supported/,
    ],
  ];
  for (const [ann, spec, re] of cases) {
    const r = render(annotatedIsvc(ann, spec));
    assert.equal(r.objs.length, 0, JSON.stringify(ann));
    assert.match(
      r.diags
        .filter((x) => x.severity === "error")
        .map((x) => `${x.field}: ${x.message}`)
        .join("\n"),
      re,
      JSON.stringify(ann),
    );
  }
});

test("canaries without their own logger inherit the predictor's annotated logger", () => {
  const doc = annotatedIsvc(
    { "kserve-wasm-logger/logger.predictor": '{"mode": "all", "url": "http://sink.ns/"}' },
    {
      predictor: { model: { modelFormat: { name: "sklearn" } } },
      canary: [{ predictor: { name: "v2", model: { modelFormat: { name: "sklearn" } } } }],
    },
  );
  const r = render(doc);
  assert.deepEqual(
    r.diags.filter((x) => x.severity === "error"),
    [],
  );
  assert.equal(r.objs.filter((o) => o.kind === "WasmPlugin").length, 2, "stable predictor and canary v2");
});

test("--ce-endpoint kserve: no default/canary from the traffic split or spec.canary[], as KServe's agent sends it", () => {
  const status = {
    components: {
      predictor: {
        latestReadyRevision: "m-predictor-00003",
        latestRolledoutRevision: "m-predictor-00002",
        traffic: [
          { revisionName: "m-predictor-00003", percent: 20, latestRevision: true },
          { revisionName: "m-predictor-00002", percent: 80, latestRevision: false },
        ],
      },
    },
  };
  const doc = { ...isvc({ logger: { url: "http://sink" } }), status };
  const traffic = render(doc);
  assert.deepEqual(traffic.objs[0].spec.pluginConfig.endpoints, {
    "m-predictor-00002": "default",
    "m-predictor-00003": "canary",
  });
  const kserve = render(doc, { ...opts, ceEndpoint: "kserve" });
  assert.equal(kserve.objs[0].spec.pluginConfig.endpoint, "");
  assert.deepEqual(kserve.objs[0].spec.pluginConfig.endpoints, {});
  const raw = isvc({ logger: { url: "http://sink" } }, { canary: [{ predictor: { name: "v2" } }] });
  const rawKserve = render(raw, { ...opts, ceEndpoint: "kserve" }).objs.filter((o) => o.kind === "WasmPlugin");
  assert.equal(rawKserve.length, 2);
  for (const p of rawKserve) assert.equal(p.spec.pluginConfig.endpoint, "", p.metadata.name);
  assert.deepEqual(
    render(raw)
      .objs.filter((o) => o.kind === "WasmPlugin")
      .map((p) => p.spec.pluginConfig.endpoint)
      .sort(),
    ["canary", "default"],
  );
});

test("tenancy: ISVCs in Istio's root namespace and in kube-system/kube-public are refused, naming the rule", () => {
  const inNs = (namespace: string) => ({
    ...isvc({ logger: { url: "http://sink.models" } }),
    metadata: { name: "m", namespace },
  });
  for (const ns of ["istio-system", "kube-system", "kube-public"]) {
    const { objs, diags } = render(inNs(ns));
    assert.equal(objs.length, 0, ns);
    assert.equal(diags[0]!.field, "metadata.namespace");
    assert.match(
      diags[0]!.message,
      ns === "istio-system"
        ? /Istio's root namespace \(--istio-root-namespace\): a WasmPlugin there applies to every namespace/
        : /Kubernetes system namespace/,
    );
  }
  const custom = { ...opts, istioRootNamespace: "mesh-root" };
  assert.equal(
    render(inNs("istio-system"), custom).objs.length,
    1,
    "istio-system is ordinary when the root is elsewhere",
  );
  assert.equal(render(inNs("mesh-root"), custom).objs.length, 0);
});

test("the logger URL's credentials appear nowhere in what render says or writes", () => {
  const { objs, diags } = render(isvc({ logger: { url: "http://sink.models/in?token=s3cr3t" } }));
  assert.equal(objs.length, 0);
  assert.ok(diags.every((d) => !d.message.includes("s3cr3t")));
  const ok = render(isvc({ logger: { url: "http://sink.models/in?token=s3cr3t" } }), {
    ...opts,
    allowLoggerQuery: true,
  }).objs;
  assert.equal(
    ok[0].metadata.annotations["kserve-wasm-logger/logger-url"],
    "http://sink.models/in?token=***",
    "the annotation shows the URL without the value",
  );
});

test("--attach auto: waypoint in an ambient namespace or one that names a waypoint, else sidecar; offline, sidecar with a warning", () => {
  const doc = isvc({ logger: { mode: "all", url: "http://dumper/" } });
  const parsed = parseIsvc(doc, "default", new Diagnostics("t"))!;
  const auto = { ...opts, attach: "auto" as const };
  const spec = (labels: Record<string, string> | undefined) => {
    const d = new Diagnostics("t");
    const objs = renderIsvc(parsed, auto, d, labels) as { spec: Record<string, unknown> }[];
    return { spec: objs[0]!.spec, diags: d.items.map((x) => x.message) };
  };
  const both = spec({ "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
  assert.deepEqual(both.spec.targetRefs, [{ group: "", kind: "Service", name: "m-predictor" }]);
  assert.deepEqual(both.diags, []);
  assert.ok(spec({ "istio.io/use-waypoint": "waypoint" }).spec.targetRefs, "a waypoint named: waypoint");
  const noWaypoint = spec({ "istio.io/dataplane-mode": "ambient" });
  assert.ok(noWaypoint.spec.targetRefs);
  assert.match(noWaypoint.diags.join(), /ambient .* but names no waypoint/);
  assert.ok(spec({ "istio-injection": "enabled" }).spec.selector, "a sidecar namespace: selector");
  const offline = spec(undefined);
  assert.ok(offline.spec.selector);
  assert.match(offline.diags.join(), /render does not read: rendered for sidecars/);
});
