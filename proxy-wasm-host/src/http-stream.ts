// One HTTP stream through the filter: Envoy's HTTP filter manager as seen by a
// single Wasm filter (Envoy source/common/http/filter_manager.cc and
// source/extensions/common/wasm/context.cc decodeHeaders/decodeData/...).
// Data flows in from the client (request) and the upstream (response); what the
// filter lets through is forwarded to a StreamSink (the other side) and recorded.

import {
  DEFAULT_BUFFER_LIMIT,
  FilterDataStatus as D,
  FilterHeadersStatus as H,
  FilterTrailersStatus as T,
  convertDataStatus,
  convertHeadersStatus,
  convertTrailersStatus,
} from "./abi.js";
import { MutableBuffer } from "./buffers.js";
import type { RootContext } from "./contexts.js";
import { HeaderMap, type HeaderInput } from "./header-map.js";
import type { PropTree } from "./properties.js";
import { headersToPropMap, StreamContext, type StreamActions } from "./stream-context.js";
import type { WasmVm } from "./vm.js";

export interface LocalReply {
  status: number;
  body: Buffer;
  headers: HeaderMap;
  details: string;
  grpcStatus: number;
}

/** Where the filter's output goes (the sidecar plugs sockets in here). All optional. */
export interface StreamSink {
  upstreamHeaders?(headers: HeaderMap, endOfStream: boolean): void;
  upstreamData?(data: Buffer, endOfStream: boolean): void;
  upstreamTrailers?(trailers: HeaderMap): void;
  downstreamHeaders?(headers: HeaderMap, endOfStream: boolean): void;
  downstreamData?(data: Buffer, endOfStream: boolean): void;
  downstreamTrailers?(trailers: HeaderMap): void;
  localReply?(reply: LocalReply): void;
  reset?(details: string): void;
}

export interface ForwardRecord {
  headers: HeaderMap | null;
  chunks: Buffer[];
  trailers: HeaderMap | null;
  ended: boolean;
}

export interface ConnectionInfo {
  sourceAddress?: string;
  sourcePort?: number;
  destinationAddress?: string;
  destinationPort?: number;
}

/** What the stream needs from its host. */
export interface StreamHost {
  readonly failOpen: boolean;
  readonly bufferLimitBytes: number;
  streamFinished(stream: HttpStream): void;
}

type Dir = "request" | "response";

class DirectionState {
  heldHeaders: HeaderMap | null = null;
  heldHeadersEos = false;
  headersForwarded = false;
  /** Headers returned StopAll*: later data is buffered without calling the filter. */
  stoppedAll = false;
  stopAllBuffer = false;
  /** Filter-manager buffer: data not yet forwarded. */
  buffer = new MutableBuffer();
  bufferingForFilter = false;
  heldTrailers: HeaderMap | null = null;
  observedEos = false;
  ignoreRest = false;
  ended = false;
  readonly record: ForwardRecord = { headers: null, chunks: [], trailers: null, ended: false };
}

export class HttpStream implements StreamActions {
  readonly context: StreamContext | null;
  /** False once the filter is skipped (no plugin, or fail-open after a VM failure). */
  filterActive: boolean;
  localReply: LocalReply | null = null;
  resetDetails: string | null = null;
  finished = false;
  readonly startedNs = BigInt(Date.now()) * 1_000_000n;
  private readonly req = new DirectionState();
  private readonly resp = new DirectionState();
  private lastRequestHeaders: HeaderMap | null = null;
  private lastResponseHeaders: HeaderMap | null = null;
  private lastResponseTrailers: HeaderMap | null = null;
  private created = false;

  constructor(
    private readonly vm: WasmVm | null,
    readonly root: RootContext | null,
    private readonly host: StreamHost,
    private readonly sink: StreamSink = {},
    readonly connection: ConnectionInfo = {},
    private readonly recordData = true,
  ) {
    this.filterActive = !!vm && !!root && !(vm.failed && host.failOpen);
    this.context = vm && root && this.filterActive ? new StreamContext(vm, vm.allocateContextId(), root, this) : null;
  }

  get id(): number {
    return this.context?.id ?? 0;
  }

  /** What reached the upstream (model server) and the client. */
  get upstream(): ForwardRecord {
    return this.req.record;
  }
  get downstream(): ForwardRecord {
    return this.resp.record;
  }
  get upstreamBody(): Buffer {
    return Buffer.concat(this.req.record.chunks);
  }
  get downstreamBody(): Buffer {
    return Buffer.concat(this.resp.record.chunks);
  }

