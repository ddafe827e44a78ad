// The Kubernetes operations the installer needs, behind one small interface so that commands
// and the controller can run against a real API server or an in-process fake, both reached
// through the real @kubernetes/client-node.
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy, Watch, type KubernetesObject } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../wasmplugin.js";
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
  listWithVersion(apiVersion: string, kind: string, namespace?: string, selectors?: { labelSelector?: string; fieldSelector?: string }): Promise<ListResult>;
  /**
   * A watch stream. onEvent gets each event; onDone is called once when the stream ends:
   * null for a clean end (server timeout, connection closed), else the error (HTTP status in
   * `statusCode`, e.g. 410 when the server answers the request itself with Gone).
   */
  watch(
    apiVersion: string, kind: string, namespace: string | undefined, params: WatchParams,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void, onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
  /** server-side apply with our field manager, force: we own these objects */
  apply(obj: object, dryRun?: "client" | "server"): Promise<KubernetesObject>;
  /** JSON merge patch; `create` is used when the object does not exist yet */
  mergePatch(ref: ObjectRef, patch: object, create?: object): Promise<void>;
  /** true if something was deleted */
  delete(ref: ObjectRef, dryRun?: "client" | "server"): Promise<boolean>;
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, in-cluster service account
  return kc;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiException && e.code === 404;
}

export class ClientNodeKube implements Kube {
  private readonly api: KubernetesObjectApi;
  constructor(readonly kc: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  async get(ref: ObjectRef) {
    try {
      return await this.api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string) {
    return (await this.listWithVersion(apiVersion, kind, namespace, { labelSelector })).items;
  }

  async listWithVersion(apiVersion: string, kind: string, namespace?: string, selectors: { labelSelector?: string; fieldSelector?: string } = {}) {
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, selectors.fieldSelector, selectors.labelSelector, 500, cont);
      // list items come without apiVersion/kind
      items.push(...page.items.map((i) => ({ ...i, apiVersion, kind })));
      // the pages of one list are one snapshot: the first page's version is the list's
      if (resourceVersion === "") resourceVersion = page.metadata?.resourceVersion ?? "";
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  async watch(
    apiVersion: string, kind: string, namespace: string | undefined, params: WatchParams,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void, onDone: (err: unknown) => void,
  ): Promise<WatchHandle> {
    const w = new Watch(this.kc);
    // client-node aborts a watch that is silent this long; the server closes it after
    // timeoutSeconds, bookmarks keep a quiet one alive in between
    (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = ((params.timeoutSeconds ?? 300) + 60) * 1000;
    const query: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") query[k] = v;
    const path = collectionPath(resourceOf(apiVersion, kind), namespace);
    const ctl = await w.watch(path, query, (type: string, obj: KubernetesObject) => {
      if (type !== "ERROR" && type !== "BOOKMARK") obj = { ...obj, apiVersion, kind };
      onEvent(type as WatchEventType, obj);
    }, onDone);
    return { stop: () => ctl.abort() };
  }

  async apply(obj: object, dryRun?: "client" | "server") {
    if (dryRun === "client") return obj as KubernetesObject;
    return this.api.patch(obj as KubernetesObject, undefined, dryRun === "server" ? "All" : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  async mergePatch(ref: ObjectRef, patch: object, create?: object) {
    const p = patch as { metadata?: object };
    const spec = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...p.metadata, name: ref.name, namespace: ref.namespace } } as KubernetesObject;
    try {
      await this.api.patch(spec, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
    } catch (e) {
      if (!isNotFound(e) || !create) throw e;
      await this.api.create(create as KubernetesObject, undefined, undefined, FIELD_MANAGER);
    }
  }

  async delete(ref: ObjectRef, dryRun?: "client" | "server") {
    if (dryRun === "client") return (await this.get(ref)) !== undefined;
    try {
      await this.api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, dryRun === "server" ? "All" : undefined);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
}
