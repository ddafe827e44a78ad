// A small in-process Kubernetes API endpoint (plain HTTP) implementing what the installer uses,
// with the semantics the real API server has, driven through the real @kubernetes/client-node:
// - discovery, get, list (label selectors k=v, field selectors metadata.name / metadata.namespace,
//   limit/continue pages, the list's resourceVersion), create, JSON merge patch, delete,
//   server-side apply (PATCH application/apply-patch+yaml: fieldManager required, creates, and
//   keeps the resourceVersion when nothing changes), dryRun=All;
// - watch (?watch=1&resourceVersion=N): a chunked stream of {"type","object"} lines. Events
//   after N are replayed from the history, then new ones stream; no version or "0" starts with
//   ADDED for everything that exists; a version older than the compacted history gets a
//   410 Gone: an ERROR event with a Status (as kube-apiserver's watch cache does) or, with
//   goneAs = "http", the HTTP status itself; timeoutSeconds ends the stream; bookmark() sends
//   BOOKMARK events to watches that allowed them;
// - faults: dropWatches() cuts every watch connection, stop()/start() takes the server away and
//   brings it back on the same port with the same data, holdApplies() parks server-side
//   applies until released;
// - a log of every request as (verb, resource, namespace) for the RBAC check.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import YAML from "yaml";

interface Res {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}
const RESOURCES: Res[] = [
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  {
    group: "serving.kserve.io",
    version: "v1beta1",
    kind: "InferenceService",
    plural: "inferenceservices",
    namespaced: true,
  },
  { group: "extensions.istio.io", version: "v1alpha1", kind: "WasmPlugin", plural: "wasmplugins", namespaced: true },
  { group: "networking.istio.io", version: "v1", kind: "ServiceEntry", plural: "serviceentries", namespaced: true },
  {
    group: "networking.istio.io",
    version: "v1",
    kind: "DestinationRule",
    plural: "destinationrules",
    namespaced: true,
  },
  { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true },
];

export type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, any>; [k: string]: any };
type EventType = "ADDED" | "MODIFIED" | "DELETED";
interface HistoryEvent {
  rv: number;
  type: EventType;
  plural: string;
  obj: Obj;
}
interface Watcher {
  res: ServerResponse;
  plural: string;
  ns: string | undefined;
  match: (o: Obj) => boolean;
  bookmarks: boolean;
  apiVersion: string;
  kind: string;
}
export interface RequestRecord {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  fieldManager?: string;
}

export class FakeApiServer {
  /** kinds this server does not serve, as a cluster without their CRD (Istio or KServe not installed) */
  constructor(private readonly without: string[] = []) {}

  private served(): Res[] {
    return RESOURCES.filter((r) => !this.without.includes(r.kind));
  }

  readonly objects = new Map<string, Obj>(); // key: plural/ns/name
  readonly history: HistoryEvent[] = [];
  readonly requests: RequestRecord[] = [];
  /** versions at or below this are compacted away: watching from them is 410 Gone */
  compactedRv = 0;
  goneAs: "event" | "http" = "event";
  private rv = 1;
  private server?: Server;
  private readonly watchers = new Set<Watcher>();
  private held: (() => void)[] | undefined;
  private heldWaiters: (() => void)[] = [];
  port = 0;

  get resourceVersion(): number {
    return this.rv;
  }

  private resOf(kind: string): Res {
    const r = RESOURCES.find((x) => x.kind === kind);
    if (!r) throw new Error(`unknown kind ${kind}`);
    return r;
  }

  private keyOf(r: Res, ns: string | undefined, name: string): string {
    return `${r.plural}/${r.namespaced ? (ns ?? "") : ""}/${name}`;
  }