  private dir(d: Dir): DirectionState {
    return d === "request" ? this.req : this.resp;
  }

  private get stopped(): boolean {
    return this.finished || this.localReply !== null || this.resetDetails !== null;
  }

  // ---- inputs ----------------------------------------------------------------

  sendRequestHeaders(input: HeaderInput | HeaderMap, opts: { endOfStream?: boolean } = {}): number {
    return this.onHeaders("request", toMap(input), !!opts.endOfStream);
  }
  sendRequestBody(chunk: Uint8Array | string, opts: { endOfStream?: boolean } = {}): number {
    return this.onData("request", toBuf(chunk), !!opts.endOfStream);
  }
  sendRequestTrailers(input: HeaderInput | HeaderMap): number {
    return this.onTrailers("request", toMap(input));
  }
  sendResponseHeaders(input: HeaderInput | HeaderMap, opts: { endOfStream?: boolean } = {}): number {
    return this.onHeaders("response", toMap(input), !!opts.endOfStream);
  }
  sendResponseBody(chunk: Uint8Array | string, opts: { endOfStream?: boolean } = {}): number {
    return this.onData("response", toBuf(chunk), !!opts.endOfStream);
  }
  sendResponseTrailers(input: HeaderInput | HeaderMap): number {
    return this.onTrailers("response", toMap(input));
  }

  /** Envoy's end of stream: proxy_on_log -> proxy_on_done -> proxy_on_delete (envoy PR #12850). */
  complete(): void {
    if (this.finished) return;
    this.finished = true;
    const ctx = this.context;
    if (ctx && this.created && this.vm && !this.vm.failed) {
      ctx.accessLog = {
        request: this.lastRequestHeaders,
        response: this.lastResponseHeaders,
        responseTrailers: this.lastResponseTrailers,
      };
      ctx.requestHeaders = ctx.responseHeaders = ctx.requestTrailers = ctx.responseTrailers = null;
      ctx.requestBody = ctx.responseBody = null;
      ctx.bufferingRequestBody = ctx.bufferingResponseBody = false;
      this.vm.call("proxy_on_log", ctx, ctx.id);
      ctx.accessLog = null;
      this.vm.call("proxy_on_done", ctx, ctx.id); // a stream's on_done result is ignored
      this.vm.call("proxy_on_delete", ctx, ctx.id);
    }
    if (ctx) this.vm!.contexts.delete(ctx.id);
    if (this.created && this.root) this.root.liveStreams--;
    this.host.streamFinished(this);
  }

  // ---- filter callbacks --------------------------------------------------------

  private ensureCreated(): void {
    if (this.created || !this.context || !this.vm || !this.root) return;
    this.created = true;
    this.root.liveStreams++;
    this.vm.contexts.set(this.context.id, this.context);
    this.vm.call("proxy_on_context_create", this.context, this.context.id, this.root.id);
  }

  /** Before calling the filter: false when it must be skipped (and the event passed on). */
  private filterRuns(d: Dir): boolean {
    if (!this.filterActive || !this.context || !this.vm) return false;
    if (d === "request") this.ensureCreated();
    if (!this.created) return false;
    if (this.vm.failed) return this.failStream(d);
    return true;
  }

  /** cpp-host CHECK_FAIL_HTTP: fail-open skips the filter, fail-closed fails the stream. */
  private failStream(d: Dir): boolean {
    if (this.host.failOpen) {
      this.filterActive = false;
      this.flushHeld("request");
      this.flushHeld("response");
      return false;
    }
    this.sendLocalReply(503, Buffer.alloc(0), new HeaderMap(), -1, "wasm_fail_stream", d);
    return false;
  }

