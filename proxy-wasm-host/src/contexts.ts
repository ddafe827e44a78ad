// Host-side state of proxy-wasm contexts (Envoy source/extensions/common/wasm/context.cc
// Context): what each one exposes to host calls (maps, buffers, properties).
// Stream contexts are in stream-context.ts.

import { BufferType, MapType, WasmResult } from "./abi.js";
import { ConstBuffer, EMPTY_BUFFER, type HostBuffer } from "./buffers.js";
import type { HeaderMap } from "./header-map.js";
import type { PropTree } from "./properties.js";
import type { WasmVm } from "./vm.js";

export interface HttpCallResponse {
  headers: HeaderMap;
  body: Buffer;
  trailers: HeaderMap | null;
}

/** One proxy_http_call in flight, owned by a root context. */
export interface PendingCallout {
  token: number;
  rootContextId: number;
  cluster: string;
  /** Request headers as the module sent them (pseudo-headers included). */
  headers: HeaderMap;
  body: Buffer;
  timeoutMs: number;
  /** The worker whose VM made it (set by WasmHost.pendingCallouts). */
  worker?: number;
  cancel(): void;
}

export abstract class ContextBase {
  constructor(
    readonly vm: WasmVm,
    readonly id: number,
  ) {}

  abstract get root(): RootContext;
  abstract readonly isRoot: boolean;

  /** Mutable map (Envoy getMap): null => BadArgument for mutations. */
  getMap(_type: number): HeaderMap | null {
    return null;
  }

  /** Readable map (Envoy getConstMap). */
  getConstMap(type: number): HeaderMap | null {
    const r = this.root.httpCallResponse;
    if (type === MapType.HttpCallResponseHeaders) return r ? r.headers : null;
    if (type === MapType.HttpCallResponseTrailers) return r ? r.trailers : null;
    return null;
  }

  getBuffer(type: number): HostBuffer | null {
    switch (type) {
      case BufferType.VmConfiguration:
        return new ConstBuffer(this.vm.env.vmConfiguration);
      case BufferType.PluginConfiguration: {
        const cfg = this.root.configuring;
        return cfg ? new ConstBuffer(cfg) : null;
      }
      case BufferType.HttpCallResponseBody: {
        const r = this.root.httpCallResponse;
        return r ? new ConstBuffer(r.body) : null;
      }
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
      case BufferType.NetworkDownstreamData:
      case BufferType.NetworkUpstreamData:
      case BufferType.GrpcReceiveBuffer:
      case BufferType.CallData:
        // Envoy buffer_.set(nullptr): a buffer of size 0, not NotFound.
        return EMPTY_BUFFER;
      default:
        return null;
    }
  }

  abstract properties(): PropTree;

  continueStream(_type: number): number {
    return WasmResult.Ok; // Envoy: no decoder/encoder callbacks => nothing to do, Ok.
  }

  closeStream(_type: number): number {
    return WasmResult.Ok;
  }

  sendLocalResponse(_code: number, _body: Buffer, _headers: HeaderMap, _grpcStatus: number, _details: string): number {
    return WasmResult.Ok; // Envoy: ignored without decoder callbacks (root context).
  }

  setProperty(_path: Buffer, _value: Buffer): number {
    return WasmResult.NotFound; // Envoy: no stream info on a root context.
  }
}

export type RootState = "active" | "retired" | "draining" | "deleted";

export class RootContext extends ContextBase {
  readonly isRoot = true;
  /** Set only while on_configure/validate run (Envoy temp_plugin_). */
  configuring: Buffer | null = null;
  httpCallResponse: HttpCallResponse | null = null;
  readonly callouts = new Map<number, PendingCallout>();
  status = { code: 0, message: "" };
  tickPeriodMs = 0;
  tickTimer: NodeJS.Timeout | null = null;
  state: RootState = "active";
  liveStreams = 0;

  constructor(
    vm: WasmVm,
    id: number,
    readonly rootId: string,
    readonly pluginConfig: Buffer,
  ) {
    super(vm, id);
  }

  get root(): RootContext {
    return this;
  }

  properties(): PropTree {
    return this.vm.env.baseProperties(this.rootId);
  }
}
