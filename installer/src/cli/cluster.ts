// Which InferenceServices a cluster command acts on: -n / -A / --all / NAME ..., read from the API.
import { InputError, UsageError } from "../diagnostics.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import type { Kube } from "../kube/client.js";
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
