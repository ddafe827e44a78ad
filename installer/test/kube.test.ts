// The key `watch` scenarios against a real kube-apiserver + etcd (test-infra/kube/, with Istio's
// real WasmPlugin CRD, so its schema and CEL rules check what we write), the controller running
// as the least-privilege identity bound to istio/base/rbac.yaml's ClusterRole and Role: a missing
// permission would show as 403. Also dry-run applies the istio/ base against the server's
// schemas. The control plane comes from real-kube.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { MODULE_ARGS, ROOT, useCluster } from "./helpers.js";
import { waitUntil, watchInProcess } from "./watch-helpers.js";
import { controlPlaneSkip, ensureControlPlane, stopControlPlaneIfStarted } from "./real-kube.js";

const skip = controlPlaneSkip();

const ISVC = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
const G = { group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices" };
const W = { group: "extensions.istio.io", version: "v1alpha1", plural: "wasmplugins" };
const PLUGIN = "sklearn-iris-predictor-logger";

describe("watch against a real kube-apiserver, as the RBAC of istio/base/rbac.yaml", { skip }, () => {
  let admin: ClientNodeKube;
  let custom: CustomObjectsApi;
  let run: ReturnType<typeof watchInProcess>;
  let limited: KubeConfig;
  let adminKc: KubeConfig;
  const ns = `kwl-${process.pid}-${Date.now().toString(36)}`;
  const plugin = async () =>
    (await admin.get({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      namespace: ns,
      name: PLUGIN,
    })) as
      | {
          spec: { pluginConfig: { annotations: Record<string, string> } };
          metadata: { resourceVersion: string; ownerReferences?: { uid: string }[] };
        }
      | undefined;

  before(async () => {
    const env = ensureControlPlane();
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG!);
    adminKc = kc;
    admin = new ClientNodeKube(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    limited = new KubeConfig();
    limited.loadFromFile(env.KUBE_LIMITED_KUBECONFIG!);
    const user = env.KUBE_LIMITED_USER ?? "test-limited";

    // the base, as a mesh admin applies it: Namespace and RBAC for real, the rest dry-run (server
    // side: validated against the API server's schemas of Deployment, Service, ...)
    const k = YAML.parse(readFileSync(ROOT + "istio/base/kustomization.yaml", "utf8")) as { resources: string[] };
    const docs = k.resources.flatMap((r) =>
      YAML.parseAllDocuments(readFileSync(ROOT + "istio/base/" + r, "utf8")).map((d) => d.toJS()),
    );
    for (const d of docs) {
      const real = ["Namespace", "ClusterRole", "Role"].includes(d.kind);
      await admin.apply(d, real ? undefined : "server");
    }
    // bind the very same ClusterRole and Role to the limited test identity
    for (const [kind, roleKind, namespace] of [
      ["ClusterRoleBinding", "ClusterRole", undefined],
      ["RoleBinding", "Role", "kserve-wasm-logger"],
    ] as const) {
      await admin.apply({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: { name: "kwl-test-limited", ...(namespace ? { namespace } : {}) },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: "kserve-wasm-logger" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      });
    }
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, namespace: ns } });
    useCluster(() => ({ kube: new ClientNodeKube(limited), namespace: ns }));
    run = watchInProcess([
      "-n",
      ns,
      "--backoff-initial-ms",
      "50",
      "--backoff-max-ms",
      "1000",
      "--health-addr",
      "",
      ...MODULE_ARGS,
    ]);
  });

  after(async () => {
    if (run) assert.equal(await run.stop(), 0);
    if (admin) {
      await admin
        .delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "kserve-wasm-logger", name: "kserve-wasm-logger" })
        .catch(() => undefined);
      await admin.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
    }
    stopControlPlaneIfStarted();
    if (run)
      assert.doesNotMatch(run.lines.err, /403|forbidden|not granted/i, "the RBAC of istio/base/rbac.yaml was enough");
  });

  test("create: the WasmPlugin is applied (the real CRD accepts it), with the owner reference", async () => {
    await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(created\)$/);
    const p = (await plugin())!;
    const isvc = await admin.get({
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      namespace: ns,
      name: "sklearn-iris",
    });
    assert.equal(p.metadata.ownerReferences?.[0]?.uid, isvc!.metadata!.uid);
  });

  test("annotation change re-applies; a status write does not", async () => {
    await custom.patchNamespacedCustomObject(
      {
        ...G,
        namespace: ns,
        name: "sklearn-iris",
        body: { metadata: { annotations: { "serving.example.com/ab-group": "Z" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(pluginConfig changed: annotations\)$/);
    await waitUntil(
      async () => (await plugin())?.spec.pluginConfig.annotations["serving.example.com/ab-group"] === "Z",
      "Z in the pluginConfig",
    );
    const rv = (await plugin())!.metadata.resourceVersion;
    await custom.patchNamespacedCustomObjectStatus(
      { ...G, namespace: ns, name: "sklearn-iris", body: { status: { url: "http://sklearn-iris.example" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, name: "marker", namespace: ns } });
    await run.lines.waitFor(/^applied [^ ]+\/marker-predictor-logger \(created\)$/);
    assert.equal((await plugin())!.metadata.resourceVersion, rv);
    assert.equal(run.lines.count(/sklearn-iris-predictor-logger/), 2);
  });

  test("a WasmPlugin deleted by hand comes back", async () => {
    await custom.deleteNamespacedCustomObject({ ...W, namespace: ns, name: PLUGIN });
    await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(missing: recreated\)$/);
    await waitUntil(async () => (await plugin()) !== undefined, "recreated");
  });

  test("a hand edit by another field manager: 409 Conflict without force; with force it wins until the controller takes the field back", async () => {
    const edit = {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: PLUGIN, namespace: ns },
      spec: { pluginConfig: { mode: "request" } },
    };
    const ssa = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
    await assert.rejects(
      custom.patchNamespacedCustomObject(
        { ...W, namespace: ns, name: PLUGIN, body: edit, fieldManager: "hand-edit", force: false },
        ssa,
      ),
      (e: { code?: number }) => e.code === 409,
      "the installer owns spec.pluginConfig.mode: a non-forced apply by another manager conflicts",
    );
    await custom.patchNamespacedCustomObject(
      { ...W, namespace: ns, name: PLUGIN, body: edit, fieldManager: "hand-edit", force: true },
      ssa,
    );
    await waitUntil(
      async () => ((await plugin())?.spec.pluginConfig as unknown as { mode: string }).mode === "all",
      "the controller restoring mode all",
    );
  });

  test("migration: the logger moved from spec into the kserve-wasm-logger/logger.predictor annotation keeps the WasmPlugin as it was", async () => {
    const name = "migrating";
    const withSpec = { ...ISVC, metadata: { ...ISVC.metadata, name, namespace: ns } };
    const get = async () =>
      (await admin.get({
        apiVersion: "extensions.istio.io/v1alpha1",
        kind: "WasmPlugin",
        namespace: ns,
        name: `${name}-predictor-logger`,
      })) as { spec: { pluginConfig: unknown } } | undefined;
    await admin.apply(withSpec);
    await run.lines.waitFor(/^applied [^ ]+\/migrating-predictor-logger \(created\)$/);
    const before = (await get())!.spec.pluginConfig;
    // the spec's logger (which makes KServe inject its agent) goes; the annotation takes it over
    const { logger, ...predictor } = ISVC.spec.predictor as Record<string, unknown>;
    const moved = {
      ...withSpec,
      metadata: {
        ...withSpec.metadata,
        annotations: {
          ...withSpec.metadata.annotations,
          "kserve-wasm-logger/logger.predictor": JSON.stringify(logger),
        },
      },
      spec: { ...ISVC.spec, predictor },
    };
    await admin.apply(moved);
    const stored = (await admin.get({
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      namespace: ns,
      name,
    })) as { spec: { predictor: Record<string, unknown> } };
    assert.equal(stored.spec.predictor.logger, undefined, "the API server no longer holds spec.predictor.logger");
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, name: "marker-2", namespace: ns } });
    await run.lines.waitFor(/^applied [^ ]+\/marker-2-predictor-logger \(created\)$/);
    assert.deepEqual((await get())!.spec.pluginConfig, before, "same pluginConfig, WasmPlugin kept");
    assert.equal(run.lines.count(/deleted [^ ]+\/migrating-predictor-logger/), 0);
    // with neither, the WasmPlugin goes
    await admin.apply({ ...moved, metadata: { ...moved.metadata, annotations: withSpec.metadata.annotations } });
    await run.lines.waitFor(/^deleted [^ ]+\/migrating-predictor-logger \(no longer wanted\)$/);
  });

  test("the switch ConfigMap in the control namespace disables and re-enables", async () => {
    await admin.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kserve-wasm-logger", namespace: "kserve-wasm-logger" },
      data: { [`${ns}.sklearn-iris`]: "disabled" },
    });
    await run.lines.waitFor(/^deleted [^ ]+\/sklearn-iris-predictor-logger \(logging disabled\)$/);
    await admin.delete({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "kserve-wasm-logger",
      name: "kserve-wasm-logger",
    });
    await run.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(created\)$/, 2);
  });

  test("ISVC deleted: its WasmPlugin is deleted (no garbage collector here: the controller does it)", async () => {
    await custom.deleteNamespacedCustomObject({ ...G, namespace: ns, name: "sklearn-iris" });
    await run.lines.waitFor(
      /^deleted [^ ]+\/sklearn-iris-predictor-logger \(InferenceService [^ ]+\/sklearn-iris deleted\)$/,
    );
    assert.equal(await plugin(), undefined);
  });

  test("two replicas with --leader-elect: one leads, the other writes nothing, and takes over when the leader stops", async () => {
    const ns2 = `${ns}-ha`;
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns2 } });
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, namespace: ns2 } });
    // each replica gets its own client; writes other than the Lease are counted per replica
    const writes: number[] = [];
    useCluster(() => {
      const i = writes.push(0) - 1;
      const k = new ClientNodeKube(limited);
      const count = <T>(kind: string | undefined, p: Promise<T>): Promise<T> => {
        if (kind !== "Lease") writes[i]!++;
        return p;
      };
      return {
        namespace: ns2,
        kube: Object.assign(Object.create(k) as ClientNodeKube, {
          apply: (o: { kind?: string }, d?: "client" | "server") => count(o.kind, k.apply(o, d)),
          create: (o: { kind?: string }) => count(o.kind, k.create(o)),
          delete: (r: { kind: string }, d?: "client" | "server") => count(r.kind, k.delete(r as never, d)),
          mergePatch: (r: { kind: string }, p: object, c?: object) => count(r.kind, k.mergePatch(r as never, p, c)),
        }),
      };
    });
    const args = [
      "-n",
      ns2,
      "--leader-elect",
      "--lease-duration-ms",
      "3000",
      "--lease-renew-deadline-ms",
      "2000",
      "--lease-retry-ms",
      "200",
      "--backoff-initial-ms",
      "50",
      "--backoff-max-ms",
      "1000",
      "--health-addr",
      "",
      ...MODULE_ARGS,
    ];
    const a = watchInProcess(args);
    const b = watchInProcess(args);
    const replicas = [a, b];
    await waitUntil(() => replicas.some((r) => r.lines.count(/^leading: /) === 1), "a leader");
    const li = replicas.findIndex((r) => r.lines.count(/^leading: /) === 1);
    const [leader, standby] = [replicas[li]!, replicas[1 - li]!];
    await leader.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(created\)$/);
    await custom.patchNamespacedCustomObject(
      {
        ...G,
        namespace: ns2,
        name: "sklearn-iris",
        body: { metadata: { annotations: { "serving.example.com/ab-group": "HA" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await leader.lines.waitFor(/^applied [^ ]+\/sklearn-iris-predictor-logger \(pluginConfig changed: annotations\)$/);
    assert.equal(standby.lines.count(/^leading: /), 0);
    assert.equal(writes[1 - li], 0, "the standby wrote nothing but the Lease");
    assert.equal(standby.lines.count(/^applied |^deleted /), 0);
    // the leader goes (SIGTERM: it releases the Lease); the standby takes over
    const t0 = Date.now();
    assert.equal(await leader.stop(), 0);
    await standby.lines.waitFor(/^leading: /);
    console.log(`# takeover after the leader stopped: ${Date.now() - t0} ms (retry period 200 ms)`);
    await custom.patchNamespacedCustomObject(
      {
        ...G,
        namespace: ns2,
        name: "sklearn-iris",
        body: { metadata: { annotations: { "serving.example.com/ab-group": "HB" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitUntil(
      async () =>
        (
          (await admin.get({
            apiVersion: "extensions.istio.io/v1alpha1",
            kind: "WasmPlugin",
            namespace: ns2,
            name: PLUGIN,
          })) as { spec: { pluginConfig: { annotations: Record<string, string> } } } | undefined
        )?.spec.pluginConfig.annotations["serving.example.com/ab-group"] === "HB",
      "the new leader applies",
    );
    assert.equal(await standby.stop(), 0);
    await admin.delete({ apiVersion: "v1", kind: "Namespace", name: ns2 }).catch(() => undefined);
    useCluster(() => ({ kube: new ClientNodeKube(limited), namespace: ns }));
  });

  test("namespaced mode: watch -n as a ServiceAccount with only the overlay's Roles reconciles its namespaces, and cannot read others", async () => {
    const [nsA, nsB] = [`${ns}-a`, `${ns}-b`];
    const sa = "kwl-namespaced";
    for (const n of [nsA, nsB]) await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } });
    await admin.apply({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: sa, namespace: "kserve-wasm-logger" },
    });
    // the overlay's RBAC, its example namespaces and ServiceAccount replaced by this test's
    const text = readFileSync(ROOT + "istio/overlays/namespaced/rbac.yaml", "utf8")
      .replaceAll("models-a", nsA)
      .replaceAll("models-b", nsB)
      .replace(
        /name: kserve-wasm-logger\n(\s+)namespace: kserve-wasm-logger/g,
        `name: ${sa}\n$1namespace: kserve-wasm-logger`,
      )
      .replaceAll("name: kserve-wasm-logger-", `name: ${sa}-`);
    for (const d of YAML.parseAllDocuments(text).map((x) => x.toJS())) await admin.apply(d);
    // and the base's Role of the control namespace (switch ConfigMap, Lease)
    await admin.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${sa}-control`, namespace: "kserve-wasm-logger" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kserve-wasm-logger" },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: "kserve-wasm-logger" }],
    });
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, namespace: nsA } });
    const token = (
      (await adminKc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        name: sa,
        namespace: "kserve-wasm-logger",
        body: { spec: { expirationSeconds: 3600, audiences: [] } },
      })) as { status?: { token?: string } }
    ).status!.token!;
    const cluster = adminKc.getCurrentCluster()!;
    const saKc = new KubeConfig();
    saKc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: sa, token }],
      contexts: [{ name: sa, cluster: cluster.name, user: sa }],
      currentContext: sa,
    });
    const saKube = new ClientNodeKube(saKc);
    await assert.rejects(
      saKube.list("serving.kserve.io/v1beta1", "InferenceService", ns),
      (e: { code?: number }) => e.code === 403,
      "another namespace is not readable",
    );
    await assert.rejects(
      saKube.list("serving.kserve.io/v1beta1", "InferenceService"),
      (e: { code?: number }) => e.code === 403,
      "nor all of them",
    );
    useCluster(() => ({ kube: new ClientNodeKube(saKc), namespace: nsA }));
    const w = watchInProcess([
      "-n",
      nsA,
      "-n",
      nsB,
      "--backoff-initial-ms",
      "50",
      "--backoff-max-ms",
      "1000",
      "--health-addr",
      "",
      ...MODULE_ARGS,
    ]);
    try {
      await w.lines.waitFor(/^synced: 1 InferenceService\(s\)/);
      await w.lines.waitFor(new RegExp(`^applied ${nsA}/sklearn-iris-predictor-logger \\(created\\)$`));
      assert.doesNotMatch(w.lines.err, /403|forbidden|not granted/i, "the overlay's RBAC was enough");
    } finally {
      assert.equal(await w.stop(), 0);
      useCluster(() => ({ kube: new ClientNodeKube(limited), namespace: ns }));
      for (const n of [nsA, nsB])
        await admin.delete({ apiVersion: "v1", kind: "Namespace", name: n }).catch(() => undefined);
    }
  });
});
