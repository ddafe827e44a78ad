// The Istio WasmPlugin for one logged component: which pods, which module, and the
// pluginConfig. Fixed choices, and why:
// - pluginName "kserve-logger": the root id the filter registers; the SDK refuses any other.
// - failStrategy FAIL_OPEN by default: logging must never take inference down (a module that
//   fails to load or a VM that crashes skips the filter instead of answering 503). FAIL_RELOAD
//   (Istio ≥ 1.27) also skips the filter on a crash but reloads the VM for later requests, so a
//   crash does not stop logging for good; FAIL_CLOSE is never rendered.
// - waypoint mode (ambient): targetRefs to the component's Service instead of a pod selector
//   (a waypoint ignores selector; Istio ≥ 1.22), and no match (modes are a sidecar's notion).
// - match [{mode: SERVER}]: inbound traffic only; with Istio's default CLIENT_AND_SERVER a call
//   between two logged workloads would be logged twice, and the pod's own callouts to the
//   logger would go through the filter.
// - phase STATS: after Istio's authn and authz filters, so requests the mesh rejects (401/403)
//   are not logged, as with KServe's agent, which only ever sees admitted requests; and a
//   fixed place in the chain rather than "end of chain" shared with other plugins.
import type { PluginConfig } from "./plugin-config.js";

export const PLUGIN_NAME = "kserve-logger";
export const WASMPLUGIN_API_VERSION = "extensions.istio.io/v1alpha1";
export const FIELD_MANAGER = "kserve-wasm-logger";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_ISVC = "kserve-wasm-logger/inferenceservice";
export const LABEL_COMPONENT = "kserve-wasm-logger/component";
export const LABEL_CANARY = "kserve-wasm-logger/canary";
export const ANNOTATION_LOGGER_URL = "kserve-wasm-logger/logger-url";

export type FailStrategy = "FAIL_OPEN" | "FAIL_RELOAD";
export const FAIL_STRATEGIES: readonly FailStrategy[] = ["FAIL_OPEN", "FAIL_RELOAD"];

export interface ModuleRef {
  url: string;
  sha256?: string;
}

export interface WasmPluginInput {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences?: object[];
  /** sidecar mode: the pods' labels */
  selector?: Record<string, string>;
  /** waypoint mode: the Services whose waypoint runs the plugin */
  targetRefs?: { group: string; kind: string; name: string }[];
  module: ModuleRef;
  pluginConfig: PluginConfig;
  failStrategy?: FailStrategy;
}

export function wasmPlugin(i: WasmPluginInput): object {
  return {
    apiVersion: WASMPLUGIN_API_VERSION,
    kind: "WasmPlugin",
    metadata: {
      name: i.name,
      namespace: i.namespace,
      labels: i.labels,
      annotations: i.annotations,
      ...(i.ownerReferences ? { ownerReferences: i.ownerReferences } : {}),
    },
    spec: {
      ...(i.targetRefs ? { targetRefs: i.targetRefs } : { selector: { matchLabels: i.selector ?? {} } }),
      url: i.module.url,
      ...(i.module.sha256 ? { sha256: i.module.sha256 } : {}),
      pluginName: PLUGIN_NAME,
      phase: "STATS",
      failStrategy: i.failStrategy ?? "FAIL_OPEN",
      ...(i.targetRefs ? {} : { match: [{ mode: "SERVER" }] }),
      pluginConfig: i.pluginConfig,
    },
  };
}

/** Owner reference to the ISVC, so that deleting it garbage-collects what we made for it. Needs the uid. */
export function isvcOwnerReferences(name: string, uid: string | undefined): object[] | undefined {
  if (uid === undefined) return undefined;
  // not `controller: true`: KServe's controller does not manage these objects, we do
  return [{ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", name, uid }];
}
