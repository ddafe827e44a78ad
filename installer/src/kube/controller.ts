// `watch`: the controller. Keeps every InferenceService of the watched namespaces in line with
// what `apply` would make of it, from watches (no polling):
// - InferenceServices, the objects we made (WasmPlugin, ServiceEntry, DestinationRule, by our
//   managed-by label), Namespaces (the enable label) and the switch ConfigMap of the control
//   namespace, each listed then watched by a Reflector (relist on 410 Gone, backoff on errors);
// - every change enqueues the ISVC it concerns; one worker reconciles one ISVC at a time:
//   render (reusing planIsvc), compare with what the watches show, and only when they differ
//   server-side apply / delete (reusing applyPlan). A status heartbeat renders the same objects,
//   so it costs no API call; a hand-deleted WasmPlugin is missing from the store, so it is
//   recreated; a deleted ISVC has its objects deleted explicitly (owner references would do it
//   in a real cluster; this also covers objects whose owner reference was never set);
// - a failed reconcile is retried with per-ISVC exponential backoff; nothing makes it exit;
// - stop(): watches stopped, the reconcile in flight finishes, then it returns.
// An optional periodic resync re-enqueues everything (cheap: no API call when in line).
import type { KubernetesObject } from "@kubernetes/client-node";
import { formatDiagnostic } from "../diagnostics.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import { LABEL_DATAPLANE_MODE, LABEL_USE_WAYPOINT, type RenderOptions } from "../render.js";
import { FIELD_MANAGER, LABEL_ISVC, LABEL_MANAGED_BY } from "../wasmplugin.js";
import { Backoff, errorText, formatDelay, type BackoffOptions } from "./backoff.js";
import type { ControllerMetrics } from "../metrics.js";
import type { Kube, ObjectRef } from "./client.js";
import { applyPlan, LLM_MANAGED_KINDS, MANAGED_KINDS, planIsvc, planLlmIsvc, refOf, type Plan } from "./reconcile.js";
import { LABEL_LLMISVC } from "../envoy-gateway.js";
import { LLMISVC_KIND } from "../llmisvc.js";
import { objectKey, Reflector, type ChangeType } from "./reflector.js";
import { disabledIn, namespaceEnabled, SWITCH_CONFIGMAP } from "./switch.js";

export interface ControllerOptions {
  /** undefined: all namespaces */
  namespaces?: string[];
  controlNamespace: string;
  render: RenderOptions;
  backoff: BackoffOptions;
  watchTimeoutSeconds: number;
  /** 0: no periodic resync */
  resyncSeconds: number;
  /** a line about the controller, or (isvc: "namespace/name") about one InferenceService */
  log: (line: string, isvc?: string) => void;
  logError: (line: string, isvc?: string) => void;
  /** -v: also what needed no change, per ISVC (absent: not logged) */
  logVerbose?: (line: string, isvc?: string) => void;
  /** counted when given (served at /metrics by `watch`) */
  metrics?: ControllerMetrics;
  /** also LLMInferenceServices (Envoy Gateway mode; watch --llm-isvc) */
  llmIsvcs?: boolean;
}

// Queue keys: "ns/name" for an InferenceService, "llm:ns/name" for an LLMInferenceService.
const LLM_KEY = "llm:";

export class Controller {
  private readonly isvcs: Reflector[] = [];
  private readonly managed: Reflector[] = [];
  private readonly llmIsvcs: Reflector[] = [];
  /** one for all namespaces, or one per watched namespace (by name: a ClusterRole limited to their names suffices) */
  private readonly namespaces: Reflector[];
  private readonly configMap: Reflector;
  private readonly all: Reflector[];
  private readonly queue = new Set<string>();
  private readonly retries = new Map<string, { backoff: Backoff; timer?: NodeJS.Timeout }>();
  /** objects this process applied at least once, to tell "recreated" from "created" */
  private readonly appliedOnce = new Set<string>();
  /** last diagnostics printed per ISVC: the same warning is not repeated at every event */
  private readonly lastDiagnostics = new Map<string, string>();
  /** ISVCs whose plan is refused (metrics) */
  private readonly invalid = new Set<string>();
  private wake?: () => void;
  private stopping = false;
  private worker?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  private readyFlag = false;
  /** reconciles that ended (tests wait on it) */
  reconciles = 0;

