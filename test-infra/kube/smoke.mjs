// Smoke test of the control plane started by test-infra/kube/start.sh, through the
// project's own @kubernetes/client-node. Needs KUBECONFIG and KUBE_LIMITED_KUBECONFIG
// (source .tmp/kube/env). Run from the repo root:  node test-infra/kube/smoke.mjs
// Prints one line per check and ends with "N passed, N failed"; exits 1 on a failure.
import * as k8s from "@kubernetes/client-node";

const admin = new k8s.KubeConfig();
admin.loadFromFile(process.env.KUBECONFIG);
const limited = new k8s.KubeConfig();
limited.loadFromFile(process.env.KUBE_LIMITED_KUBECONFIG);

const core = admin.makeApiClient(k8s.CoreV1Api);
const custom = admin.makeApiClient(k8s.CustomObjectsApi);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
const limitedCustom = limited.makeApiClient(k8s.CustomObjectsApi);

const ns = `smoke-${Date.now().toString(36)}`;
const ISVC = { group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices" };
const WASM = { group: "extensions.istio.io", version: "v1alpha1", plural: "wasmplugins" };
let passed = 0,
  failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)${note ? ": " + note : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.code ?? ""} ${e?.body ?? e?.message ?? e}`.slice(0, 600));
  }
}
const expectCode = async (code, p) => {
  try {
    await p;
  } catch (e) {
    if (e?.code === code) return `got ${code}`;
    throw e;
  }
  throw new Error(`expected HTTP ${code}, got success`);
};
const wasmPlugin = (url) => ({
  apiVersion: "extensions.istio.io/v1alpha1",
  kind: "WasmPlugin",
  metadata: { name: "payload-logger", namespace: ns, labels: { app: "smoke" } },
  spec: {
    url,
    phase: "STATS",
    selector: { matchLabels: { "serving.kserve.io/inferenceservice": "sklearn" } },
    pluginConfig: { sink: "http://logger.example/" },
  },
});

await check("server version", async () => {
  const v = await admin.makeApiClient(k8s.VersionApi).getCode();
  return v.gitVersion;
});
await check("create namespace", async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  return ns;
});
let isvc;
await check("create InferenceService", async () => {
  isvc = await custom.createNamespacedCustomObject({
    ...ISVC,
    namespace: ns,
    body: {
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      metadata: { name: "sklearn" },
      spec: { predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: "gs://x/y" } } },
    },
  });
  return `uid ${isvc.metadata.uid}, rv ${isvc.metadata.resourceVersion}`;
});
await check("InferenceService status subresource (merge patch)", async () => {
  const got = await custom.patchNamespacedCustomObjectStatus(
    { ...ISVC, namespace: ns, name: "sklearn", body: { status: { url: "http://sklearn.example" } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
  if (got.status?.url !== "http://sklearn.example") throw new Error("status not set");
  if (got.metadata.generation !== isvc.metadata.generation) throw new Error("status write bumped generation");
});
let wasmRv;
await check("server-side apply WasmPlugin (create)", async () => {
  const got = await objects.patch(
    wasmPlugin("oci://ghcr.io/x/logger:1"),
    undefined,
    undefined,
    "smoke",
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
  wasmRv = got.metadata.resourceVersion;
  const mf = got.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}`).join(",");
  if (!mf?.includes("smoke/Apply")) throw new Error(`managedFields: ${mf}`);
  return `rv ${wasmRv}, managedFields ${mf}`;
});
await check("WasmPlugin CEL validation rejects a bad url scheme (422)", () =>
  expectCode(
    422,
    objects.patch(
      { ...wasmPlugin("ftp://bad/x.wasm"), metadata: { name: "bad", namespace: ns } },
      undefined,
      undefined,
      "smoke",
      true,
      k8s.PatchStrategy.ServerSideApply,
    ),
  ),
);

await check("watch WasmPlugins sees the MODIFIED event of a re-apply", async () => {
  const events = [];
  let ac;
  const seen = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout; events: ${JSON.stringify(events)}`)), 10000);
    new k8s.Watch(admin)
      .watch(
        `/apis/extensions.istio.io/v1alpha1/namespaces/${ns}/wasmplugins`,
        { resourceVersion: wasmRv, allowWatchBookmarks: true },
        (type, obj) => {
          events.push(type);
          if (type === "MODIFIED" && obj.spec.url.endsWith(":2")) {
            clearTimeout(timer);
            resolve(obj);
          }
        },
        (err) => {
          if (err && err.name !== "AbortError") {
            clearTimeout(timer);
            reject(err);
          }
        },
      )
      .then((c) => {
        ac = c;
      }, reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  await objects.patch(
    wasmPlugin("oci://ghcr.io/x/logger:2"),
    undefined,
    undefined,
    "smoke",
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
  const obj = await seen;
  ac?.abort();
  return `events ${events.join(",")}, rv ${obj.metadata.resourceVersion}`;
});

await check("watch from a too-old resourceVersion gets 410 Gone", async () => {
  let ac;
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no 410 within 10 s")), 10000);
    new k8s.Watch(admin)
      .watch(
        `/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices`,
        { resourceVersion: "1" },
        (type, obj) => {
          if (type === "ERROR" && obj?.code === 410) {
            clearTimeout(timer);
            resolve(`ERROR event code 410 (${obj.reason}): ${obj.message}`);
          }
        },
        (err) => {
          clearTimeout(timer);
          const code = err?.statusCode ?? err?.code ?? err?.status;
          if (code === 410 || /410|Gone|too old/i.test(String(err?.message ?? err)))
            resolve(`watch failed with 410: ${err?.message ?? err}`);
          else if (err && err.name !== "AbortError") reject(err);
          else reject(new Error("watch ended without 410"));
        },
      )
      .then((c) => {
        ac = c;
      }, reject);
  });
  ac?.abort();
  return result;
});

await check("least-privilege identity: 403 before its RoleBinding", () =>
  expectCode(403, limitedCustom.listNamespacedCustomObject({ ...ISVC, namespace: ns })),
);
await check("least-privilege identity: list allowed after Role+RoleBinding", async () => {
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: "isvc-reader" },
      rules: [{ apiGroups: ["serving.kserve.io"], resources: ["inferenceservices"], verbs: ["get", "list", "watch"] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: "isvc-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "isvc-reader" },
      subjects: [
        { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: process.env.KUBE_LIMITED_USER ?? "test-limited" },
      ],
    },
  });
  const list = await limitedCustom.listNamespacedCustomObject({ ...ISVC, namespace: ns });
  return `${list.items.length} item(s)`;
});
await check("least-privilege identity: still 403 on WasmPlugin create", () =>
  expectCode(
    403,
    limitedCustom.createNamespacedCustomObject({
      ...WASM,
      namespace: ns,
      body: { ...wasmPlugin("oci://x/y:1"), metadata: { name: "nope" } },
    }),
  ),
);

await check("delete namespace (accepted; stays Terminating: no namespace controller runs)", async () => {
  await core.deleteNamespace({ name: ns });
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
