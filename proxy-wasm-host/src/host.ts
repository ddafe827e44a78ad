// WasmHost: the Node stand-in for one Envoy worker running one WasmPlugin — a
// proxy-wasm VM, its plugin root contexts (configure / reconfigure / drain), its
// HTTP streams, callouts over real sockets, ticks, logs, stats and properties.
// Usable in-process from tests and benches; sidecar.ts puts sockets around it.

import { LOG_LEVEL_NAMES, LogLevel, type LogLevelName } from "./abi.js";
import { BodyPool } from "./body-pool.js";
import { CalloutClient, localResponse, parseClusterTarget, type ClusterInput, type ClusterTarget } from "./callouts.js";
import type { HttpCallResponse, PendingCallout, RootContext } from "./contexts.js";
import { LoadError } from "./errors.js";
import { HeaderMap, type HeaderInput } from "./header-map.js";
import { HttpStream, type ConnectionInfo, type StreamHost, type StreamSink } from "./http-stream.js";
import { wallClockNs } from "./clock.js";
import { checkModule } from "./loader.js";
import { formatLog, LogStore, type LogEntry } from "./log.js";
import { StatsScope, type MetricValue } from "./metrics.js";
import type { PropTree, PropValue } from "./properties.js";
import type { AbiVersion } from "./signatures.js";
import { WasmVm, type HttpCallRequest, type VmServices } from "./vm.js";

export interface WasmHostOptions {
  /** Envoy root_id = Istio WasmPlugin spec.pluginName (the SDK looks its root context up by it). */
  rootId?: string;
  /** Envoy plugin name = Istio "<namespace>.<WasmPlugin name>" (property plugin_name). */
  pluginName?: string;
  /** Envoy vm_id (Istio leaves it empty). */
  vmId?: string;
  /** Istio node metadata of the pod (NAME, NAMESPACE, LABELS, WORKLOAD_NAME, ...). */
  nodeMetadata?: Record<string, unknown>;
  nodeId?: string;
  /** Also expose the pre-Envoy-1.33 top-level `node` property (removed by envoy PR #36619). Default true. */
  legacyNodeProperty?: boolean;
  /** Extra top-level properties (e.g. {xds: ...} overrides are merged shallowly). */
  properties?: PropTree;
  /** Envoy cluster name -> "host:port" it reaches. */
  clusters?: Record<string, ClusterInput>;
  /** Istio failStrategy FAIL_OPEN (default: FAIL_CLOSE, as Istio). */
  failOpen?: boolean;
  /** Envoy's log level: lines below it are dropped; proxy_get_log_level returns it. Default info. */
  logLevel?: LogLevelName | number;
  /** Configure a throw-away clone first and install only if it accepts (Envoy canary). Default true. */
  canary?: boolean;
  vmConfiguration?: string | Uint8Array;
  /** WasmPlugin vmConfig.env, visible through WASI environ_get. */
  env?: Record<string, string>;
  /** Envoy per_connection_buffer_limit_bytes (default 1 MiB). */
  bufferLimitBytes?: number;
  /** "timer": ticks fire on real timers; "manual": only host.tick() fires them. Default "timer". */
  ticks?: "timer" | "manual";
  /** Optional bound on how long a replaced root may stay pending after on_done returned false (Envoy: unbounded). */
  drainTimeoutMs?: number;
  /** Print log lines as they are written (true = console.error) or hand them to a function. */
  echoLogs?: boolean | ((e: LogEntry) => void);
  maxLogEntries?: number;
  /**
   * Answers callouts in-process instead of sending them over a socket (benchmarks):
   * called with each request once the VM call that made it has returned; the answer
   * (null = connection reset) is delivered from a later event-loop turn, as a socket's.
   */
  calloutResponder?: (req: HttpCallRequest) => HttpCallResponse | null;
  /**
   * "manual": callouts are not sent; they stay in pendingCallouts() until the test settles each
   * with answerCallout / resetCallout / timeOutCallout (proxytest's CallOnHttpCallResponse), so a
   * test decides what the logger answers and when. Default "socket" (or calloutResponder).
   */
  callouts?: "socket" | "manual";
  /**
   * The wall clock the module reads, in nanoseconds (default: the process's). With ticks
   * "manual", a test that moves it and calls tick() decides when retries, batches and drains are due.
   */
  clock?: () => bigint;
  /** Leave the plugin_root_id property out, as hosts other than Envoy may (portability tests). */
  omitRootIdProperty?: boolean;
  /** Bytes of a callout's answer body kept for the plugin before the callout is reset (Envoy: 32 MiB). */
  calloutResponseBufferLimit?: number;
  /**
   * Envoy's --concurrency: worker threads, each with its own VM of the module and its own root
   * context per configuration (so each has its own memory, budgets and caps), sharing one
   * stats store (counters add up; a gauge is whatever a VM last set, as Envoy's shared gauge).
   * Streams go to a worker per connection (newStream's `worker`, the sidecar's sockets), else
   * round-robin. Default 1. All workers run on this process's event loop.
   */
  workers?: number;
}

