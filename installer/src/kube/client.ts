// The Kubernetes operations the installer needs, behind one small interface so that commands
// and the controller can run against a real API server or an in-process fake, both reached
// through the real @kubernetes/client-node.
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../wasmplugin.js";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { explain, KubeError } from "./errors.js";
import { collectionPath, resourceOf } from "./resources.js";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ListResult {
  items: KubernetesObject[];
  /** the collection's resourceVersion: where a watch continues from */
  resourceVersion: string;
}

export interface WatchParams {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** the server ends the watch after this long (the client reconnects from the last version) */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
export interface WatchHandle {
  stop(): void;
}

export interface Kube {
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubernetesObject[]>;
  /** every page of a list, with the version of the snapshot */
  listWithVersion(
    apiVersion: string,
    kind: string,
    namespace?: string,
    selectors?: { labelSelector?: string; fieldSelector?: string },
  ): Promise<ListResult>;
  /**
   * A watch stream. onEvent gets each event; onDone is called once when the stream ends:
   * null for a clean end (server timeout, connection closed), else the error (HTTP status in
   * `statusCode`, e.g. 410 when the server answers the request itself with Gone).
   */
  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    params: WatchParams,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
  /** POST: 409 when it exists already (leader election relies on it) */
  create(obj: object): Promise<KubernetesObject>;
  /** server-side apply with our field manager, force: we own these objects */
  apply(obj: object, dryRun?: "client" | "server"): Promise<KubernetesObject>;
  /** JSON merge patch; `create` is used when the object does not exist yet */
  mergePatch(ref: ObjectRef, patch: object, create?: object): Promise<void>;
  /** true if something was deleted */
  delete(ref: ObjectRef, dryRun?: "client" | "server"): Promise<boolean>;
}

/** Objects per list request; every list follows the continue token to its last page. */
export const PAGE_SIZE = 500;

/**
 * The continue token of a list page: `metadata.continue` as the server sent it (custom
 * resources, read raw through CustomObjectsApi), or `_continue` as client-node's typed V1ListMeta
 * names it (built-in kinds). client-node 2.x's generic KubernetesObjectApi.list deserializes a
 * custom resource list's metadata as V1ObjectMeta, which has no such field: the token is lost and
 * the list ends after its first page. So custom resources are never listed through it.
 */
export function continueToken(meta: unknown): string | undefined {
  const m = (meta ?? {}) as { continue?: string; _continue?: string };
  return m.continue || m._continue || undefined;
}

/** Built-in API groups (core, apps, …, *.k8s.io) have typed list models in client-node; others do not. */
function isCustomGroup(group: string): boolean {
  return group.includes(".") && !group.endsWith(".k8s.io");
}

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * The kubeconfig: `path`, else what kubectl reads ($KUBECONFIG, ~/.kube/config, the in-cluster
 * service account). When there is none, a KubeError says where it looked (client-node would
 * go on with a made-up http://localhost:8080 and fail later with a TLS message).
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new KubeError(`--kubeconfig ${path}: no such file`);
    kc.loadFromFile(path);
    return kc;
  }
  const env = process.env.KUBECONFIG;
  const home = join(homedir(), ".kube", "config");
  const inCluster = !!process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN);
  if (env) {
    if (!env.split(delimiter).some((f) => f !== "" && existsSync(f)))
      throw new KubeError(`KUBECONFIG=${env}: no such file`);
  } else if (!existsSync(home) && !inCluster) {
    throw new KubeError(
      `no kubeconfig found: looked at $KUBECONFIG (not set), ${home} (absent) and the in-cluster service account ` +
        `(not in a pod: no KUBERNETES_SERVICE_HOST and ${SERVICE_ACCOUNT_TOKEN}); give --kubeconfig FILE or set KUBECONFIG`,
    );
  }
  kc.loadFromDefault();
  return kc;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiException && e.code === 404;
}

export class ClientNodeKube implements Kube {
  private readonly api: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly server: string;
  constructor(readonly kc: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.server = kc.getCurrentCluster()?.server ?? "(no server in the kubeconfig)";
  }

