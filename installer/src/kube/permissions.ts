// What `watch` may do in the cluster: one table, used by the code (GuardedKube refuses any call
// outside it, so a new call cannot slip in without its permission) and by the test that holds
// istio/base/rbac.yaml (and istio/overlays/namespaced/rbac.yaml) to it rule for rule. Server-side apply needs `patch`, and `create` when the
// object does not exist yet (the API server authorizes that apply as a create).
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Kube, ObjectRef, WatchEventType, WatchParams } from "./client.js";
import { resourceOf } from "./resources.js";

export type Verb = "get" | "list" | "watch" | "create" | "patch" | "delete";

export interface Permission {
  group: string;
  resource: string;
  verbs: Verb[];
  /**
   * cluster: a ClusterRole; control-namespace: a Role in the installer's own namespace;
   * watched-namespaces: a Role in each namespace given with -n (namespaced mode)
   */
  scope: "cluster" | "control-namespace" | "watched-namespaces";
  resourceNames?: string[];
}

export const WATCH_PERMISSIONS: readonly Permission[] = [
  { group: "serving.kserve.io", resource: "inferenceservices", verbs: ["list", "watch"], scope: "cluster" },
  {
    group: "extensions.istio.io",
    resource: "wasmplugins",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
  {
    group: "networking.istio.io",
    resource: "serviceentries",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
  {
    group: "networking.istio.io",
    resource: "destinationrules",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
  { group: "", resource: "namespaces", verbs: ["list", "watch"], scope: "cluster" },
  // only the switch ConfigMap: list/watch by name work because the watch uses fieldSelector metadata.name
  {
    group: "",
    resource: "configmaps",
    verbs: ["list", "watch"],
    scope: "control-namespace",
    resourceNames: ["kserve-wasm-logger"],
  },
  // leader election (--leader-elect): the Lease of the control namespace only
  { group: "coordination.k8s.io", resource: "leases", verbs: ["get", "create", "patch"], scope: "control-namespace" },
];

/**
 * `watch --llm-isvc`: LLMInferenceServices read, and what Envoy Gateway mode makes for them
 * (istio/llm/rbac.yaml, an opt-in ClusterRole beside the base one; a test holds it to this).
 */
export const LLM_WATCH_PERMISSIONS: readonly Permission[] = [
  { group: "serving.kserve.io", resource: "llminferenceservices", verbs: ["list", "watch"], scope: "cluster" },
  {
    group: "gateway.envoyproxy.io",
    resource: "envoyextensionpolicies",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
  {
    group: "gateway.envoyproxy.io",
    resource: "securitypolicies",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
  {
    group: "gateway.networking.k8s.io",
    resource: "httproutes",
    verbs: ["list", "watch", "create", "patch", "delete"],
    scope: "cluster",
  },
];

/**
 * `watch -n NS …`: the same work inside the listed namespaces only, so a Role per namespace
 * grants it (istio/overlays/namespaced/); the one cluster-scoped read left is those
 * Namespaces themselves, by name (a ClusterRole with resourceNames, watched with a
 * metadata.name field selector).
 */
export function namespacedWatchPermissions(
  namespaces: readonly string[],
  table: readonly Permission[] = WATCH_PERMISSIONS,
): Permission[] {
  return table.map((p): Permission => {
    if (p.scope !== "cluster") return p;
    if (p.group === "" && p.resource === "namespaces") return { ...p, resourceNames: [...namespaces].sort() };
    return { ...p, scope: "watched-namespaces" };
  });
}

export class PermissionError extends Error {}

/** A Kube that only lets through what the table grants (checked before the request is sent). */
export class GuardedKube implements Kube {
  constructor(
    private readonly inner: Kube,
    private readonly table: readonly Permission[],
    private readonly controlNamespace: string,
    private readonly watched: readonly string[] = [],
  ) {}

  private check(verbs: Verb[], apiVersion: string, kind: string, namespace: string | undefined): void {
    const r = resourceOf(apiVersion, kind);
    for (const verb of verbs) {
      const ok = this.table.some(
        (p) =>
          p.group === r.group &&
          p.resource === r.plural &&
          p.verbs.includes(verb) &&
          (p.scope === "cluster" ||
            (p.scope === "control-namespace"
              ? namespace === this.controlNamespace
              : namespace !== undefined && this.watched.includes(namespace))),
      );
      if (!ok)
        throw new PermissionError(
          `not granted to watch mode: ${verb} ${r.plural}${r.group ? "." + r.group : ""}${namespace ? ` in ${namespace}` : ""} (installer/src/kube/permissions.ts)`,
        );
    }
  }

  get(ref: ObjectRef) {
    this.check(["get"], ref.apiVersion, ref.kind, ref.namespace);
    return this.inner.get(ref);
  }
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string) {
    this.check(["list"], apiVersion, kind, namespace);
    return this.inner.list(apiVersion, kind, namespace, labelSelector);
  }
  listWithVersion(
    apiVersion: string,
    kind: string,
    namespace?: string,
    selectors?: { labelSelector?: string; fieldSelector?: string },
  ) {
    this.check(["list"], apiVersion, kind, namespace);
    return this.inner.listWithVersion(apiVersion, kind, namespace, selectors);
  }
  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    params: WatchParams,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void,
    onDone: (err: unknown) => void,
  ) {
    this.check(["watch"], apiVersion, kind, namespace);
    return this.inner.watch(apiVersion, kind, namespace, params, onEvent, onDone);
  }
  apply(obj: object, dryRun?: "client" | "server") {
    const o = obj as KubernetesObject;
    this.check(["patch", "create"], o.apiVersion!, o.kind!, o.metadata?.namespace);
    return this.inner.apply(obj, dryRun);
  }
  create(obj: object) {
    const o = obj as KubernetesObject;
    this.check(["create"], o.apiVersion!, o.kind!, o.metadata?.namespace);
    return this.inner.create(obj);
  }
  mergePatch(ref: ObjectRef, patch: object, create?: object) {
    this.check(create ? ["patch", "create"] : ["patch"], ref.apiVersion, ref.kind, ref.namespace);
    return this.inner.mergePatch(ref, patch, create);
  }
  delete(ref: ObjectRef, dryRun?: "client" | "server") {
    this.check(dryRun === "client" ? ["get"] : ["delete"], ref.apiVersion, ref.kind, ref.namespace);
    return this.inner.delete(ref, dryRun);
  }
}