  /** Creates or replaces an object (as if someone else wrote it), with a watch event. */
  put(obj: Obj): Obj {
    const r = this.resOf(obj.kind!);
    const key = this.keyOf(r, obj.metadata.namespace, obj.metadata.name);
    const existed = this.objects.has(key);
    const rv = ++this.rv;
    const stored = structuredClone({
      ...obj,
      metadata: {
        ...obj.metadata,
        resourceVersion: String(rv),
        uid: obj.metadata.uid ?? this.objects.get(key)?.metadata.uid ?? `uid-${rv}`,
      },
    });
    this.objects.set(key, stored);
    this.emit(existed ? "MODIFIED" : "ADDED", r.plural, stored, rv);
    return stored;
  }

  /** Deletes an object (as if someone else did), with a DELETED event; false if absent. */
  remove(kind: string, ns: string | undefined, name: string): boolean {
    const r = this.resOf(kind);
    const key = this.keyOf(r, ns, name);
    const cur = this.objects.get(key);
    if (!cur) return false;
    this.objects.delete(key);
    const rv = ++this.rv;
    this.emit("DELETED", r.plural, { ...cur, metadata: { ...cur.metadata, resourceVersion: String(rv) } }, rv);
    return true;
  }

  /** Every object of a kind. */
  all(kind: string): Obj[] {
    const r = this.resOf(kind);
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${r.plural}/`)).map(([, o]) => o);
  }

  find(kind: string, ns: string | undefined, name: string): Obj | undefined {
    return this.objects.get(this.keyOf(this.resOf(kind), ns, name));
  }

  /**
   * etcd compaction: the history up to now is forgotten, and (as after any write elsewhere) the
   * current version moves on, so that a watch from any version handed out so far is 410 Gone;
   * a fresh list gets the new version and can watch from it.
   */
  compact(): void {
    this.compactedRv = ++this.rv;
    this.history.length = 0;
  }

  /** Cuts every open watch connection (a load balancer or API server restart would). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  /** BOOKMARK events, carrying the current version, to the watches that allow them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (w.bookmarks)
        w.res.write(
          JSON.stringify({
            type: "BOOKMARK",
            object: { apiVersion: w.apiVersion, kind: w.kind, metadata: { resourceVersion: String(this.rv) } },
          }) + "\n",
        );
    }
  }

  /** Server-side applies wait from now on until releaseApplies(). */
  holdApplies(): void {
    this.held ??= [];
  }
  releaseApplies(): void {
    const h = this.held ?? [];
    this.held = undefined;
    for (const f of h) f();
  }
  /** Resolves once n applies are parked. */
  async appliesHeld(n = 1): Promise<void> {
    while ((this.held?.length ?? 0) < n) await new Promise<void>((r) => this.heldWaiters.push(r));
  }

  private emit(type: EventType, plural: string, obj: Obj, rv: number): void {
    const ev = { rv, type, plural, obj: structuredClone(obj) };
    this.history.push(ev);
    for (const w of this.watchers) this.send(w, ev);
  }

  private send(w: Watcher, ev: HistoryEvent): void {
    if (ev.plural !== w.plural) return;
    if (w.ns !== undefined && ev.obj.metadata.namespace !== w.ns) return;
    if (!w.match(ev.obj)) return;
    w.res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + "\n");
  }

  async start(): Promise<KubeConfig> {
    this.server = createServer((req, res) => {
      this.handle(req, res).then(
        (r) => {
          if (r === undefined) return; // streaming (watch)
          const [code, body] = r;
          if (!res.headersSent) {
            res.writeHead(code, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
          }
        },
        (e) => {
          if (!res.headersSent) {
            res.writeHead(500);
            res.end(String(e));
          }
        },
      );
    });
    await new Promise<void>((ok, fail) => {
      this.server!.once("error", fail);
      this.server!.listen(this.port, "127.0.0.1", ok);
    });
    this.port = (this.server!.address() as { port: number }).port;
    return this.kubeConfig();
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "c", cluster: "fake", user: "u", namespace: "default" }],
      currentContext: "c",
    });
    return kc;
  }

  kubeConfigYaml(): string {
    return YAML.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [
        { name: "fake", cluster: { server: `http://127.0.0.1:${this.port}`, "insecure-skip-tls-verify": true } },
      ],
      users: [{ name: "u", user: {} }],
      contexts: [{ name: "c", context: { cluster: "fake", user: "u", namespace: "default" } }],
    });
  }

  /** Takes the server away (connections cut, port closed); start() brings it back, same port and data. */
  stop(): Promise<void> {
    this.dropWatches();
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((ok) => {
      s.close(() => ok());
      s.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<[number, unknown] | undefined> {
    const url = new URL(req.url!, "http://x");
    const body = await new Promise<string>((ok) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => ok(b));
    });
    const parts = url.pathname.split("/").filter(Boolean);
    const gv =
      parts[0] === "api"
        ? { group: "", version: parts[1], rest: parts.slice(2) }
        : { group: parts[1], version: parts[2], rest: parts.slice(3) };
    if (gv.rest.length === 0) {
      return [
        200,
        {
          kind: "APIResourceList",
          groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
          resources: this.served()
            .filter((r) => r.group === gv.group && r.version === gv.version)
            .map((r) => ({
              name: r.plural,
              kind: r.kind,
              namespaced: r.namespaced,
              verbs: ["get", "list", "watch", "patch", "create", "delete"],
            })),
        },
      ];
    }
    let ns: string | undefined;
    let rest = gv.rest;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const r = this.served().find((x) => x.group === gv.group && x.version === gv.version && x.plural === rest[0]);
    // the real API server's words for a path no API serves
    if (!r) return [404, status(404, "NotFound", "the server could not find the requested resource")];
    const name = rest[1];
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    const key = this.keyOf(r, ns, name ?? "");
    const dry = url.searchParams.get("dryRun") === "All";
    const isWatch = ["1", "true"].includes(url.searchParams.get("watch") ?? "");
    const verb =
      req.method === "GET"
        ? name === undefined
          ? isWatch
            ? "watch"
            : "list"
          : "get"
        : req.method === "POST"
          ? "create"
          : req.method === "PATCH"
            ? "patch"
            : req.method === "DELETE"
              ? "delete"
              : req.method!.toLowerCase();
    this.requests.push({
      verb,
      group: r.group,
      resource: r.plural,
      namespace: ns,
      name,
      fieldManager: url.searchParams.get("fieldManager") ?? undefined,
    });

    if (req.method === "GET" && name === undefined) {
      const match = selector(url.searchParams);
      const inScope = (o: Obj) => (ns === undefined || o.metadata.namespace === ns) && match(o);
      if (isWatch) return this.watch(req, res, url, r, ns, match, apiVersion);
      const all = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(`${r.plural}/`))
        .map(([, o]) => o)
        .filter(inScope)
        .sort(
          (a, b) =>
            (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
            a.metadata.name.localeCompare(b.metadata.name),
        );
      // pages: continue token = offset, the list's version is the one of the first page
      const limit = Number(url.searchParams.get("limit") ?? "0") || all.length || 1;
      const cont = url.searchParams.get("continue");
      const [from, listRv] = cont ? (cont.split(":").map(Number) as [number, number]) : [0, this.rv];
      const items = all.slice(from, from + limit).map((o) => ({ ...o, apiVersion: undefined, kind: undefined }));
      const next = from + limit < all.length ? `${from + limit}:${listRv}` : undefined;
      return [
        200,
        {
          apiVersion,
          kind: `${r.kind}List`,
          metadata: { resourceVersion: String(listRv), ...(next ? { continue: next } : {}) },
          items,
        },
      ];
    }
    const cur = this.objects.get(key);
    if (req.method === "GET")
      return cur ? [200, cur] : [404, status(404, "NotFound", `${r.plural} "${name}" not found`)];
    if (req.method === "DELETE") {
      if (!cur) return [404, status(404, "NotFound", `${r.plural} "${name}" not found`)];
      if (!dry) this.remove(r.kind, ns, name!);
      return [200, status(200, "Success", "deleted")];
    }
    if (req.method === "POST") {
      const obj = JSON.parse(body) as Obj;
      if (this.objects.has(this.keyOf(r, ns, obj.metadata.name))) return [409, status(409, "AlreadyExists", "exists")];
      return [
        201,
        dry
          ? obj
          : this.put({
              ...obj,
              apiVersion,
              kind: r.kind,
              metadata: { ...obj.metadata, namespace: r.namespaced ? ns : undefined },
            }),
      ];
    }
    if (req.method === "PATCH") {
      const ct = req.headers["content-type"] ?? "";
      if (ct.startsWith("application/apply-patch")) {
        if (url.searchParams.get("fieldManager") === null)
          return [400, status(400, "BadRequest", "fieldManager is required for apply")];
        if (this.held) {
          await new Promise<void>((ok) => {
            this.held!.push(ok);
            for (const w of this.heldWaiters.splice(0)) w();
          });
        }
        const obj = YAML.parse(body) as Obj;
        const latest = this.objects.get(key);
        // same content → same object, same resourceVersion (what makes apply idempotent)
        const strip = (o: Obj | undefined) =>
          o &&
          JSON.stringify({
            ...o,
            metadata: { ...o.metadata, resourceVersion: undefined, uid: undefined, managedFields: undefined },
          });
        const next = { ...obj, metadata: { ...obj.metadata, uid: latest?.metadata.uid } };
        if (latest && strip(latest) === strip(next)) return [200, latest];
        return [latest ? 200 : 201, dry ? next : this.put(next)];
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

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    r: Res,
    ns: string | undefined,
    match: (o: Obj) => boolean,
    apiVersion: string,
  ): undefined | [number, unknown] {
    const from = url.searchParams.get("resourceVersion") ?? "";
    const fromRv = from === "" || from === "0" ? undefined : Number(from);
    if (fromRv !== undefined && fromRv < this.compactedRv) {
      const st = status(410, "Expired", `too old resource version: ${fromRv} (${this.compactedRv})`);
      if (this.goneAs === "http") return [410, st];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "ERROR", object: st }) + "\n");
      return undefined;
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const w: Watcher = {
      res,
      plural: r.plural,
      ns,
      match,
      bookmarks: url.searchParams.get("allowWatchBookmarks") === "true",
      apiVersion,
      kind: r.kind,
    };
    if (fromRv === undefined) {
      // no version: the current state as ADDED events first
      for (const [k, o] of this.objects)
        if (k.startsWith(`${r.plural}/`)) this.send(w, { rv: 0, type: "ADDED", plural: r.plural, obj: o });
    } else {
      for (const ev of this.history) if (ev.rv > fromRv) this.send(w, ev);
    }
    this.watchers.add(w);
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    const timer =
      timeout > 0
        ? setTimeout(() => {
            this.watchers.delete(w);
            res.end();
          }, timeout * 1000)
        : undefined;
    timer?.unref();
    const gone = () => {
      clearTimeout(timer);
      this.watchers.delete(w);
    };
    req.on("close", gone);
    res.on("close", gone);
    return undefined;
  }
}

function selector(q: URLSearchParams): (o: Obj) => boolean {
  const labels = (q.get("labelSelector") ?? "")
    .split(",")
    .filter(Boolean)
    .map((s) => s.split("="));
  const fields = (q.get("fieldSelector") ?? "")
    .split(",")
    .filter(Boolean)
    .map((s) => s.split("="));
  return (o) =>
    labels.every(([k, v]) => o.metadata.labels?.[k!] === v) &&
    fields.every(
      ([k, v]) =>
        (k === "metadata.name" ? o.metadata.name : k === "metadata.namespace" ? o.metadata.namespace : undefined) === v,
    );
}

function status(code: number, reason: string, message: string) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: code < 300 ? "Success" : "Failure",
    code,
    reason,
    message,
  };
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