  private onHeaders(d: Dir, map: HeaderMap, eos: boolean): number {
    if (this.stopped) return H.StopAllIterationAndWatermark;
    const st = this.dir(d);
    if (d === "request") this.lastRequestHeaders = map;
    else this.lastResponseHeaders = map;
    if (d === "request" && this.filterActive && this.vm?.failed && !this.host.failOpen) {
      this.ensureCreated();
      this.failStream(d);
      return H.StopAllIterationAndWatermark;
    }
    if (!this.filterRuns(d)) {
      if (!this.stopped) this.forwardHeaders(d, map, eos);
      return this.stopped ? H.StopAllIterationAndWatermark : H.Continue;
    }
    const ctx = this.context!;
    const vm = this.vm!;
    if (eos) st.observedEos = true;
    if (d === "request") ctx.requestHeaders = map;
    else ctx.responseHeaders = map;
    const raw = vm.call(
      d === "request" ? "proxy_on_request_headers" : "proxy_on_response_headers",
      ctx,
      ctx.id,
      map.size,
      eos ? 1 : 0,
    );
    if (raw === undefined && vm.failed) {
      if (!this.failStream(d) && !this.stopped) this.forwardHeaders(d, map, eos);
      return this.stopped ? H.StopAllIterationAndWatermark : H.Continue;
    }
    let status = convertHeadersStatus(raw ?? 0);
    if (vm.stopNextIteration) {
      vm.stopNextIteration = false;
      status = H.StopAllIterationAndWatermark;
    }
    if (this.stopped) return status;
    if (status === H.Continue || status === H.ContinueAndEndStream) {
      if (d === "request") ctx.requestHeaders = null;
      else ctx.responseHeaders = null;
      const end = eos || status === H.ContinueAndEndStream;
      if (status === H.ContinueAndEndStream) st.ignoreRest = true;
      this.forwardHeaders(d, map, end);
    } else {
      st.heldHeaders = map;
      st.heldHeadersEos = eos;
      st.stoppedAll = true;
      st.stopAllBuffer = status === H.StopAllIterationAndBuffer;
    }
    return status;
  }

  private onData(d: Dir, chunk: Buffer, eos: boolean): number {
    if (this.stopped) return D.StopIterationNoBuffer;
    const st = this.dir(d);
    if (st.ignoreRest) return D.Continue;
    if (eos) st.observedEos = true;
    if (this.filterActive && st.stoppedAll) {
      st.buffer.append(chunk);
      if (st.stopAllBuffer) this.checkBufferLimit(d);
      return D.StopIterationAndBuffer;
    }
    if (!this.filterRuns(d)) {
      if (!this.stopped) this.forwardData(d, chunk, eos && !st.heldTrailers);
      return D.Continue;
    }
    const ctx = this.context!;
    const vm = this.vm!;
    let current: MutableBuffer | null = null;
    let size: number;
    if (st.bufferingForFilter) {
      st.buffer.append(chunk);
      size = st.buffer.size();
    } else {
      current = new MutableBuffer(chunk);
      size = chunk.length;
    }
    if (d === "request") {
      ctx.requestBody = current;
      ctx.requestBuffered = st.buffer;
    } else {
      ctx.responseBody = current;
      ctx.responseBuffered = st.buffer;
    }
    const raw = vm.call(
      d === "request" ? "proxy_on_request_body" : "proxy_on_response_body",
      ctx,
      ctx.id,
      size,
      eos ? 1 : 0,
    );
    if (raw === undefined && vm.failed) {
      if (!this.failStream(d) && !this.stopped) {
        const out = current ? Buffer.concat([st.buffer.data, current.data]) : st.buffer.data;
        st.buffer = new MutableBuffer();
        this.forwardData(d, out, eos);
      }
      return this.stopped ? D.StopIterationNoBuffer : D.Continue;
    }
    let status = convertDataStatus(raw ?? 0);
    if (vm.stopNextIteration) {
      vm.stopNextIteration = false;
      status = D.StopIterationNoBuffer;
    }
    const wasBuffering = st.bufferingForFilter;
    if (d === "request") ctx.bufferingRequestBody = false;
    else ctx.bufferingResponseBody = false;
    st.bufferingForFilter = false;
    if (this.stopped) return status;
    switch (status) {
      case D.Continue: {
        if (d === "request") ctx.requestBody = null;
        else ctx.responseBody = null;
        // Nothing held from before: the chunk goes on as it is (no copy, as Envoy's buffer move).
        const out = wasBuffering
          ? st.buffer.data
          : st.buffer.size() === 0
            ? current!.data
            : Buffer.concat([st.buffer.data, current!.data]);
        st.buffer = new MutableBuffer();
        this.forwardData(d, out, eos);
        break;
      }
      case D.StopIterationAndBuffer:
        if (!wasBuffering) st.buffer.append(current!.data);
        st.bufferingForFilter = true;
        if (d === "request") ctx.bufferingRequestBody = true;
        else ctx.bufferingResponseBody = true;
        this.checkBufferLimit(d);
        break;
      case D.StopIterationAndWatermark:
        if (!wasBuffering) st.buffer.append(current!.data);
        break;
      default: // StopIterationNoBuffer: the filter keeps nothing; the chunk is not passed on.
        break;
    }
    return status;
  }

