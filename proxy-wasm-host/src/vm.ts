// One Wasm VM (one instance with its own linear memory), as cpp-host's WasmBase:
// context ids from a per-VM counter, current/effective context, calls into the
// module with trap handling and deferred after-call actions, root-context
// lifecycle (start/configure/done/delete), ticks and callout delivery.

import type { BodyPool } from "./body-pool.js";
import type { StatsScope } from "./metrics.js";
import { VmMetrics } from "./metrics.js";
import { WasmMemory } from "./memory.js";
import { ContextBase, RootContext, type HttpCallResponse } from "./contexts.js";
import { HostTrap, LoadError } from "./errors.js";
import { makeEnvImports } from "./hostcalls.js";
import { makeWasiImports } from "./wasi.js";
import { WASI_MODULES, type AbiVersion } from "./signatures.js";
import type { PropTree } from "./properties.js";
import type { HeaderMap } from "./header-map.js";
import { LOG_LEVEL_NAMES } from "./abi.js";

export interface HttpCallRequest {
  cluster: string;
  headers: HeaderMap;
  body: Buffer;
  trailers: HeaderMap;
  timeoutMs: number;
}

/** What a VM needs from the host that owns it. */
export interface VmServices {
  readonly logLevel: number;
  /** wall-clock nanoseconds: proxy_get_current_time_nanoseconds and WASI's realtime clock */
  nowNs(): bigint;
  readonly stats: StatsScope;
  readonly vmConfiguration: Buffer;
  readonly envVars: readonly [string, string][];
  readonly sharedData: Map<string, { value: Buffer; cas: number }>;
  /** Where proxy_http_call copies request bodies; startHttpCall's owner gives them back. */
  readonly bodies: BodyPool;
  log(level: number, message: string, contextId: number, source: string): void;
  baseProperties(rootId: string): PropTree;
  hasCluster(name: string): boolean;
  /** Start a callout; the response must later reach vm.deliverHttpCallResponse. */
  startHttpCall(vm: WasmVm, root: RootContext, token: number, req: HttpCallRequest): { cancel(): void };
  /** Tick period of a root changed (0 disables). */
  tickPeriodChanged(vm: WasmVm, root: RootContext): void;
  /** A root context was deleted (on_delete ran or was skipped). */
  rootDeleted(vm: WasmVm, root: RootContext): void;
  /** The VM failed for good (a trap): called once. */
  vmFailed?(vm: WasmVm): void;
}

/**
 * Opt-in profile of the calls into the VM (benchmarks): wall time of each outermost
 * call into the module (proxy_on_* callbacks, host calls made inside included),
 * per export, and the bytes the host copied into / out of linear memory. Off (null)
 * by default: the only cost then is one null check per call.
 */
export class VmProfile {
  calls = 0;
  ns = 0n;
  readonly byExport = new Map<string, { calls: number; ns: bigint }>();
  /** Bytes written into linear memory by host calls (host -> VM copies). */
  bytesIn = 0;
  /** Bytes read out of linear memory by host calls (VM -> host copies). */
  bytesOut = 0;
  /** Time in host functions called by the VM during those calls (part of ns), and their number. */
  hostNs = 0n;
  hostCalls = 0;
  /** Host calls by name (WASI ones as `wasi.<name>`). */
  readonly hostCallsByName = new Map<string, number>();
  /** Blocks the host allocated in the VM (malloc calls) and their bytes. */
  allocs = 0;
  allocBytes = 0;

  reset(): void {
    this.allocs = 0;
    this.allocBytes = 0;
    this.hostNs = 0n;
    this.hostCalls = 0;
    this.hostCallsByName.clear();
    this.calls = 0;
    this.ns = 0n;
    this.byExport.clear();
    this.bytesIn = 0;
    this.bytesOut = 0;
  }

  countHostCall(name: string): void {
    this.hostCalls++;
    this.hostCallsByName.set(name, (this.hostCallsByName.get(name) ?? 0) + 1);
  }

  record(name: string, ns: bigint): void {
    this.calls++;
    this.ns += ns;
    const e = this.byExport.get(name);
    if (e) {
      e.calls++;
      e.ns += ns;
    } else this.byExport.set(name, { calls: 1, ns });
  }
}