/** One Envoy worker: its VM and the root context of the configuration in force there. */
export interface HostWorker {
  readonly index: number;
  readonly vm: WasmVm;
  activeRoot: RootContext | null;
}

/**
 * The host's own stats (beside the module's): what an operator of a real Envoy reads
 * from its logs and lifecycle stats (docs/operations.md).
 */
export const HOST_STAT_VM_FAILED = "host.wasm_vm_failed";
export const HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT = "host.callout_response_over_limit";

export interface ConfigureResult {
  accepted: boolean;
  /** Configuration identical to the one in force: nothing done (same Envoy plugin key). */
  unchanged?: boolean;
  rootContextId?: number;
  reason?: string;
  /** Log lines written while configuring (canary and worker). */
  logs: LogEntry[];
}

export interface ContextCounts {
  roots: number;
  activeRoots: number;
  drainingRoots: number;
  streams: number;
}

function toPropValue(v: unknown): PropValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toPropValue).filter((x): x is PropValue => x !== undefined);
  const o: Record<string, PropValue | undefined> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = toPropValue(x);
  return o;
}

export class WasmHost implements StreamHost {
  readonly failOpen: boolean;
  readonly bufferLimitBytes: number;
  readonly stats = new StatsScope();
  readonly rootId: string;
  readonly workers: HostWorker[] = [];
  private nextWorker = 0;
  readonly abi: AbiVersion;
  private readonly module: WebAssembly.Module;
  private readonly logStore: LogStore;
  private readonly logLevelNum: number;
  private readonly clusters = new Map<string, ClusterTarget>();
  private readonly client: CalloutClient;
  private readonly bodies = new BodyPool();
  private readonly sharedData = new Map<string, { value: Buffer; cas: number }>();
  private readonly baseProps: PropTree;
  private readonly tickTimers = new Map<RootContext, NodeJS.Timeout>();
  private readonly drainTimers = new Map<RootContext, NodeJS.Timeout>();
  /** callouts "manual": the callouts waiting for the test, by token */
  // keyed by worker index and token: tokens are per VM (cpp-host nextHttpCallId), so workers reuse them
  private readonly manual = new Map<string, { deliver(response: HttpCallResponse | null): void }>();
  private readonly liveStreams = new Set<HttpStream>();
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    bytes: Uint8Array,
    readonly options: WasmHostOptions,
  ) {
    const checked = checkModule(bytes);
    this.module = checked.module;
    this.abi = checked.abi;
    this.failOpen = options.failOpen ?? false;
    this.bufferLimitBytes = options.bufferLimitBytes ?? 1024 * 1024;
    this.rootId = options.rootId ?? "";
    let overLimit = 0;
    this.client = new CalloutClient({
      responseBufferLimit: options.calloutResponseBufferLimit,
      onResponseOverLimit: () => {
        this.stats.stat(HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT, "counter").value++;
        // ENVOY_LOG_EVERY_POW_2 in AsyncRequestSharedImpl::onData.
        overLimit++;
        if ((overLimit & (overLimit - 1)) === 0) {
          this.log(3, "the buffer size limit for async client response body has been exceeded, draining data");
        }
      },
    });
    const lvl = options.logLevel ?? "info";
    this.logLevelNum = typeof lvl === "number" ? lvl : LogLevel[lvl];
    const echo =
      options.echoLogs === true ? (e: LogEntry) => console.error(formatLog(e)) : options.echoLogs || undefined;
    this.logStore = new LogStore(options.maxLogEntries ?? 10000, echo);
    for (const [name, t] of Object.entries(options.clusters ?? {})) this.clusters.set(name, parseClusterTarget(t));
    const node = {
      id: options.nodeId ?? "sidecar~127.0.0.1~pod.ns~ns.svc.cluster.local",
      metadata: toPropValue(options.nodeMetadata ?? {}),
    };
    this.baseProps = {
      plugin_name: options.pluginName ?? this.rootId,
      // a host that has no such property (some non-Envoy hosts): proxy_get_property answers NotFound
      ...(options.omitRootIdProperty ? {} : { plugin_root_id: this.rootId }),
      plugin_vm_id: options.vmId ?? "",
      xds: { node },
      ...(options.legacyNodeProperty === false ? {} : { node }),
      ...(options.properties ?? {}),
    };
  }

  /** Loads and initializes the module, one VM per worker (throws LoadError with Envoy's message on refusal). */
  static async load(bytes: Uint8Array, options: WasmHostOptions = {}): Promise<WasmHost> {
    const host = new WasmHost(bytes, options);
    // PROXY_WASM_HOST_WORKERS: the default for hosts that do not say (runs a test suite with several workers).
    const n = options.workers ?? Number(process.env["PROXY_WASM_HOST_WORKERS"] ?? 1);
    if (!Number.isInteger(n) || n < 1) throw new Error(`workers must be a positive integer, got ${String(n)}`);
    try {
      for (let i = 0; i < n; i++) {
        const vm = WasmVm.create(host.module, host.abi, "worker", host.services("worker"));
        host.workers.push({ index: i, vm, activeRoot: null });
      }
    } catch (e) {
      if (e instanceof LoadError) host.log(4, e.message);
      throw e;
    }
    return host;
  }

  /** The first worker's VM (the only one with workers: 1). */
  get vm(): WasmVm {
    return this.workers[0]!.vm;
  }

  /** The first worker's root context of the configuration in force. */
  get activeRoot(): RootContext | null {
    return this.workers[0]!.activeRoot;
  }

  // ---- configuration ----------------------------------------------------------------

  /**
   * A (new) pluginConfig, as Istio pushes it: a changed configuration gets a NEW root
   * context in the same VM; the previous root is released once its in-flight streams end
   * (on_done, then on_delete or a wait for proxy_done). A refused configuration
   * (on_configure false or trap) changes nothing: the previous one stays in force.
   */
  configure(config: string | Uint8Array | object = ""): ConfigureResult {
    const bytes =
      typeof config === "string"
        ? Buffer.from(config, "utf8")
        : config instanceof Uint8Array
          ? Buffer.from(config)
          : Buffer.from(JSON.stringify(config), "utf8");
    const logStart = this.logStore.length;
    const done = (r: Omit<ConfigureResult, "logs">): ConfigureResult => ({ ...r, logs: this.logStore.since(logStart) });
    if (this.activeRoot && this.activeRoot.pluginConfig.equals(bytes)) {
      return done({ accepted: true, unchanged: true, rootContextId: this.activeRoot.id });
    }
    if (this.workers.some((w) => w.vm.failed)) {
      this.log(4, `Wasm VM of plugin ${this.rootId} has failed; configuration not applied`);
      return done({ accepted: false, reason: "vm failed" });
    }
    if (this.options.canary ?? true) {
      let ok = false;
      let why = "proxy_on_configure returned false";
      try {
        const canary = WasmVm.create(this.module, this.abi, "canary", this.services("canary"));
        const { root, ok: started } = canary.startRoot(this.rootId, bytes);
        ok = started && canary.configureRoot(root);
        if (canary.failed) why = canary.failReason;
        else if (!started) why = "proxy_on_vm_start returned false";
      } catch (e) {
        why = (e as Error).message;
      }
      if (!ok) {
        this.log(
          4,
          `Wasm VM failed to configure plugin ${this.rootId} (canary): ${why}; the previous configuration stays in force`,
        );
        return done({ accepted: false, reason: why });
      }
    }
    // Every worker gets the configuration (Envoy: each worker's VM gets its own root context).
    const started: RootContext[] = [];
    for (const w of this.workers) {
      const { root, ok } = w.vm.startRoot(this.rootId, bytes);
      const configured = ok && w.vm.configureRoot(root);
      if (!configured) {
        const why = w.vm.failed ? w.vm.failReason : "proxy_on_configure returned false";
        this.log(4, `Failed to configure plugin ${this.rootId}: ${why}; the previous configuration stays in force`);
        if (!w.vm.failed) w.vm.shutdownRoot(root);
        for (const r of started) r.vm.shutdownRoot(r);
        return done({ accepted: false, reason: why });
      }
      started.push(root);
    }
    this.workers.forEach((w, i) => {
      const old = w.activeRoot;
      w.activeRoot = started[i]!;
      if (old) {
        old.state = "retired";
        if (old.liveStreams === 0) this.releaseRoot(old);
      }
    });
    return done({ accepted: true, rootContextId: started[0]!.id });
  }

  /** Same as configure(): Istio pushing a new pluginConfig at runtime. */
  reconfigure(config: string | Uint8Array | object): ConfigureResult {
    return this.configure(config);
  }

  /** The WasmPlugin is removed: its root is released like a replaced one. */
  removePlugin(): void {
    for (const w of this.workers) {
      const old = w.activeRoot;
      w.activeRoot = null;
      if (old) {
        old.state = "retired";
        if (old.liveStreams === 0) this.releaseRoot(old);
      }
    }
  }

  private releaseRoot(root: RootContext): void {
    root.vm.shutdownRoot(root);
    if (root.state === "draining" && this.options.drainTimeoutMs !== undefined) {
      const t = setTimeout(() => {
        this.drainTimers.delete(root);
        if (root.state === "draining") {
          this.log(
            3,
            `root context ${root.id} did not call proxy_done within ${this.options.drainTimeoutMs} ms; deleting it`,
          );
          root.vm.deleteRoot(root, true);
        }
      }, this.options.drainTimeoutMs);
      t.unref();
      this.drainTimers.set(root, t);
    }
  }

  // ---- streams ---------------------------------------------------------------------------

  /** A new HTTP stream on the configuration in force (context id allocated now, as Envoy's createFilter). */
  newStream(
    opts: {
      sink?: StreamSink;
      connection?: ConnectionInfo;
      record?: boolean;
      passThrough?: boolean;
      /** The worker that owns the stream's connection (index, taken modulo the worker count); else round-robin. */
      worker?: number;
    } = {},
  ): HttpStream {
    const w = this.workerFor(opts.worker);
    // passThrough: the same stream machinery with no filter (no VM call at all), for comparisons.
    const s = opts.passThrough
      ? new HttpStream(null, null, this, opts.sink, opts.connection, opts.record ?? true)
      : new HttpStream(w.vm, w.activeRoot, this, opts.sink, opts.connection, opts.record ?? true);
    this.liveStreams.add(s);
    return s;
  }

  /** A worker for a new connection: the next one, round-robin (Envoy balances connections over workers). */
  nextWorkerIndex(): number {
    const i = this.nextWorker;
    this.nextWorker = (i + 1) % this.workers.length;
    return i;
  }

  private workerFor(index: number | undefined): HostWorker {
    const i = index === undefined ? this.nextWorkerIndex() : index % this.workers.length;
    return this.workers[i]!;
  }

  streamFinished(stream: HttpStream): void {
    this.liveStreams.delete(stream);
    const root = stream.root;
    if (root && root.state === "retired" && root.liveStreams === 0) this.releaseRoot(root);
  }

  // ---- ticks --------------------------------------------------------------------------------

  /** Fires proxy_on_tick once on every root with a tick period (manual mode, or to hurry a timer). */
  tick(): void {
    for (const w of this.workers) {
      for (const ctx of [...w.vm.contexts.values()]) {
        const root = ctx.isRoot ? (ctx as RootContext) : null;
        if (root && root.tickPeriodMs > 0) w.vm.tick(root);
      }
    }
  }

  private armTick(vm: WasmVm, root: RootContext): void {
    const old = this.tickTimers.get(root);
    if (old) clearTimeout(old);
    this.tickTimers.delete(root);
    if (vm.kind !== "worker" || root.tickPeriodMs === 0 || root.state === "deleted" || this.closed) return;
    if ((this.options.ticks ?? "timer") !== "timer") return;
    const t = setTimeout(() => {
      this.tickTimers.delete(root);
      vm.tick(root);
      if (root.tickPeriodMs > 0 && !this.tickTimers.has(root)) this.armTick(vm, root); // re-armed after each tick
    }, root.tickPeriodMs);
    t.unref();
    this.tickTimers.set(root, t);
  }

  // ---- observation ------------------------------------------------------------------------

  logs(minLevel?: LogLevelName): LogEntry[] {
    return this.logStore.list(minLevel);
  }

  logText(minLevel?: LogLevelName): string {
    return this.logs(minLevel).map(formatLog).join("\n");
  }

  printLogs(minLevel?: LogLevelName): void {
    const t = this.logText(minLevel);
    if (t) console.error(t);
  }

  clearLogs(): void {
    this.logStore.clear();
  }

  /** A stat by the name the module defined (Envoy exports it as wasmcustom.<name>). */
  metric(name: string): bigint | undefined {
    return (this.stats.byName.get(name) ?? this.stats.byName.get(name.replace(/^wasmcustom\./, "")))?.value;
  }

  metrics(): Record<string, bigint> {
    return Object.fromEntries([...this.stats.byName.values()].map((m: MetricValue) => [m.name, m.value]));
  }

  histogram(name: string): bigint[] {
    return [...(this.stats.byName.get(name)?.samples ?? [])];
  }

  pendingCallouts(): PendingCallout[] {
    const out: PendingCallout[] = [];
    for (const w of this.workers) {
      for (const ctx of w.vm.contexts.values()) {
        if (ctx.isRoot) for (const c of (ctx as RootContext).callouts.values()) out.push({ ...c, worker: w.index });
      }
    }
    return out;
  }

  /**
   * callouts "manual": the upstream's answer to callout `token`, delivered to its root context now
   * (on_http_call_response runs inside this call). Throws when no such callout is pending.
   */
  answerCallout(
    token: number,
    answer: { status: number; headers?: HeaderInput; body?: string | Uint8Array; trailers?: HeaderInput },
    worker?: number,
  ): void {
    // :status first, as Envoy's codec puts it
    const headers = HeaderMap.from([[":status", String(answer.status)], ...HeaderMap.from(answer.headers).toArray()]);
    this.settleManual(
      token,
      {
        headers,
        body: Buffer.from(answer.body ?? ""),
        trailers: answer.trailers ? HeaderMap.from(answer.trailers) : null,
      },
      worker,
    );
  }

  /** callouts "manual": the callout's connection is reset before an answer: on_http_call_response(token, 0, 0, 0). */
  resetCallout(token: number, worker?: number): void {
    this.settleManual(token, null, worker);
  }

  /** callouts "manual": the callout's timeout runs out before response headers: the router's 504. */
  timeOutCallout(token: number, worker?: number): void {
    this.settleManual(token, localResponse(504, "upstream request timeout"), worker);
  }

  /** `worker`: whose callout, when several workers have one with this token (PendingCallout.worker). */
  private settleManual(token: number, response: HttpCallResponse | null, worker?: number): void {
    const keys =
      worker !== undefined
        ? [`${worker}:${token}`]
        : this.workers.map((w) => `${w.index}:${token}`).filter((k) => this.manual.has(k));
    if (keys.length > 1) throw new Error(`callout token ${token} is pending on several workers: say which`);
    const m = keys.length === 1 ? this.manual.get(keys[0]!) : undefined;
    if (!m) throw new Error(`no pending callout with token ${token} (callouts: "manual" only)`);
    m.deliver(response);
  }

  /** Resolves once no callout is in flight (all responses delivered or cancelled). */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Linear memory of every worker's VM together (each is bounded on its own by the module's budget). */
  get memoryBytes(): number {
    return this.workers.reduce((n, w) => n + w.vm.memoryBytes, 0);
  }

  /** A worker's VM has failed (each fails on its own, as in Envoy). */
  get failed(): boolean {
    return this.workers.some((w) => w.vm.failed);
  }

  contextCounts(): ContextCounts {
    let roots = 0,
      activeRoots = 0,
      drainingRoots = 0,
      streams = 0;
    for (const c of this.workers.flatMap((w) => [...w.vm.contexts.values()])) {
      if (c.isRoot) {
        roots++;
        const st = (c as RootContext).state;
        if (st === "active") activeRoots++;
        if (st === "draining") drainingRoots++;
      } else streams++;
    }
    return { roots, activeRoots, drainingRoots, streams };
  }

  setCluster(name: string, target: ClusterInput): void {
    this.clusters.set(name, parseClusterTarget(target));
  }

  removeCluster(name: string): void {
    this.clusters.delete(name);
  }

  /** Stops timers and cancels callouts (no callbacks). */
  close(): void {
    this.closed = true;
    for (const t of this.tickTimers.values()) clearTimeout(t);
    for (const t of this.drainTimers.values()) clearTimeout(t);
    this.tickTimers.clear();
    this.drainTimers.clear();
    for (const c of this.pendingCallouts()) c.cancel();
    this.client.close();
  }

  log(level: number, message: string, contextId = 0, source = "host"): void {
    if (level < this.logLevelNum) return;
    this.logStore.push({ level: LOG_LEVEL_NAMES[Math.min(level, 5)]!, message, contextId, source });
  }

  // ---- services for the VMs ---------------------------------------------------------------

  private services(kind: "worker" | "canary"): VmServices {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const host = this;
    return {
      logLevel: this.logLevelNum,
      nowNs: this.options.clock ?? wallClockNs,
      stats: this.stats,
      vmConfiguration: Buffer.from(this.options.vmConfiguration ?? ""),
      envVars: Object.entries(this.options.env ?? {}),
      sharedData: this.sharedData,
      bodies: this.bodies,
      log: (level, message, contextId, source) => host.log(level, message, contextId, source),
      baseProperties: () => host.baseProps,
      hasCluster: (name) => host.clusters.has(name),
      startHttpCall: (vm, root, token, req) => host.startHttpCall(vm, root, token, req, kind),
      tickPeriodChanged: (vm, root) => host.armTick(vm, root),
      vmFailed: () => {
        // A trap in a worker VM: Envoy logs it at critical and (FAIL_OPEN) skips the filter from then on.
        if (kind === "worker") host.stats.stat(HOST_STAT_VM_FAILED, "counter").value++;
      },
      rootDeleted: (_vm, root) => {
        const t = host.drainTimers.get(root);
        if (t) clearTimeout(t);
        host.drainTimers.delete(root);
      },
    };
  }

  private startHttpCall(
    vm: WasmVm,
    root: RootContext,
    token: number,
    req: HttpCallRequest,
    kind: string,
  ): { cancel(): void } {
    // The canary VM is thrown away right after configure: its callouts are never sent.
    if (kind === "canary") {
      this.bodies.give(req.body);
      return { cancel: () => undefined };
    }
    const target = this.clusters.get(req.cluster)!;
    this.inflight++;
    const responder = this.options.calloutResponder;
    let counted = true;
    const settle = (): void => {
      if (!counted) return;
      counted = false;
      this.inflight--;
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    if (this.options.callouts === "manual") {
      // held until the test settles it; the body stays lent until then
      const key = `${this.workers.findIndex((w) => w.vm === vm)}:${token}`;
      this.manual.set(key, {
        deliver: (response) => {
          this.manual.delete(key);
          try {
            vm.deliverHttpCallResponse(root, token, response);
          } finally {
            this.bodies.give(req.body);
            settle();
          }
        },
      });
      return {
        cancel: () => {
          if (!this.manual.delete(key)) return;
          this.bodies.give(req.body);
          settle();
        },
      };
    }
    if (responder) {
      let cancelled = false;
      // The body is lent to the responder for the duration of its call.
      setImmediate(() => {
        if (cancelled) return this.bodies.give(req.body);
        try {
          vm.deliverHttpCallResponse(root, token, responder(req));
        } finally {
          this.bodies.give(req.body);
          settle();
        }
      });
      return {
        cancel: () => {
          cancelled = true;
          settle();
        },
      };
    }
    const handle = this.client.send(
      target,
      req,
      (outcome) => {
        // Delivered from the socket's event-loop turn, never inside a VM call.
        try {
          vm.deliverHttpCallResponse(root, token, outcome.response);
        } finally {
          settle();
        }
      },
      () => this.bodies.give(req.body),
    );
    return {
      cancel: () => {
        handle.cancel();
        settle();
      },
    };
  }
}