  constructor(
    private readonly kube: Kube,
    private readonly o: ControllerOptions,
  ) {
    const scopes = o.namespaces ?? [undefined];
    const common = {
      backoff: o.backoff,
      watchTimeoutSeconds: o.watchTimeoutSeconds,
      log: o.logError,
      onSynced: () => this.onSynced(),
      onTrouble: (kind: string, what: "error" | "gone") => o.metrics?.watchTrouble.inc({ kind, what }),
    };
    for (const ns of scopes) {
      this.isvcs.push(
        new Reflector(kube, {
          ...common,
          apiVersion: ISVC_API_VERSION,
          kind: ISVC_KIND,
          namespace: ns,
          onChange: (_t, obj) => this.enqueue(objectKey(obj)),
        }),
      );
      if (o.llmIsvcs)
        this.llmIsvcs.push(
          new Reflector(kube, {
            ...common,
            apiVersion: "serving.kserve.io/v1alpha1",
            kind: LLMISVC_KIND,
            namespace: ns,
            onChange: (_t, obj) => this.enqueue(LLM_KEY + objectKey(obj)),
          }),
        );
      for (const k of [...MANAGED_KINDS, ...(o.llmIsvcs ? LLM_MANAGED_KINDS : [])]) {
        this.managed.push(
          new Reflector(kube, {
            ...common,
            apiVersion: k.apiVersion,
            kind: k.kind,
            namespace: ns,
            labelSelector: `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`,
            onChange: (_t, obj) => this.onManaged(obj),
          }),
        );
      }
    }
    const onNs = (t: ChangeType, obj: KubernetesObject, old?: KubernetesObject) => this.onNamespace(t, obj, old);
    this.namespaces = o.namespaces
      ? o.namespaces.map(
          (n) =>
            new Reflector(kube, {
              ...common,
              apiVersion: "v1",
              kind: "Namespace",
              fieldSelector: `metadata.name=${n}`,
              onChange: onNs,
            }),
        )
      : [new Reflector(kube, { ...common, apiVersion: "v1", kind: "Namespace", onChange: onNs })];
    this.configMap = new Reflector(kube, {
      ...common,
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: o.controlNamespace,
      fieldSelector: `metadata.name=${SWITCH_CONFIGMAP}`,
      onChange: (t, obj, old) => this.onSwitchConfigMap(t, obj, old),
    });
    this.all = [...this.isvcs, ...this.llmIsvcs, ...this.managed, ...this.namespaces, this.configMap];
  }

  /** true once every collection has been listed once */
  get ready(): boolean {
    return this.readyFlag;
  }

  start(): void {
    for (const r of this.all) r.start();
    this.worker = this.work();
    if (this.o.resyncSeconds > 0) {
      this.resyncTimer = setInterval(() => this.enqueueAll(), this.o.resyncSeconds * 1000);
      this.resyncTimer.unref();
    }
  }

