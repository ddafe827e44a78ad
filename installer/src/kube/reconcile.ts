// One ISVC brought to its desired state in the cluster: its objects rendered (or none when
// logging is switched off), applied server-side, and what we made earlier but no longer want
// (a component whose logger was removed, an old ServiceEntry) deleted. Applying twice changes
// nothing: server-side apply of the same content keeps the resourceVersion.
import type { KubernetesObject } from "@kubernetes/client-node";
import { Diagnostics, type Diagnostic } from "../diagnostics.js";
import { parseIsvc } from "../isvc.js";
import { renderIsvc, type RenderOptions } from "../render.js";
import { renderLlmIsvc } from "../envoy-gateway.js";
import { parseLlmIsvc } from "../llmisvc.js";
import { validateObject } from "../validate/index.js";
import { LABEL_ISVC, LABEL_MANAGED_BY, FIELD_MANAGER } from "../wasmplugin.js";
import type { Kube, ObjectRef } from "./client.js";
import { DEFAULT_CONTROL_NAMESPACE, isEnabled, readSwitches, type SwitchState } from "./switch.js";

export const MANAGED_KINDS = [
  { apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin" },
  { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry" },
  { apiVersion: "networking.istio.io/v1", kind: "DestinationRule" },
] as const;

/** What Envoy Gateway mode makes for an LLMInferenceService (envoy-gateway.ts). */
export const LLM_MANAGED_KINDS = [
  { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "EnvoyExtensionPolicy" },
  { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "SecurityPolicy" },
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" },
] as const;

export interface Action {
  verb: "applied" | "unchanged" | "deleted" | "skipped";
  ref: ObjectRef;
  reason?: string;
}

export interface ReconcileResult {
  actions: Action[];
  diagnostics: Diagnostic[];
  ok: boolean;
  /** the objects the plan wants (what was, or under a dry run would be, applied) */
  objects: KubernetesObject[];
}

export function refOf(o: KubernetesObject): ObjectRef {
  return { apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata?.namespace, name: o.metadata!.name! };
}

export function refString(r: ObjectRef): string {
  return `${r.kind.toLowerCase()}/${r.name}${r.namespace ? ` -n ${r.namespace}` : ""}`;
}

/** Objects we made for one ISVC. */
export async function ownedObjects(kube: Kube, namespace: string, isvc: string): Promise<KubernetesObject[]> {
  const sel = `${LABEL_MANAGED_BY}=${FIELD_MANAGER},${LABEL_ISVC}=${isvc}`;
  const lists = await Promise.all(MANAGED_KINDS.map((k) => kube.list(k.apiVersion, k.kind, namespace, sel)));
  return lists.flat();
}

/** What one ISVC should have, computed without the cluster (switches given). */
export interface Plan {
  /** InferenceService (default) or LLMInferenceService */
  kind?: string;
  namespace: string;
  name: string;
  enabled: boolean;
  desired: KubernetesObject[];
  diagnostics: Diagnostic[];
  ok: boolean;
}

export function planIsvc(
  isvcObj: unknown,
  opts: RenderOptions,
  switches: SwitchState | ((namespace: string) => SwitchState),
): Plan {
  const meta = (isvcObj as { metadata?: { name?: string; namespace?: string } }).metadata ?? {};
  const d = new Diagnostics(`${meta.namespace ?? "?"}/${meta.name ?? "?"}`);
  const isvc = parseIsvc(isvcObj, meta.namespace ?? "default", d);
  if (!isvc)
    return {
      namespace: meta.namespace ?? "default",
      name: meta.name ?? "",
      enabled: false,
      desired: [],
      diagnostics: d.items,
      ok: false,
    };
  const sw = typeof switches === "function" ? switches(isvc.namespace) : switches;
  const enabled = isEnabled(sw, isvc.name);
  const desired = (enabled ? renderIsvc(isvc, opts, d, sw.namespaceLabels) : []) as KubernetesObject[];
  for (const o of desired) for (const e of validateObject(o).errors) d.error(refString(refOf(o)), e);
  return { namespace: isvc.namespace, name: isvc.name, enabled, desired, diagnostics: d.items, ok: !d.hasErrors };
}

/** The same for an LLMInferenceService (Envoy Gateway mode: envoy-gateway.ts). */
export function planLlmIsvc(
  obj: unknown,
  opts: RenderOptions,
  switches: SwitchState | ((namespace: string) => SwitchState),
): Plan {
  const meta = (obj as { metadata?: { name?: string; namespace?: string } }).metadata ?? {};
  const d = new Diagnostics(`${meta.namespace ?? "?"}/${meta.name ?? "?"}`);
  const l = parseLlmIsvc(obj, meta.namespace ?? "default", d);
  const base = { kind: "LLMInferenceService", namespace: meta.namespace ?? "default", name: meta.name ?? "" };
  if (!l) return { ...base, enabled: false, desired: [], diagnostics: d.items, ok: false };
  const sw = typeof switches === "function" ? switches(l.namespace) : switches;
  const enabled = isEnabled(sw, l.name);
  const desired = (enabled ? renderLlmIsvc(l, opts, d.child(`${l.namespace}/${l.name}`)) : []) as KubernetesObject[];
  return { ...base, enabled, desired, diagnostics: d.items, ok: !d.hasErrors };
}

/**
 * Server-side apply of a plan's objects and deletion of what we made for the ISVC that the plan
 * no longer wants. `existing` (what we made earlier) is listed from the cluster unless given.
 */
export async function applyPlan(
  kube: Kube,
  plan: Plan,
  dryRun?: "client" | "server",
  existing?: KubernetesObject[],
): Promise<Action[]> {
  existing ??= await ownedObjects(kube, plan.namespace, plan.name);
  const key = (r: ObjectRef) => `${r.kind}/${r.namespace}/${r.name}`;
  const before = new Map(existing.map((o) => [key(refOf(o)), o.metadata?.resourceVersion]));
  const actions: Action[] = [];
  for (const o of plan.desired) {
    const ref = refOf(o);
    const after = await kube.apply(o, dryRun);
    const rv = before.get(key(ref));
    actions.push({ verb: rv !== undefined && rv === after.metadata?.resourceVersion ? "unchanged" : "applied", ref });
  }
  const wanted = new Set(plan.desired.map((o) => key(refOf(o))));
  for (const o of existing) {
    const ref = refOf(o);
    if (wanted.has(key(ref))) continue;
    if (await kube.delete(ref, dryRun))
      actions.push({ verb: "deleted", ref, reason: plan.enabled ? "no longer wanted" : "logging disabled" });
  }
  if (!plan.enabled && actions.length === 0) {
    actions.push({
      verb: "skipped",
      ref: {
        apiVersion: plan.kind === "LLMInferenceService" ? "serving.kserve.io/v1alpha1" : "serving.kserve.io/v1beta1",
        kind: plan.kind ?? "InferenceService",
        namespace: plan.namespace,
        name: plan.name,
      },
      reason: "logging disabled",
    });
  }
  return actions;
}

export async function reconcileIsvc(
  kube: Kube,
  isvcObj: unknown,
  opts: RenderOptions,
  dryRun?: "client" | "server",
  switches?: SwitchState,
  controlNamespace: string = DEFAULT_CONTROL_NAMESPACE,
): Promise<ReconcileResult> {
  const ns = (isvcObj as { metadata?: { namespace?: string } }).metadata?.namespace ?? "default";
  const sw = switches ?? (await readSwitches(kube, ns, controlNamespace));
  const plan = planIsvc(isvcObj, opts, sw);
  if (!plan.ok) return { actions: [], diagnostics: plan.diagnostics, ok: false, objects: [] };
  return {
    actions: await applyPlan(kube, plan, dryRun),
    diagnostics: plan.diagnostics,
    ok: true,
    objects: plan.desired,
  };
}

export async function deleteIsvcObjects(
  kube: Kube,
  namespace: string,
  isvc: string,
  dryRun?: "client" | "server",
): Promise<Action[]> {
  const actions: Action[] = [];
  for (const o of await ownedObjects(kube, namespace, isvc)) {
    if (await kube.delete(refOf(o), dryRun)) actions.push({ verb: "deleted", ref: refOf(o) });
  }
  return actions;
}
