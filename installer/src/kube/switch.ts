// enable/disable without touching the model deployment. Not an annotation or label on the ISVC:
// KServe copies ISVC annotations (minus its disallowed list) and labels onto the pod template,
// so changing one would roll out a new revision and restart the pods. Instead, two switches
// that only the mesh admin (not a namespace's tenants) can normally flip:
// - per namespace: label `kserve-wasm-logger/enabled=false` on the Namespace;
// - per ISVC: key `<namespace>.<isvc>: disabled` in the ConfigMap `kserve-wasm-logger` of the
//   installer's own namespace (--control-namespace, default kserve-wasm-logger). One ConfigMap
//   in one namespace: the watch controller reads it through a namespaced Role and needs no
//   access to ConfigMaps anywhere else. (Namespace and ISVC names are DNS labels: no dots, so
//   the key is unambiguous and a valid ConfigMap key.)
// The installer reads both before it applies; disabling deletes the ISVC's WasmPlugins (Istio
// removes the filter over xDS, no restart), enabling renders and applies them again.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Kube } from "./client.js";

export const SWITCH_LABEL = "kserve-wasm-logger/enabled";
export const SWITCH_CONFIGMAP = "kserve-wasm-logger";
export const DEFAULT_CONTROL_NAMESPACE = "kserve-wasm-logger";

export interface SwitchState {
  namespaceEnabled: boolean;
  disabledIsvcs: Set<string>;
  /** the Namespace's labels as read with the switches (--attach auto decides from them) */
  namespaceLabels?: Record<string, string>;
}

export function switchKey(namespace: string, isvc: string): string {
  return `${namespace}.${isvc}`;
}

/** ISVC names of `namespace` that the switch ConfigMap's data disables. */
export function disabledIn(data: Record<string, string> | undefined, namespace: string): Set<string> {
  const prefix = `${namespace}.`;
  return new Set(
    Object.entries(data ?? {})
      .filter(([k, v]) => v === "disabled" && k.startsWith(prefix))
      .map(([k]) => k.slice(prefix.length)),
  );
}

export function namespaceEnabled(ns: KubernetesObject | undefined): boolean {
  return ns?.metadata?.labels?.[SWITCH_LABEL] !== "false";
}

export async function readSwitches(kube: Kube, namespace: string, controlNamespace: string): Promise<SwitchState> {
  const ns = await kube.get({ apiVersion: "v1", kind: "Namespace", name: namespace });
  const cm = (await kube.get({
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: controlNamespace,
    name: SWITCH_CONFIGMAP,
  })) as { data?: Record<string, string> } | undefined;
  return {
    namespaceEnabled: namespaceEnabled(ns),
    disabledIsvcs: disabledIn(cm?.data, namespace),
    namespaceLabels: ns?.metadata?.labels ?? {},
  };
}

export function isEnabled(s: SwitchState, isvc: string): boolean {
  return s.namespaceEnabled && !s.disabledIsvcs.has(isvc);
}

export async function setNamespaceSwitch(kube: Kube, namespace: string, enabled: boolean): Promise<void> {
  // null removes the label: "enabled" is the default
  await kube.mergePatch(
    { apiVersion: "v1", kind: "Namespace", name: namespace },
    { metadata: { labels: { [SWITCH_LABEL]: enabled ? null : "false" } } },
  );
}

export async function setIsvcSwitch(
  kube: Kube,
  namespace: string,
  isvc: string,
  enabled: boolean,
  controlNamespace: string,
): Promise<void> {
  const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: controlNamespace, name: SWITCH_CONFIGMAP };
  const key = switchKey(namespace, isvc);
  if (enabled && !(await kube.get(ref))) return; // no ConfigMap: nothing is disabled
  await kube.mergePatch(
    ref,
    { data: { [key]: enabled ? null : "disabled" } },
    enabled
      ? undefined
      : {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: SWITCH_CONFIGMAP,
            namespace: controlNamespace,
            labels: { "app.kubernetes.io/managed-by": "kserve-wasm-logger" },
          },
          data: { [key]: "disabled" },
        },
  );
}