  /** Stops the watches, lets the reconcile in flight finish, drops the rest of the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.resyncTimer);
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.wake?.();
    await Promise.all(this.all.map((r) => r.stop()));
    await this.worker;
  }

  private onSynced(): void {
    if (this.readyFlag || !this.all.every((r) => r.synced)) return;
    this.readyFlag = true;
    this.o.metrics?.synced.set(1);
    const isvcCount = this.isvcs.reduce((n, r) => n + r.store.size, 0);
    const llmCount = this.llmIsvcs.reduce((n, r) => n + r.store.size, 0);
    const managedCount = this.managed.reduce((n, r) => n + r.store.size, 0);
    this.o.log(
      `synced: ${isvcCount} InferenceService(s), ${this.o.llmIsvcs ? `${llmCount} LLMInferenceService(s), ` : ""}${managedCount} object(s) of ours; watching ${this.o.namespaces ? `namespace(s) ${this.o.namespaces.join(", ")}` : "all namespaces"}`,
    );
    this.enqueueAll();
  }

  private enqueueAll(): void {
    for (const r of this.isvcs) for (const k of r.store.keys()) this.enqueue(k);
    for (const r of this.llmIsvcs) for (const k of r.store.keys()) this.enqueue(LLM_KEY + k);
    // objects of ISVCs deleted while we were not watching
    for (const r of this.managed) for (const o of r.store.values()) this.onManaged(o);
  }

  private enqueue(key: string): void {
    if (this.stopping) return;
    this.queue.add(key);
    this.wake?.();
  }

  private onManaged(obj: KubernetesObject): void {
    const isvc = obj.metadata?.labels?.[LABEL_ISVC];
    if (isvc) this.enqueue(`${obj.metadata?.namespace ?? ""}/${isvc}`);
    const llm = obj.metadata?.labels?.[LABEL_LLMISVC];
    if (llm) this.enqueue(`${LLM_KEY}${obj.metadata?.namespace ?? ""}/${llm}`);
  }

  private onNamespace(t: ChangeType, obj: KubernetesObject, old: KubernetesObject | undefined): void {
    if (t === "deleted") return; // its ISVCs are deleted too, and reported as such
    if (old && namespaceEnabled(old) === namespaceEnabled(obj) && !this.attachLabelsChanged(old, obj)) return;
    if (!old && namespaceEnabled(obj)) return; // a new namespace: its ISVCs come on their own
    const ns = obj.metadata!.name!;
    for (const r of this.isvcs) for (const k of r.store.keys()) if (k.startsWith(`${ns}/`)) this.enqueue(k);
    for (const r of this.llmIsvcs)
      for (const k of r.store.keys()) if (k.startsWith(`${ns}/`)) this.enqueue(LLM_KEY + k);
  }

  // --attach auto decides from the namespace's ambient labels: a change there re-plans its ISVCs
  private attachLabelsChanged(old: KubernetesObject, obj: KubernetesObject): boolean {
    if (this.o.render.attach !== "auto") return false;
    const l = (o: KubernetesObject, k: string) => o.metadata?.labels?.[k];
    return [LABEL_DATAPLANE_MODE, LABEL_USE_WAYPOINT].some((k) => l(old, k) !== l(obj, k));
  }

  private onSwitchConfigMap(t: ChangeType, obj: KubernetesObject, old: KubernetesObject | undefined): void {
    const data = (o: KubernetesObject | undefined) => (o as { data?: Record<string, string> } | undefined)?.data ?? {};
    const before = t === "added" ? {} : data(old);
    const after = t === "deleted" ? {} : data(obj);
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if ((before[k] === "disabled") === (after[k] === "disabled")) continue;
      const dot = k.indexOf(".");
      if (dot > 0) this.enqueue(`${k.slice(0, dot)}/${k.slice(dot + 1)}`);
      if (dot > 0 && this.o.llmIsvcs) this.enqueue(`${LLM_KEY}${k.slice(0, dot)}/${k.slice(dot + 1)}`);
    }
  }

  private inScope(ns: string): boolean {
    return this.o.namespaces === undefined || this.o.namespaces.includes(ns);
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      if (!this.readyFlag || this.queue.size === 0) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      const m = this.o.metrics;
      const timer = m?.reconcileSeconds.startTimer();
      try {
        const valid = await this.reconcile(key);
        m?.reconciles.inc({ result: valid ? "ok" : "invalid" });
        const r = this.retries.get(key);
        if (r) {
          clearTimeout(r.timer);
          this.retries.delete(key);
        }
      } catch (e) {
        m?.reconciles.inc({ result: "error" });
        const r = this.retries.get(key) ?? { backoff: new Backoff(this.o.backoff) };
        this.retries.set(key, r);
        const wait = r.backoff.next();
        this.o.logError(`error: ${key}: ${errorText(e)}; retrying in ${formatDelay(wait)}`, key);
        clearTimeout(r.timer);
        r.timer = setTimeout(() => this.enqueue(key), wait);
        r.timer.unref();
      } finally {
        this.reconciles++;
        timer?.();
        m?.retrying.set(this.retries.size);
        m?.invalid.set(this.invalid.size);
      }
    }
  }

  private observedFor(ns: string, isvc: string, label = LABEL_ISVC): KubernetesObject[] {
    const out: KubernetesObject[] = [];
    for (const r of this.managed)
      for (const o of r.store.values()) {
        if (o.metadata?.namespace === ns && o.metadata?.labels?.[label] === isvc) out.push(o);
      }
    return out;
  }

  private isvcObject(key: string, from = this.isvcs): KubernetesObject | undefined {
    for (const r of from) {
      const o = r.store.get(key);
      if (o) return o;
    }
    return undefined;
  }

  /** false when the ISVC's plan is refused (its objects are left as they are) */
  private async reconcile(key: string): Promise<boolean> {
    const llm = key.startsWith(LLM_KEY);
    const ref = llm ? key.slice(LLM_KEY.length) : key;
    const slash = ref.indexOf("/");
    const ns = ref.slice(0, slash);
    const name = ref.slice(slash + 1);
    if (!this.inScope(ns)) return true;
    const kindName = llm ? LLMISVC_KIND : ISVC_KIND;
    const observed = this.observedFor(ns, name, llm ? LABEL_LLMISVC : LABEL_ISVC);
    const isvc = this.isvcObject(ref, llm ? this.llmIsvcs : this.isvcs);
    if (!isvc) {
      this.lastDiagnostics.delete(key);
      this.invalid.delete(key);
      for (const o of observed) {
        this.appliedOnce.delete(kindKey(o));
        if (await this.kube.delete(refOf(o))) {
          this.o.metrics?.objects.inc({ action: "deleted", kind: o.kind ?? "" });
          this.o.log(`deleted ${describeRef(o)} (${kindName} ${ref} deleted)`, key);
        }
      }
      return true;
    }
    const cm = this.configMap.store.get(`${this.o.controlNamespace}/${SWITCH_CONFIGMAP}`) as
      { data?: Record<string, string> } | undefined;
    const switches = (n: string) => {
      const nsObj = this.namespaces.map((r) => r.store.get(`/${n}`)).find((x) => x !== undefined);
      return {
        namespaceEnabled: namespaceEnabled(nsObj),
        disabledIsvcs: disabledIn(cm?.data, n),
        namespaceLabels: nsObj?.metadata?.labels ?? {},
      };
    };
    const plan = llm
      ? planLlmIsvc({ apiVersion: "serving.kserve.io/v1alpha1", kind: LLMISVC_KIND, ...isvc }, this.o.render, switches)
      : planIsvc({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...isvc }, this.o.render, switches);
    this.report(key, plan);
    if (!plan.ok) {
      this.invalid.add(key);
      return false; // what is in the cluster stays as it is until the ISVC is fixed
    }
    this.invalid.delete(key);

    const reasons = new Map<string, string>();
    const byKey = new Map(observed.map((o) => [kindKey(o), o]));
    for (const d of plan.desired) {
      const why = difference(d, byKey.get(kindKey(d)), this.appliedOnce.has(kindKey(d)));
      if (why) reasons.set(kindKey(d), why);
    }
    const wanted = new Set(plan.desired.map(kindKey));
    const unwanted = observed.filter((o) => !wanted.has(kindKey(o)));
    if (reasons.size === 0 && unwanted.length === 0) {
      // in line: no API call
      this.o.logVerbose?.(`in line: ${kindName} ${ref} (${plan.desired.length} object(s), none to change)`, key);
      return true;
    }

    const actions = await applyPlan(this.kube, plan, undefined, observed);
    for (const a of actions) {
      const k = `${a.ref.kind}/${a.ref.namespace}/${a.ref.name}`;
      const what = describeRef(a.ref);
      if (a.verb === "applied") {
        this.appliedOnce.add(k);
        this.o.metrics?.objects.inc({ action: "applied", kind: a.ref.kind });
        this.o.log(`applied ${what} (${reasons.get(k) ?? "re-applied"})`, key);
      } else if (a.verb === "deleted") {
        this.appliedOnce.delete(k);
        this.o.metrics?.objects.inc({ action: "deleted", kind: a.ref.kind });
        this.o.log(`deleted ${what} (${a.reason})`, key);
      } else if (a.verb === "unchanged") this.appliedOnce.add(k);
    }
    return true;
  }

