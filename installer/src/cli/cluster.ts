// Which InferenceServices a cluster command acts on: -n / -A / --all / NAME ..., read from the API.
import { InputError, UsageError } from "../diagnostics.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Kube } from "../kube/client.js";
import { KubeError } from "../kube/errors.js";
import { LEASE_API_VERSION, LEASE_NAME } from "../kube/lease.js";
import { FIELD_MANAGER, LABEL_MANAGED_BY, WASMPLUGIN_API_VERSION } from "../wasmplugin.js";
import { connect, type Io } from "./context.js";
import type { Values } from "./flags.js";

export interface Target {
  kube: Kube;
  namespace: string | undefined;
  names: string[];
  all: boolean;
}

export function clusterTarget(v: Values, positionals: string[], needNames: boolean, io: Io): Target {
  const { kube, namespace } = connect(io, v.kubeconfig as string | undefined);
  const allNs = v["all-namespaces"] === true;
  if (allNs && v.namespace !== undefined) throw new UsageError("-A and -n are exclusive");
  const all = v.all === true || allNs;
  if (needNames && !all && positionals.length === 0)
    throw new UsageError("name one or more InferenceServices, or --all");
  if (all && positionals.length > 0) throw new UsageError("give names or --all, not both");
  return {
    kube,
    namespace: allNs ? undefined : ((v.namespace as string | undefined) ?? namespace),
    names: positionals,
    all,
  };
}

export async function targetIsvcs(t: Target): Promise<Record<string, unknown>[]> {
  if (t.all)
    return (await t.kube.list(ISVC_API_VERSION, ISVC_KIND, t.namespace)) as unknown as Record<string, unknown>[];
  const out: Record<string, unknown>[] = [];
  for (const name of t.names) {
    const o = await t.kube.get({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, namespace: t.namespace, name });
    if (!o) throw new InputError(`InferenceService ${t.namespace}/${name} not found`);
    out.push({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...o } as Record<string, unknown>);
  }
  return out;
}

/**
 * The holder of the controller's Lease in the control namespace when it is held and was renewed
 * within its duration (a controller is running and will apply what a switch asks), else undefined.
 * A Lease the caller may not read counts as none.
 */
export async function runningController(
  kube: Kube,
  controlNamespace: string,
  now = Date.now(),
): Promise<string | undefined> {
  let lease: KubernetesObject | undefined;
  try {
    lease = await kube.get({
      apiVersion: LEASE_API_VERSION,
      kind: "Lease",
      namespace: controlNamespace,
      name: LEASE_NAME,
    });
  } catch (e) {
    if (e instanceof KubeError && (e.code === 403 || e.code === 404)) return undefined;
    throw e;
  }
  const spec = (
    lease as { spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number } } | undefined
  )?.spec;
  if (!spec?.holderIdentity || !spec.renewTime) return undefined;
  const fresh = Date.parse(spec.renewTime) + (spec.leaseDurationSeconds ?? 15) * 1000 > now;
  return fresh ? spec.holderIdentity : undefined;
}

/** The module (url, sha256) of a WasmPlugin of ours, in `namespace` first, then anywhere the caller may list. */
export async function moduleInCluster(
  kube: Kube,
  namespace: string,
): Promise<{ url: string; sha256?: string; from: string } | undefined> {
  const selector = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;
  for (const ns of [namespace, undefined]) {
    let plugins: KubernetesObject[];
    try {
      plugins = await kube.list(WASMPLUGIN_API_VERSION, "WasmPlugin", ns, selector);
    } catch (e) {
      if (e instanceof KubeError && e.code === 403) continue;
      throw e;
    }
    for (const p of plugins) {
      const spec = (p as { spec?: { url?: string; sha256?: string } }).spec;
      if (spec?.url)
        return { url: spec.url, sha256: spec.sha256, from: `${p.metadata?.namespace}/${p.metadata?.name}` };
    }
  }
  return undefined;
}