type Exported = Record<
  string,
  ((...args: never[]) => unknown) | WebAssembly.Memory | WebAssembly.Global | WebAssembly.Table
>;

export class WasmVm {
  readonly contexts = new Map<number, ContextBase>();
  readonly metrics: VmMetrics;
  private nextContextId = 1;
  private nextHttpCallToken = 4;
  failed = false;
  failReason = "";
  current: ContextBase | null = null;
  effectiveContextId = 0;
  /** cpp-host "restricted callbacks" (during _initialize/_start and malloc). */
  restricted = false;
  /** send_local_response forces the current callback's result to Stop (stopNextIteration). */
  stopNextIteration = false;
  private depth = 0;
  private afterCall: (() => void)[] = [];
  /** Root contexts whose on_done returned false, waiting for proxy_done (cpp-host pending_done_). */
  readonly pendingDone = new Set<RootContext>();
  private instance!: WebAssembly.Instance;
  memory!: WasmMemory;
  private exportsObj!: Exported;
  private mallocName: "malloc" | "proxy_on_memory_allocate" = "malloc";
  /** See VmProfile; set with setProfile(). */
  profile: VmProfile | null = null;

  private constructor(
    readonly kind: "worker" | "canary",
    readonly abi: AbiVersion,
    readonly env: VmServices,
  ) {
    this.metrics = new VmMetrics(env.stats);
  }

  /** Instantiate and initialize (start section, then _initialize/main or _start, restricted). */
  static create(module: WebAssembly.Module, abi: AbiVersion, kind: "worker" | "canary", env: VmServices): WasmVm {
    const vm = new WasmVm(kind, abi, env);
    const imports: WebAssembly.Imports = { env: makeEnvImports(vm) };
    const wasi = makeWasiImports(vm);
    for (const m of WASI_MODULES) imports[m] = wasi;
    vm.restricted = true;
    try {
      vm.instance = new WebAssembly.Instance(module, imports);
    } catch (e) {
      throw new LoadError(`Failed to instantiate Wasm module: ${(e as Error).message}`);
    }
    vm.exportsObj = vm.instance.exports as Exported;
    const mem = vm.exportsObj["memory"];
    if (!(mem instanceof WebAssembly.Memory)) throw new LoadError("Wasm module is missing memory export");
    vm.memory = new WasmMemory(mem);
    if (typeof vm.exportsObj["malloc"] === "function") vm.mallocName = "malloc";
    else if (typeof vm.exportsObj["proxy_on_memory_allocate"] === "function")
      vm.mallocName = "proxy_on_memory_allocate";
    else throw new LoadError("Wasm module is missing malloc function.");
    // cpp-host WasmBase::initialize: _initialize (+ main(0,0) or __main_void), else _start.
    const init = (name: string, ...args: number[]): void => {
      const fn = vm.exportsObj[name];
      if (typeof fn !== "function") return;
      try {
        (fn as (...a: number[]) => unknown)(...args);
      } catch (e) {
        vm.fail(`Function: ${name} failed: ${describe(e)}`);
      }
    };
    try {
      if (typeof vm.exportsObj["_initialize"] === "function") {
        init("_initialize");
        if (typeof vm.exportsObj["main"] === "function") init("main", 0, 0);
        else if (typeof vm.exportsObj["__main_void"] === "function") init("__main_void");
      } else {
        init("_start");
      }
    } finally {
      vm.restricted = false;
    }
    if (vm.failed) throw new LoadError(`Failed to initialize Wasm code: ${vm.failReason}`);
    return vm;
  }

  get memoryBytes(): number {
    return this.memory.byteLength;
  }

  /** Starts (a fresh VmProfile) or stops (null) profiling calls into this VM. */
  setProfile(profile: VmProfile | null): void {
    this.profile = profile;
    this.memory.profile = profile;
  }

  hasExport(name: string): boolean {
    return typeof this.exportsObj[name] === "function";
  }

  log(level: number, message: string, contextId = 0): void {
    this.env.log(level, message, contextId, this.kind);
  }

  fail(reason: string): void {
    if (!this.failed) {
      this.failed = true;
      this.failReason = reason;
      this.log(5, reason);
      this.env.vmFailed?.(this);
    }
    this.afterCall = [];
  }

