// One ISVC brought to its desired state in the cluster: its objects rendered (or none when
// logging is switched off), applied server-side, and what we made earlier but no longer want
// (a component whose logger was removed, an old ServiceEntry) deleted. Applying twice changes
// nothing: server-side apply of the same content keeps the resourceVersion.
import type { KubernetesObject } from "@kubernetes/client-node";
import { Diagnostics, type Diagnostic } from "../diagnostics.js";
import { parseIsvc } from "../isvc.js";
import { renderIsvc, type RenderOptions } from "../render.js";
import { validateObject } from "../validate/index.js";
import { LABEL_ISVC, LABEL_MANAGED_BY, FIELD_MANAGER } from "../wasmplugin.js";
import type { Kube, ObjectRef } from "./client.js";
import { isEnabled, readSwitches, type SwitchState } from "./switch.js";

export const MANAGED_KINDS = [
  { apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin" },
  { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry" },
  { apiVersion: "networking.istio.io/v1", kind: "DestinationRule" },
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
}

function refOf(o: KubernetesObject): ObjectRef {
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

export async function reconcileIsvc(
  kube: Kube,
  isvcObj: unknown,
  opts: RenderOptions,
  dryRun?: "client" | "server",
  switches?: SwitchState,
): Promise<ReconcileResult> {
  const meta = (isvcObj as { metadata?: { name?: string; namespace?: string } }).metadata ?? {};
  const d = new Diagnostics(`${meta.namespace ?? "?"}/${meta.name ?? "?"}`);
  const isvc = parseIsvc(isvcObj, meta.namespace ?? "default", d);
  if (!isvc) return { actions: [], diagnostics: d.items, ok: false };
  const sw = switches ?? (await readSwitches(kube, isvc.namespace));
  const enabled = isEnabled(sw, isvc.name);
  const desired = enabled ? renderIsvc(isvc, opts, d) : [];
  for (const o of desired) for (const e of validateObject(o).errors) d.error(refString(refOf(o as KubernetesObject)), e);
  if (d.hasErrors) return { actions: [], diagnostics: d.items, ok: false };

  const existing = await ownedObjects(kube, isvc.namespace, isvc.name);
  const key = (r: ObjectRef) => `${r.kind}/${r.namespace}/${r.name}`;
  const before = new Map(existing.map((o) => [key(refOf(o)), o.metadata?.resourceVersion]));
  const actions: Action[] = [];
  for (const o of desired) {
    const ref = refOf(o as KubernetesObject);
    const after = await kube.apply(o, dryRun);
    const rv = before.get(key(ref));
    actions.push({ verb: rv !== undefined && rv === after.metadata?.resourceVersion ? "unchanged" : "applied", ref });
  }
  const wanted = new Set(desired.map((o) => key(refOf(o as KubernetesObject))));
  for (const o of existing) {
    const ref = refOf(o);
    if (wanted.has(key(ref))) continue;
    if (await kube.delete(ref, dryRun)) actions.push({ verb: "deleted", ref, reason: enabled ? "no longer wanted" : "logging disabled" });
  }
  if (!enabled && actions.length === 0) {
    actions.push({ verb: "skipped", ref: { apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", namespace: isvc.namespace, name: isvc.name }, reason: "logging disabled" });
  }
  return { actions, diagnostics: d.items, ok: true };
}

export async function deleteIsvcObjects(kube: Kube, namespace: string, isvc: string, dryRun?: "client" | "server"): Promise<Action[]> {
  const actions: Action[] = [];
  for (const o of await ownedObjects(kube, namespace, isvc)) {
    if (await kube.delete(refOf(o), dryRun)) actions.push({ verb: "deleted", ref: refOf(o) });
  }
  return actions;
}