  /** Every failure of an API call as a KubeError that says what to do (errors.ts). */
  private async guard<T>(
    what: string,
    apiVersion: string | undefined,
    kind: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw explain(e, this.server, what, apiVersion, kind);
    }
  }

  private async page(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    selectors: { labelSelector?: string; fieldSelector?: string },
    cont: string | undefined,
  ): Promise<{ items: KubernetesObject[]; metadata?: unknown }> {
    const r = resourceOf(apiVersion, kind);
    if (!isCustomGroup(r.group)) {
      return this.api.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        selectors.fieldSelector,
        selectors.labelSelector,
        PAGE_SIZE,
        cont,
      );
    }
    const [group, version] = apiVersion.split("/") as [string, string];
    const q = {
      group,
      version,
      plural: r.plural,
      _continue: cont,
      fieldSelector: selectors.fieldSelector,
      labelSelector: selectors.labelSelector,
      limit: PAGE_SIZE,
    };
    return (
      namespace !== undefined && r.namespaced
        ? await this.custom.listNamespacedCustomObject({ ...q, namespace })
        : await this.custom.listClusterCustomObject(q)
    ) as { items: KubernetesObject[]; metadata?: unknown };
  }

  async get(ref: ObjectRef) {
    return this.guard(
      `get ${ref.kind} ${ref.namespace ? ref.namespace + "/" : ""}${ref.name}`,
      ref.apiVersion,
      ref.kind,
      async () => {
        try {
          return await this.api.read({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
          });
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
    );
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string) {
    return (await this.listWithVersion(apiVersion, kind, namespace, { labelSelector })).items;
  }

  async listWithVersion(
    apiVersion: string,
    kind: string,
    namespace?: string,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ) {
    return this.guard(
      `list ${kind}${namespace ? ` in namespace ${namespace}` : " in all namespaces"}`,
      apiVersion,
      kind,
      async () => {
        const items: KubernetesObject[] = [];
        let cont: string | undefined;
        let resourceVersion = "";
        do {
          const page = await this.page(apiVersion, kind, namespace, selectors, cont);
          // list items come without apiVersion/kind
          items.push(...page.items.map((i) => ({ ...i, apiVersion, kind })));
          // the pages of one list are one snapshot: the first page's version is the list's
          if (resourceVersion === "")
            resourceVersion = (page.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? "";
          cont = continueToken(page.metadata);
        } while (cont);
        return { items, resourceVersion };
      },
    );
  }

  async watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    params: WatchParams,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle> {
    const w = new Watch(this.kc);
    // client-node aborts a watch that is silent this long; the server closes it after
    // timeoutSeconds, bookmarks keep a quiet one alive in between
    (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = ((params.timeoutSeconds ?? 300) + 60) * 1000;
    const query: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") query[k] = v;
    const path = collectionPath(resourceOf(apiVersion, kind), namespace);
    const ctl = await w.watch(
      path,
      query,
      (type: string, obj: KubernetesObject) => {
        if (type !== "ERROR" && type !== "BOOKMARK") obj = { ...obj, apiVersion, kind };
        onEvent(type as WatchEventType, obj);
      },
      onDone,
    );
    return { stop: () => ctl.abort() };
  }

  async create(obj: object) {
    return this.guard(
      `create ${(obj as KubernetesObject).kind}`,
      (obj as KubernetesObject).apiVersion,
      (obj as KubernetesObject).kind,
      async () => {
        return this.api.create(obj as KubernetesObject, undefined, undefined, FIELD_MANAGER);
      },
    );
  }

  async apply(obj: object, dryRun?: "client" | "server") {
    return this.guard(
      `apply ${(obj as KubernetesObject).kind} ${(obj as KubernetesObject).metadata?.namespace ?? ""}/${(obj as KubernetesObject).metadata?.name ?? ""}`,
      (obj as KubernetesObject).apiVersion,
      (obj as KubernetesObject).kind,
      async () => {
        if (dryRun === "client") return obj as KubernetesObject;
        return this.api.patch(
          obj as KubernetesObject,
          undefined,
          dryRun === "server" ? "All" : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
      },
    );
  }

  async mergePatch(ref: ObjectRef, patch: object, create?: object) {
    return this.guard(
      `patch ${ref.kind} ${ref.namespace ? ref.namespace + "/" : ""}${ref.name}`,
      ref.apiVersion,
      ref.kind,
      async () => {
        const p = patch as { metadata?: object };
        const spec = {
          ...patch,
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { ...p.metadata, name: ref.name, namespace: ref.namespace },
        } as KubernetesObject;
        try {
          await this.api.patch(spec, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
        } catch (e) {
          if (!isNotFound(e) || !create) throw e;
          await this.api.create(create as KubernetesObject, undefined, undefined, FIELD_MANAGER);
        }
      },
    );
  }

  async delete(ref: ObjectRef, dryRun?: "client" | "server") {
    return this.guard(
      `delete ${ref.kind} ${ref.namespace ? ref.namespace + "/" : ""}${ref.name}`,
      ref.apiVersion,
      ref.kind,
      async () => {
        if (dryRun === "client") return (await this.get(ref)) !== undefined;
        try {
          await this.api.delete(
            { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
            undefined,
            dryRun === "server" ? "All" : undefined,
          );
          return true;
        } catch (e) {
          if (isNotFound(e)) return false;
          throw e;
        }
      },
    );
  }
}

/**
 * A Kube whose requests (all but watches) fail after `ms` instead of waiting forever: client-node
 * sets no timeout, and one request that never gets an answer (a connection lost without a reset)
 * would hold the controller's reconcile worker, and its shutdown, for good. The failed call is
 * retried with backoff like any API error.
 */
export function withRequestTimeout(kube: Kube, ms: number): Kube {
  const timed = <T>(what: string, p: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout;
    return Promise.race([
      p.finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer from the API server in ${ms} ms`)), ms);
      }),
    ]);
  };
  return {
    get: (ref) => timed(`get ${ref.kind} ${ref.namespace ?? ""}/${ref.name}`, kube.get(ref)),
    list: (apiVersion, kind, namespace, labelSelector) =>
      timed(`list ${kind}`, kube.list(apiVersion, kind, namespace, labelSelector)),
    listWithVersion: (apiVersion, kind, namespace, selectors) =>
      timed(`list ${kind}`, kube.listWithVersion(apiVersion, kind, namespace, selectors)),
    watch: (...a) => kube.watch(...a),
    create: (obj) => timed("create", kube.create(obj)),
    apply: (obj, dryRun) => timed("apply", kube.apply(obj, dryRun)),
    mergePatch: (ref, patch, create) =>
      timed(`patch ${ref.kind} ${ref.namespace ?? ""}/${ref.name}`, kube.mergePatch(ref, patch, create)),
    delete: (ref, dryRun) => timed(`delete ${ref.kind} ${ref.namespace ?? ""}/${ref.name}`, kube.delete(ref, dryRun)),
  };
}
