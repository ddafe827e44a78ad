// The kinds the installer reads or writes, with what a raw watch URL needs (the plural) and
// what RBAC rules name (group, resource). One table for client, controller and permissions.
export interface Resource {
  apiVersion: string;
  kind: string;
  group: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCES: readonly Resource[] = [
  { apiVersion: "v1", kind: "Namespace", group: "", plural: "namespaces", namespaced: false },
  { apiVersion: "v1", kind: "ConfigMap", group: "", plural: "configmaps", namespaced: true },
  {
    apiVersion: "serving.kserve.io/v1beta1",
    kind: "InferenceService",
    group: "serving.kserve.io",
    plural: "inferenceservices",
    namespaced: true,
  },
  {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    group: "extensions.istio.io",
    plural: "wasmplugins",
    namespaced: true,
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    group: "networking.istio.io",
    plural: "serviceentries",
    namespaced: true,
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    group: "networking.istio.io",
    plural: "destinationrules",
    namespaced: true,
  },
  // Envoy Gateway mode (watch --llm-isvc)
  {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "LLMInferenceService",
    group: "serving.kserve.io",
    plural: "llminferenceservices",
    namespaced: true,
  },
  {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyExtensionPolicy",
    group: "gateway.envoyproxy.io",
    plural: "envoyextensionpolicies",
    namespaced: true,
  },
  {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "SecurityPolicy",
    group: "gateway.envoyproxy.io",
    plural: "securitypolicies",
    namespaced: true,
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    group: "gateway.networking.k8s.io",
    plural: "httproutes",
    namespaced: true,
  },
  {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    group: "coordination.k8s.io",
    plural: "leases",
    namespaced: true,
  },
];

export function resourceOf(apiVersion: string, kind: string): Resource {
  const r = RESOURCES.find((x) => x.apiVersion === apiVersion && x.kind === kind);
  if (!r) throw new Error(`no resource known for ${apiVersion} ${kind}`);
  return r;
}

/** Collection path: /api/v1/namespaces/NS/configmaps, /apis/G/V/wasmplugins (all namespaces). */
export function collectionPath(r: Resource, namespace?: string): string {
  const base = r.group === "" ? `/api/${r.apiVersion}` : `/apis/${r.apiVersion}`;
  return r.namespaced && namespace !== undefined
    ? `${base}/namespaces/${namespace}/${r.plural}`
    : `${base}/${r.plural}`;
}
