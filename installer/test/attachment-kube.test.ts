// Every attachment mode against the real kube-apiserver of test-infra/kube (its CRDs are the
// released ones, so their schemas and CEL rules judge what is rendered): each object of every
// golden is accepted by a server-side dry-run, and `watch --attach waypoint` applies a WasmPlugin
// that targets the component's Service. The control plane comes from real-kube.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { MODULE_ARGS, ROOT, useCluster } from "./helpers.js";
import { watchInProcess } from "./watch-helpers.js";
import { controlPlaneSkip, ensureControlPlane, stopControlPlaneIfStarted } from "./real-kube.js";

const skip = controlPlaneSkip();
const GOLDEN = ROOT + "testdata/golden/";

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; ownerReferences?: unknown };
  items?: Obj[];
}

function goldenObjects(): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const f of readdirSync(GOLDEN).filter((x) => x.endsWith(".yaml") || x.endsWith(".json"))) {
    for (const d of YAML.parseAllDocuments(readFileSync(GOLDEN + f, "utf8"))) {
      const o = d.toJS() as Obj | null;
      if (!o) continue;
      for (const x of o.kind === "List" ? (o.items ?? []) : [o]) out.push({ file: f, obj: x });
    }
  }
  return out;
}

describe("attachment modes against a real kube-apiserver", { skip }, () => {
  let admin: ClientNodeKube;
  const prefix = `kwl-att-${process.pid}-${Date.now().toString(36)}`;
  const made: string[] = [];

  before(() => {
    const env = ensureControlPlane();
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG!);
    admin = new ClientNodeKube(kc);
  });

  after(async () => {
    for (const name of made) await admin.delete({ apiVersion: "v1", kind: "Namespace", name }).catch(() => undefined);
    stopControlPlaneIfStarted();
  });

  test("every object of every golden (sidecar, waypoint, LLM) passes the API server's schema and CEL in a dry-run", async () => {
    const objs = goldenObjects();
    assert.ok(objs.length >= 20, `${objs.length} objects`);
    const kinds = new Set(objs.map((o) => o.obj.kind));
    for (const k of [
      "WasmPlugin",
      "ServiceEntry",
      "DestinationRule",
      "EnvoyExtensionPolicy",
      "HTTPRoute",
      "SecurityPolicy",
    ])
      assert.ok(kinds.has(k), `a golden has a ${k}`);
    const namespaces = new Set(objs.map((o) => o.obj.metadata.namespace).filter((n): n is string => Boolean(n)));
    for (const n of namespaces) {
      await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } });
    }
    const refused: string[] = [];
    for (const { file, obj } of objs) {
      // an owner reference names an ISVC that is not there: the dry-run checks the object, not its owner
      const { ownerReferences: _o, ...metadata } = obj.metadata;
      try {
        await admin.apply({ ...obj, metadata }, "server");
      } catch (e) {
        refused.push(`${file} ${obj.kind}/${obj.metadata.name}: ${(e as Error).message.slice(0, 300)}`);
      }
    }
    assert.deepEqual(refused, []);
    // the released CRDs' CEL rules are in force: Envoy Gateway's own rule on a Wasm code source
    const eep = objs.find((o) => o.obj.kind === "EnvoyExtensionPolicy")!.obj as unknown as {
      metadata: Obj["metadata"];
      spec: { wasm: { code: Record<string, unknown> }[] };
    };
    const broken = structuredClone(eep);
    delete broken.metadata.ownerReferences;
    broken.spec.wasm[0]!.code = { type: "Image" };
    await assert.rejects(admin.apply(broken, "server"), /If type is Image, image field needs to be set/);
  });

  test("watch --attach waypoint: the WasmPlugin targets the component's Service, identity config, the logger by inbound-vip", async () => {
    const ns = `${prefix}-wp`;
    made.push(ns);
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const isvc = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
    await admin.apply({ ...isvc, metadata: { ...isvc.metadata, namespace: ns } });
    useCluster(() => ({ kube: admin, namespace: ns }));
    const run = watchInProcess([
      "-n",
      ns,
      "--attach",
      "waypoint",
      "--istio-version",
      "1.24",
      "--health-addr",
      "",
      ...MODULE_ARGS,
    ]);
    try {
      await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(created\)$/);
      const p = (await admin.get({
        apiVersion: "extensions.istio.io/v1alpha1",
        kind: "WasmPlugin",
        namespace: ns,
        name: "sklearn-iris-predictor-logger",
      })) as unknown as {
        spec: {
          targetRefs?: unknown;
          selector?: unknown;
          match?: unknown;
          pluginConfig: { identity?: string; logger: { cluster: string } };
        };
      };
      assert.deepEqual(p.spec.targetRefs, [{ group: "", kind: "Service", name: "sklearn-iris-predictor" }]);
      assert.equal(p.spec.selector, undefined, "a waypoint ignores selector: none is rendered");
      assert.equal(p.spec.match, undefined);
      assert.equal(p.spec.pluginConfig.identity, "config");
      assert.equal(p.spec.pluginConfig.logger.cluster, `inbound-vip|80|http|message-dumper.default.svc.cluster.local`);
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });
  test("watch --attach auto: the namespace's ambient labels choose waypoint or sidecar, and a label change re-plans", async () => {
    const ns = `${prefix}-auto`;
    made.push(ns);
    const labels = { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" };
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels } });
    const isvc = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
    await admin.apply({ ...isvc, metadata: { ...isvc.metadata, namespace: ns } });
    useCluster(() => ({ kube: admin, namespace: ns }));
    const run = watchInProcess(["-n", ns, "--attach", "auto", "-v", "--health-addr", "", ...MODULE_ARGS]);
    const spec = async () =>
      (
        (await admin.get({
          apiVersion: "extensions.istio.io/v1alpha1",
          kind: "WasmPlugin",
          namespace: ns,
          name: "sklearn-iris-predictor-logger",
        })) as unknown as { spec: { targetRefs?: unknown; selector?: unknown } } | undefined
      )?.spec;
    try {
      await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(created\)$/);
      assert.ok((await spec())?.targetRefs, "ambient with a waypoint: targetRefs");
      // the namespace leaves ambient: the same WasmPlugin, now for sidecars
      await admin
        .apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: {} } })
        .catch(() => undefined);
      const { CoreV1Api } = await import("@kubernetes/client-node");
      const kc = new KubeConfig();
      kc.loadFromFile(ensureControlPlane().KUBECONFIG!);
      await kc.makeApiClient(CoreV1Api).replaceNamespace({ name: ns, body: { metadata: { name: ns, labels: {} } } });
      await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(.*spec changed: .*selector.*\)$/);
      const after = await spec();
      assert.ok(after?.selector && !after.targetRefs, "no ambient labels: selector");
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });
  test("watch --llm-isvc as the RBAC of istio/base and istio/llm: an LLMInferenceService gets its policy, logger route and deny policy; a change re-applies; deletion deletes", async () => {
    const env = ensureControlPlane();
    const ns = `${prefix}-llm`;
    made.push(ns);
    // the base and the LLM ClusterRole for real, bound to the limited test identity
    const user = env.KUBE_LIMITED_USER ?? "test-limited";
    for (const f of ["istio/base/namespace.yaml", "istio/base/rbac.yaml", "istio/llm/rbac.yaml"]) {
      for (const d of YAML.parseAllDocuments(readFileSync(ROOT + f, "utf8")).map((x) => x.toJS())) {
        if (["Namespace", "ClusterRole", "Role"].includes(d.kind)) await admin.apply(d);
      }
    }
    const bindings = [
      ["ClusterRoleBinding", "kserve-wasm-logger", undefined],
      ["ClusterRoleBinding", "kserve-wasm-logger-llm", undefined],
      ["RoleBinding", "kserve-wasm-logger", "kserve-wasm-logger"],
    ] as const;
    for (const [kind, role, namespace] of bindings) {
      const roleKind = kind.replace("Binding", "");
      await admin.apply({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: { name: `kwl-test-limited-${role}`, ...(namespace ? { namespace } : {}) },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: role },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      });
    }
    const limited = new KubeConfig();
    limited.loadFromFile(env.KUBE_LIMITED_KUBECONFIG!);
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const l = YAML.parse(readFileSync(ROOT + "testdata/isvc/llm-opt-125m.yaml", "utf8"));
    const logger = (mode: string) => `{"mode": "${mode}", "url": "http://llm-events/"}`;
    const llmisvc = (mode: string) => ({
      ...l,
      metadata: { name: l.metadata.name, namespace: ns, annotations: { "kserve-wasm-logger/logger": logger(mode) } },
    });
    await admin.apply(llmisvc("all"));
    useCluster(() => ({ kube: new ClientNodeKube(limited), namespace: ns }));
    const run = watchInProcess(["-n", ns, "--llm-isvc", "--health-addr", "", ...MODULE_ARGS]);
    const eepName = `${l.metadata.name}-kserve-route-logger`;
    const eep = () =>
      admin.get({
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyExtensionPolicy",
        namespace: ns,
        name: eepName,
      }) as Promise<{ spec: { wasm: { config: { mode: string; logger: { cluster: string } } }[] } } | undefined>;
    try {
      await run.lines.waitFor(new RegExp(`^applied [^ ]+/${eepName} \\[EnvoyExtensionPolicy\\] \\(created\\)$`));
      await run.lines.waitFor(/\[HTTPRoute\] \(created\)$/);
      await run.lines.waitFor(/\[SecurityPolicy\] \(created\)$/);
      const created = (await eep())!;
      assert.equal(
        created.spec.wasm[0]!.config.logger.cluster,
        `httproute/${ns}/${l.metadata.name}-logger-route/rule/0`,
      );
      await admin.apply(llmisvc("response"));
      await run.lines.waitFor(
        new RegExp(`^applied [^ ]+/${eepName} \\[EnvoyExtensionPolicy\\] \\(spec changed: wasm\\)$`),
      );
      assert.equal((await eep())!.spec.wasm[0]!.config.mode, "response");
      await admin.delete({
        apiVersion: "serving.kserve.io/v1alpha1",
        kind: "LLMInferenceService",
        namespace: ns,
        name: l.metadata.name,
      });
      await run.lines.waitFor(/\[SecurityPolicy\] \(LLMInferenceService .* deleted\)$/);
      assert.equal(await eep(), undefined);
    } finally {
      assert.equal(await run.stop(), 0);
      // the limited identity is other tests' too (cluster-errors.test.ts expects it to be refused)
      for (const [kind, role, namespace] of bindings)
        await admin
          .delete({
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind,
            name: `kwl-test-limited-${role}`,
            ...(namespace ? { namespace } : {}),
          })
          .catch(() => undefined);
      assert.doesNotMatch(
        run.lines.err,
        /403|forbidden|not granted/i,
        "the RBAC of istio/base and istio/llm was enough",
      );
    }
  });
});
