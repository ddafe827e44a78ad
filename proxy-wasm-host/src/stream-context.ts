// A stream (HTTP filter) context's host-side state, with the fields Envoy's
// Context keeps (source/extensions/common/wasm/context.cc): request_headers_ &
// co. are set for the duration of a callback and cleared when the filter
// continues; access-log maps replace them in on_log; body buffers follow
// decodeData/encodeData/getBuffer.

import { BufferType, MapType, StreamType, WasmResult } from "./abi.js";
import { EMPTY_BUFFER, type HostBuffer, type MutableBuffer } from "./buffers.js";
import { ContextBase, type RootContext } from "./contexts.js";
import type { HeaderMap } from "./header-map.js";
import type { PropMap, PropTree, PropValue } from "./properties.js";
import type { WasmVm } from "./vm.js";

/** The parts of the stream driver a context acts on (http-stream.ts). */
export interface StreamActions {
  continueDecoding(): void;
  continueEncoding(): void;
  resetStream(details: string): void;
  sendLocalReply(code: number, body: Buffer, headers: HeaderMap, grpcStatus: number, details: string): void;
  streamProperties(): PropTree;
}

export class StreamContext extends ContextBase {
  readonly isRoot = false;
  requestHeaders: HeaderMap | null = null;
  requestTrailers: HeaderMap | null = null;
  responseHeaders: HeaderMap | null = null;
  responseTrailers: HeaderMap | null = null;
  /** Set only during on_log (Envoy access_log_*). */
  accessLog: { request: HeaderMap | null; response: HeaderMap | null; responseTrailers: HeaderMap | null } | null =
    null;
  /** Current chunk (request_body_buffer_) and filter-manager buffer when buffering. */
  requestBody: MutableBuffer | null = null;
  responseBody: MutableBuffer | null = null;
  bufferingRequestBody = false;
  bufferingResponseBody = false;
  requestBuffered: MutableBuffer | null = null;
  responseBuffered: MutableBuffer | null = null;
  /** set_property values (Envoy filter state "wasm.<path>"). */
  readonly filterState = new Map<string, Buffer>();

  constructor(
    vm: WasmVm,
    id: number,
    private readonly rootContext: RootContext,
    private readonly actions: StreamActions,
  ) {
    super(vm, id);
  }

  get root(): RootContext {
    return this.rootContext;
  }

  override getMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.requestHeaders;
      case MapType.RequestTrailers:
        return this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.responseHeaders;
      case MapType.ResponseTrailers:
        return this.responseTrailers;
      default:
        return null;
    }
  }

  override getConstMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.accessLog?.request ?? this.requestHeaders;
      case MapType.RequestTrailers:
        return this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.accessLog?.response ?? this.responseHeaders;
      case MapType.ResponseTrailers:
        return this.accessLog?.responseTrailers ?? this.responseTrailers;
      default:
        return super.getConstMap(type);
    }
  }

  override getBuffer(type: number): HostBuffer | null {
    if (type === BufferType.HttpRequestBody) {
      return (this.bufferingRequestBody ? this.requestBuffered : this.requestBody) ?? EMPTY_BUFFER;
    }
    if (type === BufferType.HttpResponseBody) {
      return (this.bufferingResponseBody ? this.responseBuffered : this.responseBody) ?? EMPTY_BUFFER;
    }
    return super.getBuffer(type);
  }

  override properties(): PropTree {
    const tree: PropTree = { ...this.vm.env.baseProperties(this.root.rootId) };
    // Envoy findValue: an unknown top-level name is looked up as filter state "wasm.<name>".
    for (const [k, v] of this.filterState) if (!(k in tree)) tree[k] = v;
    return { ...tree, ...this.actions.streamProperties() };
  }

  override setProperty(path: Buffer, value: Buffer): number {
    this.filterState.set(path.toString("utf8"), value);
    return WasmResult.Ok;
  }

  // Envoy Context::continueStream: deferred continueDecoding/continueEncoding; it then
  // clears the request-side pointers whichever direction was continued (as Envoy does).
  override continueStream(type: number): number {
    if (type === StreamType.Request) this.vm.addAfterCallAction(() => this.actions.continueDecoding());
    else if (type === StreamType.Response) this.vm.addAfterCallAction(() => this.actions.continueEncoding());
    else if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    else return WasmResult.BadArgument;
    this.requestHeaders = null;
    this.requestBody = null;
    this.requestTrailers = null;
    return WasmResult.Ok;
  }

  override closeStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      this.vm.addAfterCallAction(() => this.actions.resetStream("wasm_close_stream"));
    }
    return WasmResult.Ok;
  }

  override sendLocalResponse(
    code: number,
    body: Buffer,
    headers: HeaderMap,
    grpcStatus: number,
    details: string,
  ): number {
    this.vm.addAfterCallAction(() => this.actions.sendLocalReply(code, body, headers, grpcStatus, details));
    return WasmResult.Ok;
  }
}

export function headersToPropMap(h: HeaderMap | null): PropMap | undefined {
  if (!h) return undefined;
  const m: PropMap = {};
  for (const [k, v] of h.pairs()) {
    const key = Buffer.from(k).toString("utf8");
    if (m[key] === undefined) m[key] = Buffer.from(v) as PropValue;
  }
  return m;
}
