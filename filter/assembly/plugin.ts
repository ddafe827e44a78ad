// The filter: a root context per plugin configuration and one stream context
// per HTTP exchange. Streams copy what they need as it streams by and hand
// finished events to their root, which posts them with proxy_http_call and
// never holds up inference traffic.

import { RootContext, Context, FilterHeadersStatusValues, FilterDataStatusValues, FilterTrailersStatusValues } from "@solo-io/proxy-runtime/assembly";
import { ByteBuilder, NO_BYTES, copyOf, lit, parseDecimal } from "./bytes";
import { Capture } from "./capture";
import { reserve, setHeldLimit, unreserve } from "./body-pool";
import { Config, parseConfig } from "./config";
import { Active } from "./active";
import { Delivery } from "./delivery";
import {
  EventTemplate, ExchangeFields, LlmFields, NO_EXCHANGE, buildMetadata, buildTemplates, encodeIfNeeded, fillBody, fillBodyWith,
} from "./event";
import { isCleanHeaderText } from "./headers";
import {
  BUF_PLUGIN_CONFIGURATION, BUF_REQUEST_BODY, BUF_RESPONSE_BODY, MAP_REQUEST_HEADERS, MAP_RESPONSE_HEADERS,
  getBufferBytes, headerBlock, logError, logInfo, nowNanos, readBufferInto, readHeaderPairs,
} from "./hostcalls";
import { resolveIdentity } from "./identity";
import { appendUuidV4 } from "./ids";
import { LlmExchange, ROUTE_NONE, completionRoute } from "./llm";
import { metrics } from "./metrics";
import { PairsReader, bytesStartWith } from "./pairs";
import { SAMPLE_FORCE, SAMPLE_SKIP, headerVerdict, keptAtRate } from "./sampling";

export const ROOT_ID = "kserve-logger";
const MAX_ID_BYTES = 256;
const MAX_CONTENT_TYPE_BYTES = 256;
// What a logged stream holds besides its bodies and metadata, charged to the
// memory budget: the stream and capture objects, its id and content type (≤ 256
// bytes each), rounded up.
export const STREAM_COST: i32 = 1024;
const SPARE_STREAMS: i32 = 256;
const EMPTY_METADATA = String.UTF8.encode("{}");
// Header names the stream looks for, and the kubelet's user agent, as bytes.
const K_USER_AGENT = lit("user-agent");
const K_KUBELET_PROBE = lit("k-kubelet-probe");
const KUBE_PROBE = lit("kube-probe/");
const K_CE_ID = lit("ce-id");
const K_REQUEST_ID = lit("x-request-id");
const K_CONTENT_TYPE = lit("content-type");
const K_CONTENT_LENGTH = lit("content-length");
const K_TRACEPARENT = lit("traceparent");
const K_TRACESTATE = lit("tracestate");
const MAX_TRACESTATE_BYTES = 512; // W3C Trace Context: 32 list members of at most 256 bytes; 512 is what vendors keep
const K_STATUS = lit(":status");
const K_PATH = lit(":path");
// LLM mode reads the parts of a streamed body it did not capture through this window.
const WINDOW_BYTES: i32 = 16384;
const feedWindow = memory.data(WINDOW_BYTES);
// One reader for every header block a stream reads (callbacks never overlap in a VM).
const reader = new PairsReader();
// ce-metadata is written here, then copied out at its exact size.
const metadataScratch = new ByteBuilder(256);
// A new UUID is written here first: a sampled-out exchange copies nothing.
const idScratch = new ByteBuilder(36);

export class LoggerRoot extends RootContext {
  active: Active | null = null;
  delivery: Delivery = new Delivery();

  // Streams are reused once deleted: no objects per exchange for the stream itself.
  private spareStreams: LoggerStream[] = [];

  createContext(context_id: u32): Context {
    if (this.spareStreams.length == 0) return new LoggerStream(context_id, this);
    const s = this.spareStreams.pop();
    s.restart(context_id);
    return s;
  }

  recycle(s: LoggerStream): void {
    if (this.spareStreams.length < SPARE_STREAMS) this.spareStreams.push(s);
  }