  private report(key: string, plan: Plan): void {
    const text = plan.diagnostics.map(formatDiagnostic).join("\n");
    if (this.lastDiagnostics.get(key) === text) return;
    this.lastDiagnostics.set(key, text);
    if (text) this.o.logError(text, key);
  }
}

function kindKey(o: KubernetesObject): string {
  return `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
}

function describeRef(o: KubernetesObject | ObjectRef): string {
  const r: ObjectRef = "name" in o && typeof o.name === "string" ? (o as ObjectRef) : refOf(o as KubernetesObject);
  const { kind, namespace: ns, name } = r;
  return `${ns}/${name}${kind === "WasmPlugin" ? "" : ` [${kind}]`}`;
}

/** Why `observed` must be re-applied to become `desired`; undefined when it need not. */
export function difference(
  desired: KubernetesObject,
  observed: KubernetesObject | undefined,
  appliedBefore = false,
): string | undefined {
  if (!observed) return appliedBefore ? "missing: recreated" : "created";
  const parts: string[] = [];
  const ds = (desired as { spec?: Record<string, unknown> }).spec ?? {};
  const os = (observed as { spec?: Record<string, unknown> }).spec ?? {};
  // spec is ours entirely: compared exactly (a field we dropped must go)
  const cfgDiff = changedKeys(ds.pluginConfig, os.pluginConfig);
  if (cfgDiff.length > 0) parts.push(`pluginConfig changed: ${cfgDiff.join(", ")}`);
  const specDiff = changedKeys({ ...ds, pluginConfig: undefined }, { ...os, pluginConfig: undefined });
  if (specDiff.length > 0) parts.push(`spec changed: ${specDiff.join(", ")}`);
  // metadata: others may add labels or annotations; ours must be there
  const dm = desired.metadata ?? {};
  const om = observed.metadata ?? {};
  const meta: string[] = [];
  if (!subset(dm.labels, om.labels)) meta.push("labels");
  if (!subset(dm.annotations, om.annotations)) meta.push("annotations");
  if (dm.ownerReferences && !subset(dm.ownerReferences, om.ownerReferences)) meta.push("ownerReferences");
  if (meta.length > 0) parts.push(`metadata changed: ${meta.join(", ")}`);
  return parts.length > 0 ? parts.join("; ") : undefined;
}

function changedKeys(a: unknown, b: unknown): string[] {
  const ao = (a ?? {}) as Record<string, unknown>;
  const bo = (b ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  return [...keys].filter((k) => !deepEqual(ao[k], bo[k])).sort();
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a))
    return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ak.length === bk.length &&
    ak.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function subset(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (typeof want !== "object" || want === null) return want === have;
  if (typeof have !== "object" || have === null) return false;
  if (Array.isArray(want))
    return Array.isArray(have) && want.length === have.length && want.every((x, i) => subset(x, have[i]));
  return Object.entries(want).every(([k, v]) => subset(v, (have as Record<string, unknown>)[k]));
}
