// The env.proxy_* host functions, following proxy-wasm-cpp-host src/exports.cc
// (argument checks, memory hand-off, result codes) and Envoy
// source/extensions/common/wasm/context.cc (maps, buffers, callouts, metrics).
// Every call acts on contextOrEffectiveContext(); http_call/get_status/
// set_tick_period act on its ROOT context, as in cpp-host.

import { BUFFER_TYPE_MAX, MAP_TYPE_MAX, WasmResult as R } from "./abi.js";
import { UnimplementedHostCall } from "./errors.js";
import { wrapHostFn, type HostFn } from "./host-fn.js";
import { NO_BYTES } from "./buffers.js";
import { HeaderMap } from "./header-map.js";
import { marshalPairsInto, pairsBlockIsClean, pairsSize, parsePairs } from "./pairs.js";
import type { BodyPool } from "./body-pool.js";
import { lookupProperty } from "./properties.js";
import type { ContextBase } from "./contexts.js";
import type { WasmVm } from "./vm.js";

/** A refused proxy_http_call gives its body copy back to the pool. */
function refused(pool: BodyPool, body: Buffer, rc: number): number {
  pool.give(body);
  return rc;
}

/** Names and values a header may carry on the wire: no CR, LF or NUL (Envoy header validation). */
export function invalidHeaderBytes(b: Uint8Array): boolean {
  return b.includes(0x0d) || b.includes(0x0a) || b.includes(0x00);
}