  // Parses and prepares the whole configuration before swapping it in.
  onConfigure(configuration_size: u32): bool {
    let raw = new ArrayBuffer(0);
    if (configuration_size > 0) {
      const buf = getBufferBytes(BUF_PLUGIN_CONFIGURATION, 0, configuration_size);
      if (buf === null) return this.refuse("pluginConfig: could not be read from the host");
      raw = buf;
    }
    const parsed = parseConfig(raw);
    const cfg = parsed.config;
    if (cfg === null) return this.refuse(parsed.error);
    const identity = resolveIdentity(cfg);
    const templates = buildTemplates(cfg, identity);
    if (templates.error.length > 0) return this.refuse(templates.error);
    this.active = new Active(cfg, templates);
    setHeldLimit(cfg.maxHeldBytes);
    logInfo("kserve-logger: configured for " + identity.namespace + "/" + identity.inferenceService + " " +
      identity.component + " (mode " + (cfg.logRequest ? (cfg.logResponse ? "all" : "request") : "response") +
      ", " + cfg.annotationKeys.length.toString() + " annotations, " + cfg.metadataHeaders.length.toString() +
      " metadata headers, logger cluster " + cfg.cluster + ")");
    return true;
  }

  private refuse(error: string): bool {
    metrics().inc(metrics().configRejected);
    logError("kserve-logger: invalid pluginConfig: " + error +
      (this.active !== null ? " (the previous configuration stays in force)" : ""));
    return false;
  }

  // A finished event of one of this root's streams: its exchange's fields and its captured body.
  // `now`: the clock read once by the calling callback (the callout leaves within it).
  // `llm`: LLM mode's extensions (response events of completion routes), else null.
  send(a: Active, tpl: EventTemplate, exchange: ExchangeFields, eventTime: u64, capture: Capture, status: i32, now: u64, llm: LlmFields | null): void {
    const o = this.delivery.newEvent(a, tpl);
    o.exchange = exchange;
    o.eventTime = eventTime;
    o.status = status;
    o.llm = llm;
    fillBody(o, capture, a.redactor, a.config.maxRedactBytes);
    if (llm !== null && llm.overBudget) o.overBudget = true;
    this.delivery.submit(o, now);
  }

  // The same with a body that is not a capture (the reassembled one, a pool buffer now the event's).
  sendBody(a: Active, tpl: EventTemplate, exchange: ExchangeFields, eventTime: u64, body: ArrayBuffer, truncated: bool, overBudget: bool, status: i32, now: u64, llm: LlmFields): void {
    const o = this.delivery.newEvent(a, tpl);
    o.exchange = exchange;
    o.eventTime = eventTime;
    o.status = status;
    o.llm = llm;
    fillBodyWith(o, body, truncated, overBudget, a.redactor, a.config.maxRedactBytes);
    this.delivery.submit(o, now);
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    this.delivery.onResponse(token, headers);
  }

  // A replaced or removed plugin: Envoy cancels a destroyed context's callouts,
  // so the root stays until its events are settled, for at most limits.drainTimeoutMs.
  onDone(): bool {
    const a = this.active;
    return this.delivery.beginDrain(a !== null ? a.config.drainTimeoutMs : 0);
  }

  onTick(): void {
    this.delivery.tick();
  }
}

export class LoggerStream extends Context {
  private a: Active | null = null;
  private root: LoggerRoot;
  private fields: ExchangeFields = NO_EXCHANGE; // a fresh record per logged exchange, filled at request headers, for both events
  private charged: i32 = 0; // bytes this stream holds under the memory budget (besides its bodies)
  private unbudgeted: bool = false; // the budget had no room for this stream: its events are counted, not built
  private sampledOut: bool = false; // sampling left this exchange out: its events are counted, not built
  private requestTime: u64 = 0;
  private status: i32 = 0;
  private requestDone: bool = false;
  private responseDone: bool = false;
  private logResponseBody: bool = false;
  private reqBody: Capture = new Capture();
  private respBody: Capture = new Capture();
  private llm: LlmExchange | null = null; // LLM mode's state, made on first use and kept for reuse
  private llmOn: bool = false; // this exchange is a completion in LLM mode

  constructor(context_id: u32, root: LoggerRoot) {
    super(context_id, root);
    this.root = root;
  }

  // A deleted stream taken again for a new context: every field as the constructor leaves it.
  restart(context_id: u32): void {
    this.context_id = context_id;
    this.a = null;
    this.fields = NO_EXCHANGE;
    this.charged = 0;
    this.unbudgeted = false;
    this.sampledOut = false;
    this.requestTime = 0;
    this.status = 0;
    this.requestDone = false;
    this.responseDone = false;
    this.logResponseBody = false;
    this.reqBody.reset();
    this.respBody.reset();
    const llm = this.llm;
    if (llm !== null) llm.reset();
    this.llmOn = false;
  }

  onRequestHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const a = this.root.active;
    if (a === null) return FilterHeadersStatusValues.Continue; // no valid configuration: pass through
    this.requestTime = nowNanos();
    const size = readHeaderPairs(MAP_REQUEST_HEADERS);
    if (size < 0) return FilterHeadersStatusValues.Continue;
    if (this.readRequestHeaders(headerBlock(), size, a)) this.a = a;
    if (end_of_stream) this.endRequest();
    return FilterHeadersStatusValues.Continue;
  }

  // Reads id, content type and metadata headers in one pass; false for kubelet probes. A stream
  // the memory budget has no room for is logged as unbudgeted (its events counted, not built).
  // `base`, `n`: the header block (scratch: what is kept is copied out).
  private readRequestHeaders(base: usize, n: i32, a: Active): bool {
    const cfg = a.config;
    let ceId: i32 = -1, ceIdLen: i32 = 0;
    let xrid: i32 = -1, xridLen: i32 = 0;
    let ct: i32 = -1, ctLen: i32 = 0;
    let tp: i32 = -1, tpLen: i32 = 0;
    let ts: i32 = -1, tsLen: i32 = 0;
    let path: i32 = -1, pathLen: i32 = 0;
    let verdict: i32 = 0;
    const sampleKey = a.sampleKey;
    const sampleKeyLen = sampleKey !== null ? sampleKey.byteLength : -1;
    const r = reader.resetAt(base, n);
    while (r.next()) {
      const off = <i32>(r.valuePtr - base);
      if (r.keyLen == sampleKeyLen && verdict == 0 && r.keyIs(changetype<ArrayBuffer>(sampleKey))) verdict = headerVerdict(r.valuePtr, r.valueLen);
      // By length first: most headers match none of these and cost one comparison.
      switch (r.keyLen) {
        case 5:
          if (ceId < 0 && r.keyIs(K_CE_ID)) { ceId = off; ceIdLen = r.valueLen; }
          else if (path < 0 && r.keyIs(K_PATH)) { path = off; pathLen = r.valueLen; }
          break;
        case 10:
          // Kubelet probes are passed through and not logged, as KServe does.
          if (r.keyIs(K_USER_AGENT) && bytesStartWith(r.valuePtr, r.valueLen, KUBE_PROBE)) return false;
          if (ts < 0 && r.keyIs(K_TRACESTATE)) { ts = off; tsLen = r.valueLen; }
          break;
        case 11:
          if (tp < 0 && r.keyIs(K_TRACEPARENT)) { tp = off; tpLen = r.valueLen; }
          break;
        case 12:
          if (xrid < 0 && r.keyIs(K_REQUEST_ID)) { xrid = off; xridLen = r.valueLen; }
          else if (ct < 0 && r.keyIs(K_CONTENT_TYPE)) { ct = off; ctLen = r.valueLen; }
          break;
        case 14:
          if (r.keyIs(K_CONTENT_LENGTH)) this.reqBody.expect(r.valuePtr, r.valueLen);
          break;
        case 15:
          if (r.keyIs(K_KUBELET_PROBE)) return false;
          break;
      }
    }
    // ce-id as KServe makes it: the request's Ce-Id, else a new UUID (eventId x-request-id: the
    // request's X-Request-Id before the UUID). X-Request-Id travels in ce-requestid either way.
    const ridOk = xrid >= 0 && usableId(base + <usize>xrid, xridLen);
    let idPtr: usize = 0, idLen: i32 = 0;
    if (ceId >= 0 && usableId(base + <usize>ceId, ceIdLen)) { idPtr = base + <usize>ceId; idLen = ceIdLen; }
    else if (cfg.idFromRequestId && ridOk) { idPtr = base + <usize>xrid; idLen = xridLen; }
    else {
      idScratch.reset();
      appendUuidV4(idScratch, this.requestTime);
      idPtr = idScratch.ptr;
      idLen = idScratch.len;
    }
    // Sampling, decided once for both events, before anything is held (sampling.ts).
    if (verdict == SAMPLE_SKIP || (verdict != SAMPLE_FORCE && !keptAtRate(idPtr, idLen, a.sampleThreshold))) {
      this.sampledOut = true;
      return true;
    }
    if (!reserve(STREAM_COST)) {
      this.unbudgeted = true;
      return true;
    }
    this.charged = STREAM_COST;
    // A new record even for a reused stream: the last one may still be referenced by events in flight.
    const f = new ExchangeFields();
    this.fields = f;
    f.id = copyOf(idPtr, idLen);
    const tpOk = tp >= 0 && usableId(base + <usize>tp, tpLen);
    const tsOk = ts >= 0 && usableText(base + <usize>ts, tsLen, MAX_TRACESTATE_BYTES);
    // Charged beside STREAM_COST (which covers id and content type); left out, and said so, when it cannot be.
    const correlation = (ridOk ? xridLen : 0) + (tpOk ? tpLen : 0) + (tsOk ? tsLen : 0);
    if (correlation > 0 && reserve(correlation)) {
      this.charged += correlation;
      if (ridOk) f.requestId = copyOf(base + <usize>xrid, xridLen);
      if (tpOk) f.traceparent = copyOf(base + <usize>tp, tpLen);
      if (tsOk) f.tracestate = copyOf(base + <usize>ts, tsLen);
    } else if (correlation > 0) f.metadataOverBudget = true;
    // KServe sends the request's Content-Type on both events, none when blank.
    if (ct >= 0 && ctLen <= MAX_CONTENT_TYPE_BYTES && !isBlank(base + <usize>ct, ctLen) && isCleanHeaderText(base + <usize>ct, ctLen)) {
      f.contentType = copyOf(base + <usize>ct, ctLen);
    }
    if (cfg.llm && path >= 0) {
      const route = completionRoute(base + <usize>path, pathLen);
      if (route != ROUTE_NONE) {
        let llm = this.llm;
        if (llm === null) this.llm = llm = new LlmExchange();
        llm.begin(route, cfg.llmReassemble, cfg.llmMaxEventBytes, cfg.maxBodyBytes);
        this.llmOn = true;
      }
    }
    const truncated = buildMetadata(base, n, cfg, a.templates, metadataScratch);
    const json = encodeIfNeeded(metadataScratch, cfg.percentEncode);
    if (json.byteLength <= EMPTY_METADATA.byteLength || reserve(json.byteLength)) {
      if (json.byteLength > EMPTY_METADATA.byteLength) this.charged += json.byteLength;
      f.metadata = json;
      f.metadataTruncated = truncated;
    } else {
      f.metadata = EMPTY_METADATA;
      f.metadataTruncated = true;
      f.metadataOverBudget = true;
    }
    return true;
  }

  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    const a = this.a;
    if (a !== null && !this.requestDone) {
      if (a.config.logRequest && !this.unbudgeted && !this.sampledOut) this.reqBody.take(BUF_REQUEST_BODY, <i32>body_buffer_length, a.config.maxBodyBytes, end_of_stream);
      if (end_of_stream) this.endRequest();
    }
    return FilterDataStatusValues.Continue;
  }

  onRequestTrailers(n: u32): FilterTrailersStatusValues {
    if (this.a !== null) this.endRequest();
    return FilterTrailersStatusValues.Continue;
  }

  private endRequest(): void {
    const a = this.a;
    if (a === null || this.requestDone) return;
    this.requestDone = true;
    if (!a.config.logRequest) return;
    if (this.sampledOut) { metrics().inc(metrics().sampledOut); return; }
    if (this.unbudgeted) { this.root.delivery.unbuilt(); return; }
    this.root.send(a, a.templates.request, this.fields, this.requestTime, this.reqBody, -1, nowNanos(), null);
  }

  onResponseHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const a = this.a;
    if (a === null) return FilterHeadersStatusValues.Continue;
    // One host call for :status and content-length (the block is small: a response's headers).
    const size = readHeaderPairs(MAP_RESPONSE_HEADERS);
    let status: i64 = -1;
    let clPtr: usize = 0, clLen: i32 = 0;
    let ctPtr: usize = 0, ctLen: i32 = 0;
    if (size > 0) {
      const r = reader.resetAt(headerBlock(), size);
      while (r.next()) {
        if (r.keyIs(K_STATUS)) status = parseDecimal(r.valuePtr, r.valueLen);
        else if (r.keyIs(K_CONTENT_LENGTH)) { clPtr = r.valuePtr; clLen = r.valueLen; }
        else if (this.llmOn && r.keyIs(K_CONTENT_TYPE)) { ctPtr = r.valuePtr; ctLen = r.valueLen; }
      }
    }
    this.status = status >= 0 && status < 1000 ? <i32>status : 0;
    // KServe logs only 200 responses; logAllResponses logs every status.
    this.logResponseBody = a.config.logResponse && (this.status == 200 || a.config.logAllResponses);
    const llm = this.llm;
    if (this.llmOn && llm !== null) llm.respond(ctPtr, ctLen);
    if (this.logResponseBody && !end_of_stream && clPtr != 0) this.respBody.expect(clPtr, clLen);
    if (end_of_stream) this.endResponse();
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    const a = this.a;
    if (a !== null && !this.responseDone) {
      if (this.logResponseBody && !this.unbudgeted && !this.sampledOut) {
        const llm = this.llm;
        if (this.llmOn && llm !== null && llm.streamed) this.takeStreamed(llm, <i32>body_buffer_length, a.config.maxBodyBytes, end_of_stream);
        else this.respBody.take(BUF_RESPONSE_BODY, <i32>body_buffer_length, a.config.maxBodyBytes, end_of_stream);
      }
      if (end_of_stream) this.endResponse();
    }
    return FilterDataStatusValues.Continue;
  }

  // LLM mode, a streamed response: each piece is read by the SSE parser where it lies — in the
  // capture for the raw body, or through the window for what is not captured (past the cap,
  // or everything when the body is reassembled).
  private takeStreamed(llm: LlmExchange, n: i32, cap: i32, last: bool): void {
    let fed: i32 = 0;
    if (!llm.reassemble) {
      const before = this.respBody.captured;
      this.respBody.take(BUF_RESPONSE_BODY, n, cap, last);
      fed = this.respBody.captured - before;
      if (fed > 0) llm.feed(this.respBody.at(before), fed);
    }
    while (fed < n) {
      const want = n - fed < WINDOW_BYTES ? n - fed : WINDOW_BYTES;
      const got = readBufferInto(BUF_RESPONSE_BODY, <u32>fed, <u32>want, feedWindow, WINDOW_BYTES);
      if (got <= 0) break;
      llm.feed(feedWindow, got);
      fed += got;
    }
  }

  onResponseTrailers(n: u32): FilterTrailersStatusValues {
    if (this.a !== null) this.endResponse();
    return FilterTrailersStatusValues.Continue;
  }

  private endResponse(): void {
    const a = this.a;
    if (a === null || this.responseDone) return;
    this.responseDone = true;
    if (!this.logResponseBody) return;
    if (this.sampledOut) { metrics().inc(metrics().sampledOut); return; }
    if (this.unbudgeted) { this.root.delivery.unbuilt(); return; }
    const status = a.config.logAllResponses ? this.status : -1;
    const now = nowNanos();
    const llm = this.llm;
    if (this.llmOn && llm !== null) this.sendCompletion(a, llm, status, now);
    else this.root.send(a, a.templates.response, this.fields, now, this.respBody, status, now, null);
  }

  // LLM mode's response event: the LLM extensions, and the raw body or the reassembled one.
  private sendCompletion(a: Active, llm: LlmExchange, status: i32, now: u64): void {
    if (llm.streamed) llm.endStream();
    else if (!this.respBody.truncated && this.respBody.captured > 0) llm.readWhole(this.respBody.at(0), this.respBody.captured);
    const f = llm.fields(this.requestTime, now);
    if (llm.reassemble) {
      const body = llm.reassembledBody(f);
      const overBudget = body === null || f.overBudget;
      this.root.sendBody(a, a.templates.response, this.fields, now, body !== null ? body : NO_BYTES, f.contentTruncated, overBudget, status, now, f);
    } else this.root.send(a, a.templates.response, this.fields, now, this.respBody, status, now, f);
    llm.release();
  }

  // Envoy calls on_log at the end of every stream, a reset one too. In LLM mode a completion
  // whose response was cut off is logged here, with what was read (ce-llmincomplete). Otherwise
  // events leave at end of stream and there is nothing to do (the SDK's default would build a
  // debug log line per stream).
  onLog(): void {
    const llm = this.llm;
    if (this.a === null || !this.llmOn || llm === null || !this.logResponseBody || this.responseDone) return;
    llm.incomplete = true;
    this.endResponse();
  }
  onDone(): bool {
    return true;
  }
  // A stream that ended without its end of stream (reset, local reply) hands
  // its capture buffers back to the pool rather than to the collector.
  onDelete(): void {
    this.reqBody.release();
    this.respBody.release();
    const llm = this.llm;
    if (llm !== null) llm.release();
    if (this.charged > 0) unreserve(this.charged);
    this.charged = 0;
    this.a = null;
    this.root.recycle(this);
  }
}

function usableId(p: usize, n: i32): bool {
  return usableText(p, n, MAX_ID_BYTES);
}

function usableText(p: usize, n: i32, max: i32): bool {
  return n > 0 && n <= max && !isBlank(p, n) && isCleanHeaderText(p, n);
}

function isBlank(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const b = load<u8>(p + <usize>i);
    if (b != 0x20 && b != 0x09) return false;
  }
  return true;
}
