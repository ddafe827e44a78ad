// The Kubernetes operations the installer needs, behind one small interface so that commands
// and the controller can run against a real API server or an in-process fake, both reached
// through the real @kubernetes/client-node.
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../wasmplugin.js";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Kube {
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubernetesObject[]>;
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
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    do {
      const page = await this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector, 500, cont);
      // list items come without apiVersion/kind
      items.push(...page.items.map((i) => ({ ...i, apiVersion, kind })));
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return items;
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
