// A small in-process Kubernetes API endpoint (plain HTTP) implementing what the installer uses:
// discovery, get, list with equality label selectors, server-side apply (PATCH
// application/apply-patch+yaml, resourceVersion kept when nothing changes), JSON merge patch,
// create, delete, dryRun=All. Driven through the real @kubernetes/client-node.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import YAML from "yaml";

interface Res { group: string; version: string; kind: string; plural: string; namespaced: boolean }
const RESOURCES: Res[] = [
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { group: "serving.kserve.io", version: "v1beta1", kind: "InferenceService", plural: "inferenceservices", namespaced: true },
  { group: "extensions.istio.io", version: "v1alpha1", kind: "WasmPlugin", plural: "wasmplugins", namespaced: true },
  { group: "networking.istio.io", version: "v1", kind: "ServiceEntry", plural: "serviceentries", namespaced: true },
  { group: "networking.istio.io", version: "v1", kind: "DestinationRule", plural: "destinationrules", namespaced: true },
];

type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, any>; [k: string]: any };

export class FakeApiServer {
  readonly objects = new Map<string, Obj>(); // key: plural/ns/name
  private rv = 1;
  private server?: Server;
  port = 0;

  put(obj: Obj): Obj {
    const r = RESOURCES.find((x) => x.kind === obj.kind)!;
    const key = `${r.plural}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv), uid: obj.metadata.uid ?? `uid-${this.rv}` } };
    this.objects.set(key, stored);
    return stored;
  }
  find(kind: string, ns: string | undefined, name: string): Obj | undefined {
    const r = RESOURCES.find((x) => x.kind === kind)!;
    return this.objects.get(`${r.plural}/${ns ?? ""}/${name}`);
  }

  async start(): Promise<KubeConfig> {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        ([code, body]) => { res.writeHead(code, { "content-type": "application/json" }); res.end(JSON.stringify(body)); },
        (e) => { res.writeHead(500); res.end(String(e)); },
      );
    });
    await new Promise<void>((ok) => this.server!.listen(0, "127.0.0.1", ok));
    this.port = (this.server!.address() as { port: number }).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "c", cluster: "fake", user: "u", namespace: "default" }],
      currentContext: "c",
    });
    return kc;
  }
  stop(): Promise<void> {
    return new Promise((ok) => this.server!.close(() => ok()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url!, "http://x");
    const body = await new Promise<string>((ok) => { let b = ""; req.on("data", (c) => (b += c)); req.on("end", () => ok(b)); });
    const parts = url.pathname.split("/").filter(Boolean);
    // discovery
    const gv = parts[0] === "api" ? { group: "", version: parts[1], rest: parts.slice(2) } : { group: parts[1], version: parts[2], rest: parts.slice(3) };
    if (gv.rest.length === 0) {
      return [200, { kind: "APIResourceList", groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
        resources: RESOURCES.filter((r) => r.group === gv.group && r.version === gv.version).map((r) => ({ name: r.plural, kind: r.kind, namespaced: r.namespaced, verbs: ["get", "list", "patch", "create", "delete"] })) }];
    }
    let ns: string | undefined;
    let rest = gv.rest;
    if (rest[0] === "namespaces" && rest.length >= 3) { ns = rest[1]; rest = rest.slice(2); }
    const r = RESOURCES.find((x) => x.group === gv.group && x.version === gv.version && x.plural === rest[0]);
    if (!r) return [404, status(404, "NotFound", `no resource ${url.pathname}`)];
    if (r.kind === "Namespace" && rest.length === 1 && ns === undefined && gv.rest.length === 2) { ns = undefined; }
    const name = rest[1];
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    const key = `${r.plural}/${r.namespaced ? ns ?? "" : ""}/${name}`;
    const dry = url.searchParams.get("dryRun") === "All";
    if (req.method === "GET" && name === undefined) {
      const sel = (url.searchParams.get("labelSelector") ?? "").split(",").filter(Boolean).map((s) => s.split("="));
      const items = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(`${r.plural}/`) && (ns === undefined || k.startsWith(`${r.plural}/${ns}/`)))
        .map(([, o]) => o)
        .filter((o) => sel.every(([k, v]) => o.metadata.labels?.[k!] === v));
      return [200, { apiVersion, kind: `${r.kind}List`, metadata: { resourceVersion: String(this.rv) }, items }];
    }
    const cur = this.objects.get(key);
    if (req.method === "GET") return cur ? [200, cur] : [404, status(404, "NotFound", `${r.plural} "${name}" not found`)];
    if (req.method === "DELETE") {
      if (!cur) return [404, status(404, "NotFound", `${r.plural} "${name}" not found`)];
      if (!dry) this.objects.delete(key);
      return [200, status(200, "Success", "deleted")];
    }
    if (req.method === "POST") {
      const obj = JSON.parse(body) as Obj;
      if (this.objects.has(`${r.plural}/${r.namespaced ? ns ?? "" : ""}/${obj.metadata.name}`)) return [409, status(409, "AlreadyExists", "exists")];
      return [201, dry ? obj : this.put({ ...obj, apiVersion, kind: r.kind, metadata: { ...obj.metadata, namespace: r.namespaced ? ns : undefined } })];
    }
    if (req.method === "PATCH") {
      const ct = req.headers["content-type"] ?? "";
      if (ct.startsWith("application/apply-patch")) {
        if (url.searchParams.get("fieldManager") === null) return [400, status(400, "BadRequest", "fieldManager is required for apply")];
        const obj = YAML.parse(body) as Obj;
        // same content → same object, same resourceVersion (what makes apply idempotent)
        const strip = (o: Obj | undefined) => o && JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, uid: undefined, managedFields: undefined } });
        const next = { ...obj, metadata: { ...obj.metadata, uid: cur?.metadata.uid } };
        if (cur && strip(cur) === strip({ ...next, metadata: { ...next.metadata } })) return [200, cur];
        return [cur ? 200 : 201, dry ? next : this.put(next)];
      }
      if (ct.startsWith("application/merge-patch+json")) {
        if (!cur) return [404, status(404, "NotFound", `${r.plural} "${name}" not found`)];
        const merged = mergePatch(structuredClone(cur), JSON.parse(body)) as Obj;
        return [200, dry ? merged : this.put(merged)];
      }
      return [415, status(415, "UnsupportedMediaType", ct)];
    }
    return [405, status(405, "MethodNotAllowed", req.method ?? "")];
  }
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", status: code < 300 ? "Success" : "Failure", code, reason, message };
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