  /** cpp-host contextOrEffectiveContext(). */
  context(): ContextBase {
    if (this.effectiveContextId !== 0) {
      const c = this.contexts.get(this.effectiveContextId);
      if (c) return c;
    }
    if (!this.current) throw new HostTrap("host call made outside of any context");
    return this.current;
  }

  contextOrNull(): ContextBase | null {
    if (this.effectiveContextId !== 0) {
      const c = this.contexts.get(this.effectiveContextId);
      if (c) return c;
    }
    return this.current;
  }

  allocateContextId(): number {
    return this.nextContextId++;
  }

  allocateHttpCallToken(): number {
    const t = this.nextHttpCallToken;
    this.nextHttpCallToken = (this.nextHttpCallToken + 4) >>> 0 || 4;
    return t;
  }

  addAfterCallAction(f: () => void): void {
    this.afterCall.push(f);
  }

  /**
   * Calls an export on behalf of `ctx`. Returns undefined when the VM has failed,
   * the export is missing, or the call trapped (which fails the VM for good).
   */
  call(name: string, ctx: ContextBase | null, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.exportsObj[name];
    if (typeof fn !== "function") return undefined;
    const savedCurrent = this.current;
    const savedEffective = this.effectiveContextId;
    this.current = ctx;
    this.effectiveContextId = 0;
    this.depth++;
    const profile = this.depth === 1 ? this.profile : null;
    const t0 = profile !== null ? process.hrtime.bigint() : 0n;
    let result: unknown;
    try {
      result = (fn as (...a: number[]) => unknown)(...args);
    } catch (e) {
      this.fail(`Function: ${name} failed: ${describe(e)}`);
      result = undefined;
    } finally {
      if (profile !== null) profile.record(name, process.hrtime.bigint() - t0);
      this.current = savedCurrent;
      this.effectiveContextId = savedEffective;
      this.depth--;
    }
    if (this.depth === 0) this.runAfterCallActions();
    if (this.failed) return undefined;
    return typeof result === "number" ? result >>> 0 : result === undefined ? 0 : Number(result);
  }

  private runAfterCallActions(): void {
    while (this.afterCall.length > 0) {
      const f = this.afterCall.shift()!;
      f();
    }
  }

  /** cpp-host allocMemory: the module's malloc, in restricted mode. 0 => failure. */
  allocate(size: number): number {
    const fn = this.exportsObj[this.mallocName] as (n: number) => number;
    const wasRestricted = this.restricted;
    this.restricted = true;
    if (this.profile !== null) {
      this.profile.allocs++;
      this.profile.allocBytes += size;
    }
    try {
      return fn(size) >>> 0;
    } catch (e) {
      this.fail(`Function: ${this.mallocName} failed: ${describe(e)}`);
      throw e;
    } finally {
      this.restricted = wasRestricted;
    }
  }

  /** As copyToPointerSize, for `size` > 0 bytes that `fill` writes into the module's block in place. */
  fillToPointerSize(size: number, fill: (out: Uint8Array) => void, ptrPtr: number, sizePtr: number): boolean {
    const ptr = this.allocate(size);
    if (ptr === 0) return false;
    const out = this.memory.view(ptr, size);
    if (!out) return false;
    fill(out);
    return this.memory.writeU32(ptrPtr, ptr) && this.memory.writeU32(sizePtr, size);
  }