  private onTrailers(d: Dir, map: HeaderMap): number {
    if (this.stopped) return T.StopIteration;
    const st = this.dir(d);
    if (st.ignoreRest) return T.Continue;
    st.observedEos = true;
    if (d === "response") this.lastResponseTrailers = map;
    if (this.filterActive && st.stoppedAll) {
      st.heldTrailers = map;
      return T.StopIteration;
    }
    if (!this.filterRuns(d)) {
      if (!this.stopped) this.forwardTrailers(d, map);
      return T.Continue;
    }
    const ctx = this.context!;
    const vm = this.vm!;
    if (d === "request") ctx.requestTrailers = map;
    else ctx.responseTrailers = map;
    const raw = vm.call(
      d === "request" ? "proxy_on_request_trailers" : "proxy_on_response_trailers",
      ctx,
      ctx.id,
      map.size,
    );
    if (raw === undefined && vm.failed) {
      if (!this.failStream(d) && !this.stopped) this.forwardTrailers(d, map);
      return this.stopped ? T.StopIteration : T.Continue;
    }
    let status = convertTrailersStatus(raw ?? 0);
    if (vm.stopNextIteration) {
      vm.stopNextIteration = false;
      status = T.StopIteration;
    }
    if (this.stopped) return status;
    if (status === T.Continue) {
      if (d === "request") ctx.requestTrailers = null;
      else ctx.responseTrailers = null;
      this.flushBufferThenTrailers(d, map);
    } else {
      st.heldTrailers = map;
    }
    return status;
  }

  // ---- StreamActions (called from deferred after-VM-call actions) -------------

  continueDecoding(): void {
    this.continueDir("request");
  }
  continueEncoding(): void {
    this.continueDir("response");
  }

  private continueDir(d: Dir): void {
    if (this.stopped) return;
    const st = this.dir(d);
    if (st.stoppedAll) {
      // Envoy commonContinue after StopAll: headers go on, then the buffered data is
      // delivered to this filter (CanStartFromCurrent), then held trailers.
      st.stoppedAll = false;
      const h = st.heldHeaders;
      st.heldHeaders = null;
      if (h) this.forwardHeaders(d, h, st.heldHeadersEos);
      const data = st.buffer.data;
      const trailers = st.heldTrailers;
      st.heldTrailers = null;
      st.buffer = new MutableBuffer();
      if (data.length > 0 || (st.observedEos && !trailers && !st.heldHeadersEos)) {
        this.onData(d, data, st.observedEos && !trailers);
      }
      if (trailers && !this.stopped) this.onTrailers(d, trailers);
      return;
    }
    const ctx = this.context;
    if (ctx) {
      if (d === "request") ctx.bufferingRequestBody = false;
      else ctx.bufferingResponseBody = false;
    }
    st.bufferingForFilter = false;
    const trailers = st.heldTrailers;
    st.heldTrailers = null;
    if (trailers) this.flushBufferThenTrailers(d, trailers);
    else if (st.buffer.size() > 0 || (st.observedEos && !st.ended)) {
      const out = st.buffer.data;
      st.buffer = new MutableBuffer();
      this.forwardData(d, out, st.observedEos);
    }
  }

  resetStream(details: string): void {
    if (this.finished || this.resetDetails !== null) return;
    this.resetDetails = details;
    this.sink.reset?.(details);
  }

  /**
   * Envoy sendLocalReply: a response generated here instead of the upstream's; when the
   * response has already started downstream, Envoy can only reset the stream.
   * (Not run through this filter's own response callbacks: a simplification.)
   */
  sendLocalReply(code: number, body: Buffer, extra: HeaderMap, grpcStatus: number, details: string, _from?: Dir): void {
    if (this.stopped) return;
    if (this.resp.headersForwarded) {
      this.resetStream(details);
      return;
    }
    const headers = HeaderMap.from([[":status", String(code)]]);
    if (body.length > 0) {
      headers.add("content-length", String(body.length));
      headers.add("content-type", "text/plain");
    } else {
      headers.add("content-length", "0");
    }
    for (const [k, v] of extra.pairs()) headers.addBytes(k, v);
    this.localReply = { status: code, body, headers, details, grpcStatus };
    this.lastResponseHeaders = headers;
    this.resp.record.headers = headers;
    if (this.recordData && body.length > 0) this.resp.record.chunks.push(body);
    this.resp.record.ended = true;
    this.sink.localReply?.(this.localReply);
  }

