// enable/disable without touching the model deployment. Not an annotation or label on the ISVC:
// KServe copies ISVC annotations (minus its disallowed list) and labels onto the pod template,
// so changing one would roll out a new revision and restart the pods. Instead:
// - per namespace: label `kserve-wasm-logger/enabled=false` on the Namespace
// - per ISVC: key `<isvc name>: disabled` in the ConfigMap `kserve-wasm-logger` of its namespace
// The installer reads both before it applies; disabling deletes the ISVC's WasmPlugins (Istio
// removes the filter over xDS, no restart), enabling renders and applies them again.
import type { Kube } from "./client.js";

export const SWITCH_LABEL = "kserve-wasm-logger/enabled";
export const SWITCH_CONFIGMAP = "kserve-wasm-logger";

export interface SwitchState {
  namespaceEnabled: boolean;
  disabledIsvcs: Set<string>;
}

export async function readSwitches(kube: Kube, namespace: string): Promise<SwitchState> {
  const ns = await kube.get({ apiVersion: "v1", kind: "Namespace", name: namespace });
  const cm = (await kube.get({ apiVersion: "v1", kind: "ConfigMap", namespace, name: SWITCH_CONFIGMAP })) as { data?: Record<string, string> } | undefined;
  return {
    namespaceEnabled: ns?.metadata?.labels?.[SWITCH_LABEL] !== "false",
    disabledIsvcs: new Set(Object.entries(cm?.data ?? {}).filter(([, v]) => v === "disabled").map(([k]) => k)),
  };
}

export function isEnabled(s: SwitchState, isvc: string): boolean {
  return s.namespaceEnabled && !s.disabledIsvcs.has(isvc);
}

export async function setNamespaceSwitch(kube: Kube, namespace: string, enabled: boolean): Promise<void> {
  // null removes the label: "enabled" is the default
  await kube.mergePatch({ apiVersion: "v1", kind: "Namespace", name: namespace }, { metadata: { labels: { [SWITCH_LABEL]: enabled ? null : "false" } } });
}

export async function setIsvcSwitch(kube: Kube, namespace: string, isvc: string, enabled: boolean): Promise<void> {
  const ref = { apiVersion: "v1", kind: "ConfigMap", namespace, name: SWITCH_CONFIGMAP };
  if (enabled && !(await kube.get(ref))) return; // no ConfigMap: nothing is disabled
  await kube.mergePatch(ref, { data: { [isvc]: enabled ? null : "disabled" } }, enabled ? undefined : {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: SWITCH_CONFIGMAP, namespace, labels: { "app.kubernetes.io/managed-by": "kserve-wasm-logger" } },
    data: { [isvc]: "disabled" },
  });
}