  /** cpp-host copyToPointerSize: size 0 => no malloc, writes ptr=0,size=0. */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.allocate(data.length);
      if (ptr === 0) return false;
      if (!this.memory.write(ptr, data)) return false;
    }
    return this.memory.writeU32(ptrPtr, ptr) && this.memory.writeU32(sizePtr, data.length);
  }

  // ---- root contexts -------------------------------------------------------

  /** create(root,0) -> vm_start(root, vm config size): cpp-host ContextBase::onStart. */
  startRoot(rootId: string, pluginConfig: Buffer): { root: RootContext; ok: boolean } {
    const root = new RootContext(this, this.allocateContextId(), rootId, pluginConfig);
    this.contexts.set(root.id, root);
    this.call("proxy_on_context_create", root, root.id, 0);
    let ok = !this.failed;
    if (ok && this.hasExport("proxy_on_vm_start")) {
      ok = (this.call("proxy_on_vm_start", root, root.id, this.env.vmConfiguration.length) ?? 0) !== 0;
    }
    return { root, ok: ok && !this.failed };
  }

  /** on_configure with PLUGIN_CONFIGURATION readable only meanwhile (Envoy temp_plugin_). */
  configureRoot(root: RootContext): boolean {
    if (this.failed) return false;
    if (!this.hasExport("proxy_on_configure")) return true;
    root.configuring = root.pluginConfig;
    try {
      const r = this.call("proxy_on_configure", root, root.id, root.pluginConfig.length);
      return r !== undefined && r !== 0;
    } finally {
      root.configuring = null;
    }
  }

  validateConfiguration(root: RootContext): boolean {
    if (this.failed) return false;
    if (!this.hasExport("proxy_validate_configuration")) return true;
    root.configuring = root.pluginConfig;
    try {
      const r = this.call("proxy_validate_configuration", root, root.id, root.pluginConfig.length);
      return r !== undefined && r !== 0;
    } finally {
      root.configuring = null;
    }
  }

  /**
   * Plugin released (config replaced or removed): on_done(root); true => on_delete now,
   * false => the root lives on until it calls proxy_done (cpp-host WasmBase::startShutdown).
   */
  shutdownRoot(root: RootContext): void {
    if (root.state === "deleted" || root.state === "draining") return;
    root.state = "draining";
    if (this.failed) {
      this.deleteRoot(root, false);
      return;
    }
    const done = this.hasExport("proxy_on_done") ? this.call("proxy_on_done", root, root.id) : 1;
    if (done === undefined || done !== 0) this.deleteRoot(root, true);
    else this.pendingDone.add(root);
  }

  /** proxy_done from a root pending done: delete it after the current call (cpp-host WasmBase::done). */
  done(ctx: ContextBase): number {
    if (!(ctx instanceof RootContext) || !this.pendingDone.has(ctx)) return 1; // NotFound
    this.pendingDone.delete(ctx);
    this.addAfterCallAction(() => this.deleteRoot(ctx, true));
    return 0;
  }

  /** on_delete then destroy: pending callouts cancelled (Envoy Context::~Context), timer stopped. */
  deleteRoot(root: RootContext, callOnDelete: boolean): void {
    if (root.state === "deleted") return;
    this.pendingDone.delete(root);
    if (callOnDelete && !this.failed) this.call("proxy_on_delete", root, root.id);
    root.state = "deleted";
    for (const c of root.callouts.values()) c.cancel();
    root.callouts.clear();
    root.tickPeriodMs = 0;
    this.env.tickPeriodChanged(this, root);
    this.contexts.delete(root.id);
    this.env.rootDeleted(this, root);
  }

  tick(root: RootContext): void {
    if (root.state === "deleted" || this.failed) return;
    this.call("proxy_on_tick", root, root.id);
  }

  /**
   * Envoy Context::onHttpCallSuccess / onHttpCallFailure: the response goes to the
   * ROOT context; a cancelled call (root destroyed) gets no callback.
   */
  deliverHttpCallResponse(root: RootContext, token: number, response: HttpCallResponse | null): void {
    if (!root.callouts.has(token) || root.state === "deleted") return;
    if (this.failed) {
      root.callouts.delete(token);
      return;
    }
    if (response) {
      root.httpCallResponse = response;
      try {
        this.call(
          "proxy_on_http_call_response",
          root,
          root.id,
          token,
          response.headers.size,
          response.body.length,
          response.trailers ? response.trailers.size : 0,
        );
      } finally {
        root.httpCallResponse = null;
      }
    } else {
      root.status = { code: 11, message: "reset" };
      this.call("proxy_on_http_call_response", root, root.id, token, 0, 0, 0);
      root.status = { code: 11, message: "" };
    }
    root.callouts.delete(token);
  }
}

export function describe(e: unknown): string {
  if (e instanceof WebAssembly.RuntimeError) return `Uncaught RuntimeError: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

export function levelName(level: number): string {
  return LOG_LEVEL_NAMES[level] ?? String(level);
}