  streamProperties(): PropTree {
    const rh = this.lastRequestHeaders;
    const get = (h: HeaderMap | null, n: string): string | undefined => h?.get(n);
    const path = get(rh, ":path");
    const status = get(this.lastResponseHeaders, ":status");
    const c = this.connection;
    return {
      request: rh
        ? {
            path,
            url_path: path?.split("?")[0],
            host: get(rh, ":authority"),
            scheme: get(rh, ":scheme"),
            method: get(rh, ":method"),
            headers: headersToPropMap(rh),
            referer: get(rh, "referer"),
            useragent: get(rh, "user-agent"),
            id: get(rh, "x-request-id"),
            protocol: "HTTP/1.1",
            time: this.startedNs,
          }
        : undefined,
      response: this.lastResponseHeaders
        ? {
            code: status !== undefined ? BigInt(status) : undefined,
            headers: headersToPropMap(this.lastResponseHeaders),
            trailers: headersToPropMap(this.lastResponseTrailers),
            ...(this.localReply ? { code_details: this.localReply.details } : {}),
          }
        : undefined,
      source: c.sourceAddress
        ? { address: `${c.sourceAddress}:${c.sourcePort ?? 0}`, port: BigInt(c.sourcePort ?? 0) }
        : undefined,
      destination: c.destinationAddress
        ? { address: `${c.destinationAddress}:${c.destinationPort ?? 0}`, port: BigInt(c.destinationPort ?? 0) }
        : undefined,
    };
  }

  // ---- forwarding ----------------------------------------------------------------

  private checkBufferLimit(d: Dir): void {
    const st = this.dir(d);
    if (st.buffer.size() <= this.host.bufferLimitBytes) return;
    // Envoy FilterManager requestDataTooLarge / responseDataTooLarge.
    if (d === "request") {
      this.sendLocalReply(413, Buffer.from("Payload Too Large"), new HeaderMap(), -1, "request_payload_too_large");
    } else {
      this.sendLocalReply(500, Buffer.from("Internal Server Error"), new HeaderMap(), -1, "response_payload_too_large");
    }
  }

  /** Fail-open: release whatever the filter was holding, then pass everything through. */
  private flushHeld(d: Dir): void {
    const st = this.dir(d);
    st.stoppedAll = false;
    st.bufferingForFilter = false;
    if (st.heldHeaders) {
      const h = st.heldHeaders;
      st.heldHeaders = null;
      this.forwardHeaders(d, h, st.heldHeadersEos);
    }
    const trailers = st.heldTrailers;
    st.heldTrailers = null;
    if (st.buffer.size() > 0) {
      const out = st.buffer.data;
      st.buffer = new MutableBuffer();
      this.forwardData(d, out, st.observedEos && !trailers);
    }
    if (trailers) this.forwardTrailers(d, trailers);
  }

  private flushBufferThenTrailers(d: Dir, trailers: HeaderMap): void {
    const st = this.dir(d);
    if (st.buffer.size() > 0) {
      const out = st.buffer.data;
      st.buffer = new MutableBuffer();
      this.forwardData(d, out, false);
    }
    this.forwardTrailers(d, trailers);
  }

  private forwardHeaders(d: Dir, h: HeaderMap, eos: boolean): void {
    const st = this.dir(d);
    st.headersForwarded = true;
    st.record.headers = h;
    if (eos) st.ended = st.record.ended = true;
    if (d === "request") this.sink.upstreamHeaders?.(h, eos);
    else this.sink.downstreamHeaders?.(h, eos);
  }

  private forwardData(d: Dir, data: Buffer, eos: boolean): void {
    const st = this.dir(d);
    if (st.ended) return;
    if (data.length === 0 && !eos) return;
    if (this.recordData && data.length > 0) st.record.chunks.push(data);
    if (eos) st.ended = st.record.ended = true;
    if (d === "request") this.sink.upstreamData?.(data, eos);
    else this.sink.downstreamData?.(data, eos);
  }

  private forwardTrailers(d: Dir, t: HeaderMap): void {
    const st = this.dir(d);
    if (st.ended) return;
    st.record.trailers = t;
    st.ended = st.record.ended = true;
    if (d === "request") this.sink.upstreamTrailers?.(t);
    else this.sink.downstreamTrailers?.(t);
  }
}

function toMap(input: HeaderInput | HeaderMap): HeaderMap {
  return input instanceof HeaderMap ? input : HeaderMap.from(input);
}

// A view, not a copy: the stream takes the chunk over, as Envoy moves a read buffer.
function toBuf(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export { DEFAULT_BUFFER_LIMIT };