export function makeEnvImports(vm: WasmVm): Record<string, HostFn> {
  const mem = () => vm.memory;
  const ctx = (): ContextBase => vm.context();
  const u = (n: number): number => n >>> 0;

  // add / replace: Envoy checks the map type, reads key and value, then needs a mutable map.
  const setHeader = (
    type: number,
    kp: number,
    ks: number,
    vp: number,
    vs: number,
    set: (map: HeaderMap, key: Uint8Array, value: Uint8Array) => void,
  ): number => {
    if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
    const key = mem().read(kp, ks);
    const value = mem().read(vp, vs);
    if (!key || !value) return R.InvalidMemoryAccess;
    const map = ctx().getMap(u(type));
    if (!map) return R.BadArgument;
    set(map, key, value);
    return R.Ok;
  };

  const unimplemented = (name: string): HostFn =>
    (() => {
      vm.log(4, `Node host: ${name} is not implemented; trapping the VM`, vm.contextOrNull()?.id ?? 0);
      throw new UnimplementedHostCall(name);
    }) as HostFn;

  const fns: Record<string, HostFn> = {
    proxy_log: ((level: number, ptr: number, size: number): number => {
      if (u(level) > 5) return R.BadArgument;
      const msg = mem().read(ptr, size);
      if (!msg) return R.InvalidMemoryAccess;
      vm.log(level, msg.toString("utf8"), vm.contextOrNull()?.id ?? 0);
      return R.Ok;
    }) as HostFn,

    proxy_get_log_level: ((ptr: number): number =>
      mem().writeU32(ptr, vm.env.logLevel) ? R.Ok : R.InvalidMemoryAccess) as HostFn,

    proxy_get_status: ((codePtr: number, msgPtrPtr: number, msgSizePtr: number): number => {
      const root = ctx().root;
      if (!mem().writeU32(codePtr, root.status.code)) return R.InvalidMemoryAccess;
      return vm.copyToPointerSize(Buffer.from(root.status.message), msgPtrPtr, msgSizePtr)
        ? R.Ok
        : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_set_property: ((kp: number, ks: number, vp: number, vs: number): number => {
      const key = mem().read(kp, ks);
      const value = mem().read(vp, vs);
      if (!key || !value) return R.InvalidMemoryAccess;
      return ctx().setProperty(key, value);
    }) as HostFn,

    proxy_get_property: ((pp: number, ps: number, rpp: number, rsp: number): number => {
      const path = mem().read(pp, ps);
      if (!path) return R.InvalidMemoryAccess;
      const { result, value } = lookupProperty(ctx().properties(), path);
      if (result !== R.Ok) return result;
      return vm.copyToPointerSize(value!, rpp, rsp) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_send_local_response: ((
      code: number,
      dp: number,
      ds: number,
      bp: number,
      bs: number,
      hp: number,
      hs: number,
      grpc: number,
    ): number => {
      const details = mem().read(dp, ds);
      const body = mem().read(bp, bs);
      const hdrs = mem().read(hp, hs);
      if (!details || !body || !hdrs) return R.InvalidMemoryAccess;
      const r = ctx().sendLocalResponse(
        u(code),
        body,
        HeaderMap.fromPairs(parsePairs(hdrs)),
        grpc | 0,
        details.toString("utf8"),
      );
      vm.stopNextIteration = true; // cpp-host: wasm()->stopNextIteration(true)
      return r;
    }) as HostFn,

    proxy_get_shared_data: ((kp: number, ks: number, vpp: number, vsp: number, casPtr: number): number => {
      const key = mem().read(kp, ks);
      if (!key) return R.InvalidMemoryAccess;
      const e = vm.env.sharedData.get(key.toString("latin1"));
      if (!e) return R.NotFound;
      if (!vm.copyToPointerSize(e.value, vpp, vsp)) return R.InvalidMemoryAccess;
      return mem().writeU32(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_set_shared_data: ((kp: number, ks: number, vp: number, vs: number, cas: number): number => {
      const key = mem().read(kp, ks);
      const value = mem().read(vp, vs);
      if (!key || !value) return R.InvalidMemoryAccess;
      const k = key.toString("latin1");
      const e = vm.env.sharedData.get(k);
      if (e && u(cas) !== 0 && u(cas) !== e.cas) return R.CasMismatch;
      vm.env.sharedData.set(k, { value, cas: ((e?.cas ?? 0) + 1) >>> 0 || 1 });
      return R.Ok;
    }) as HostFn,

    proxy_register_shared_queue: unimplemented("proxy_register_shared_queue"),
    proxy_resolve_shared_queue: unimplemented("proxy_resolve_shared_queue"),
    proxy_dequeue_shared_queue: unimplemented("proxy_dequeue_shared_queue"),
    proxy_enqueue_shared_queue: unimplemented("proxy_enqueue_shared_queue"),

    proxy_get_header_map_value: ((type: number, kp: number, ks: number, vpp: number, vsp: number): number => {
      if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
      const key = mem().read(kp, ks);
      if (!key) return R.InvalidMemoryAccess;
      const map = ctx().getConstMap(u(type));
      if (!map) return R.BadArgument;
      const v = map.peek(key);
      if (v === undefined) return R.NotFound; // ABI 0.2.x (0.1.0 answered Ok + "")
      return vm.copyToPointerSize(v, vpp, vsp) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_add_header_map_value: ((type: number, kp: number, ks: number, vp: number, vs: number): number =>
      setHeader(type, kp, ks, vp, vs, (map, k, v) => map.addBytes(k, v))) as HostFn,

    proxy_replace_header_map_value: ((type: number, kp: number, ks: number, vp: number, vs: number): number =>
      setHeader(type, kp, ks, vp, vs, (map, k, v) => map.replace(k, v))) as HostFn,

    proxy_remove_header_map_value: ((type: number, kp: number, ks: number): number => {
      if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
      const key = mem().read(kp, ks);
      if (!key) return R.InvalidMemoryAccess;
      const map = ctx().getMap(u(type));
      if (!map) return R.BadArgument;
      map.remove(key);
      return R.Ok;
    }) as HostFn,

    proxy_get_header_map_pairs: ((type: number, ptrPtr: number, sizePtr: number): number => {
      if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
      const map = ctx().getConstMap(u(type));
      const pairs = map ? map.pairs() : [];
      // Envoy: an unavailable or empty map is Ok with ptr=0,size=0 (no malloc).
      if (pairs.length === 0) return vm.copyToPointerSize(NO_BYTES, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      // Serialized straight into the module's block (cpp-host marshals into its malloc'd memory too).
      return vm.fillToPointerSize(pairsSize(pairs), (out) => marshalPairsInto(pairs, out), ptrPtr, sizePtr)
        ? R.Ok
        : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_set_header_map_pairs: ((type: number, ptr: number, size: number): number => {
      if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
      const data = mem().read(ptr, size);
      if (!data) return R.InvalidMemoryAccess;
      const map = ctx().getMap(u(type));
      if (!map) return R.BadArgument;
      map.clear();
      for (const [k, v] of parsePairs(data)) map.addBytes(k, v);
      return R.Ok;
    }) as HostFn,

    proxy_get_header_map_size: ((type: number, resultPtr: number): number => {
      if (u(type) > MAP_TYPE_MAX) return R.BadArgument;
      const map = ctx().getMap(u(type));
      if (!map) return R.BadArgument;
      return mem().writeU32(resultPtr, map.byteSize()) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_get_buffer_status: ((type: number, lenPtr: number, flagsPtr: number): number => {
      if (u(type) > BUFFER_TYPE_MAX) return R.BadArgument;
      const buf = ctx().getBuffer(u(type));
      if (!buf) return R.NotFound;
      // cpp-host: flags are always 0.
      return mem().writeU32(lenPtr, buf.size()) && mem().writeU32(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_get_buffer_bytes: ((type: number, start: number, length: number, ptrPtr: number, sizePtr: number): number => {
      if (u(type) > BUFFER_TYPE_MAX) return R.BadArgument;
      const buf = ctx().getBuffer(u(type));
      if (!buf) return R.NotFound;
      // cpp-host: Words are 64-bit, so start+length never overflows for u32 inputs.
      const s = u(start);
      let len = u(length);
      const size = buf.size();
      if (s > size) len = 0;
      else if (s + len > size) len = size - s;
      const data = len === 0 ? NO_BYTES : buf.read(s, len);
      return vm.copyToPointerSize(data, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_set_buffer_bytes: ((type: number, start: number, length: number, dp: number, ds: number): number => {
      if (u(type) > BUFFER_TYPE_MAX) return R.BadArgument;
      const buf = ctx().getBuffer(u(type));
      if (!buf) return R.NotFound;
      const data = mem().read(dp, ds);
      if (!data) return R.InvalidMemoryAccess;
      if (!buf.copyFrom) return R.BadArgument; // immutable buffer
      return buf.copyFrom(u(start), u(length), data);
    }) as HostFn,

    proxy_http_call: ((
      up: number,
      us: number,
      hp: number,
      hs: number,
      bp: number,
      bs: number,
      tp: number,
      ts: number,
      timeout: number,
      tokenPtr: number,
    ): number => {
      const root = ctx().root; // cpp-host: contextOrEffectiveContext()->root_context()
      const cluster = mem().read(up, us);
      const hdrs = mem().read(hp, hs);
      const trls = mem().read(tp, ts);
      if (!cluster || !hdrs || !trls) return R.InvalidMemoryAccess;
      const pool = vm.env.bodies;
      const body = mem().readWith(bp, bs, pool);
      if (!body) return R.InvalidMemoryAccess;
      const headerPairs = parsePairs(hdrs);
      const trailerPairs = parsePairs(trls);
      const headers = HeaderMap.fromPairs(headerPairs);
      const trailers = HeaderMap.fromPairs(trailerPairs);
      if (!mem().writeU32(tokenPtr, 0)) return refused(pool, body, R.InvalidMemoryAccess); // verify memory before starting
      // Envoy Context::httpCall, in this order.
      if ((timeout | 0) < 0) return refused(pool, body, R.BadArgument);
      const clusterName = cluster.toString("utf8");
      if (!vm.env.hasCluster(clusterName)) return refused(pool, body, R.BadArgument);
      if (!headers.has(":path") || !headers.has(":method") || !headers.has(":authority"))
        return refused(pool, body, R.BadArgument);
      if (!pairsBlockIsClean(hdrs, headerPairs) || !pairsBlockIsClean(trls, trailerPairs)) {
        for (const [k, v] of [...headers.pairs(), ...trailers.pairs()]) {
          if (k.length === 0 || invalidHeaderBytes(k) || invalidHeaderBytes(v)) {
            vm.log(
              3,
              `proxy_http_call: header ${JSON.stringify(Buffer.from(k).toString("latin1"))} has a CR, LF or NUL byte; refused`,
              root.id,
            );
            return refused(pool, body, R.BadArgument);
          }
        }
      }
      if (body.length > 0) headers.replace("content-length", String(body.length));
      const token = vm.allocateHttpCallToken();
      const req = { cluster: clusterName, headers, body, trailers, timeoutMs: u(timeout) };
      const handle = vm.env.startHttpCall(vm, root, token, req);
      root.callouts.set(token, {
        token,
        rootContextId: root.id,
        cluster: clusterName,
        headers,
        body,
        timeoutMs: u(timeout),
        cancel: handle.cancel,
      });
      mem().writeU32(tokenPtr, token);
      return R.Ok;
    }) as HostFn,

    proxy_grpc_call: unimplemented("proxy_grpc_call"),
    proxy_grpc_stream: unimplemented("proxy_grpc_stream"),
    proxy_grpc_close: unimplemented("proxy_grpc_close"),
    proxy_grpc_cancel: unimplemented("proxy_grpc_cancel"),
    proxy_grpc_send: unimplemented("proxy_grpc_send"),

    proxy_set_tick_period_milliseconds: ((period: number): number => {
      const root = ctx().root;
      root.tickPeriodMs = u(period);
      vm.env.tickPeriodChanged(vm, root);
      return R.Ok;
    }) as HostFn,

    proxy_get_current_time_nanoseconds: ((ptr: number): number =>
      mem().writeU64(ptr, vm.env.nowNs()) ? R.Ok : R.InvalidMemoryAccess) as HostFn,

    proxy_define_metric: ((type: number, np: number, ns: number, idPtr: number): number => {
      const name = mem().read(np, ns);
      if (!name) return R.InvalidMemoryAccess;
      const { result, id } = vm.metrics.define(u(type), name.toString("utf8"));
      if (result !== R.Ok) return result;
      return mem().writeU32(idPtr, id!) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_increment_metric: ((id: number, offset: bigint): number =>
      vm.metrics.increment(u(id), BigInt.asIntN(64, offset))) as HostFn,

    proxy_record_metric: ((id: number, value: bigint): number =>
      vm.metrics.record(u(id), BigInt.asUintN(64, value))) as HostFn,

    proxy_get_metric: ((id: number, ptr: number): number => {
      const { result, value } = vm.metrics.get(u(id));
      if (result !== R.Ok) return result;
      return mem().writeU64(ptr, value!) ? R.Ok : R.InvalidMemoryAccess;
    }) as HostFn,

    proxy_set_effective_context: ((id: number): number => {
      if (!vm.contexts.has(u(id))) return R.BadArgument;
      vm.effectiveContextId = u(id);
      return R.Ok;
    }) as HostFn,

    proxy_done: ((): number => vm.done(ctx())) as HostFn,

    proxy_call_foreign_function: ((np: number, ns: number, ap: number, as: number): number => {
      const name = mem().read(np, ns);
      const args = mem().read(ap, as);
      if (!name || !args) return R.InvalidMemoryAccess;
      // No foreign functions are registered in this host (Envoy registers e.g. compress,
      // declare_property): NotFound, as cpp-host answers for an unknown name.
      vm.log(
        3,
        `Node host: foreign function ${JSON.stringify(name.toString("utf8"))} is not registered (NotFound)`,
        ctx().id,
      );
      return R.NotFound;
    }) as HostFn,

    proxy_continue_stream: ((type: number): number =>
      u(type) > 3 ? R.BadArgument : ctx().continueStream(u(type))) as HostFn,

    proxy_close_stream: ((type: number): number =>
      u(type) > 3 ? R.BadArgument : ctx().closeStream(u(type))) as HostFn,

    pthread_equal: ((a: number, b: number): number => (a === b ? 1 : 0)) as HostFn,
    emscripten_notify_memory_growth: (() => undefined) as HostFn,
    envoy_resolve_dns: unimplemented("envoy_resolve_dns"),
  };

  if (vm.abi === "0_2_1") fns["proxy_get_log_level"] = fns["proxy_get_log_level"]!;
  else delete fns["proxy_get_log_level"];

  // proxy_log (and the two no-op stubs) are allowed in restricted mode, as in cpp-host.
  const out: Record<string, HostFn> = {};
  for (const [name, f] of Object.entries(fns)) {
    const restricted = !(
      name === "proxy_log" ||
      name === "pthread_equal" ||
      name === "emscripten_notify_memory_growth"
    );
    out[name] = wrapHostFn(vm, name, f, restricted);
  }
  return out;
}
