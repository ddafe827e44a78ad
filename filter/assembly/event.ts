// The CloudEvent, built here and only here, in three layers:
// - per configuration, a template per event type: everything that does not change per request
//   (identity extensions, the annotations JSON, source, specversion, type, the callout
//   pseudo-headers), serialized once into a pairs-format block and a structured-JSON prefix;
// - per exchange, ExchangeFields, read once from the request headers: id, content type and
//   ce-metadata, shared by its request and response events;
// - per event, EventFields: time, body (redacted here when configured), truncation, status.
// Both encodings are written side by side from the same three: binary mode (HTTP headers, as
// KServe's agent sends it; writeBinary) and structured JSON (batch mode; appendStructured).

import { ByteBuilder, NO_BYTES, lit } from "./bytes";
import { copyToBuffer, giveBuffer } from "./body-pool";
import { Capture } from "./capture";
import { Config, MAX_ANNOTATIONS_JSON_BYTES } from "./config";
import { Identity } from "./identity";
import { writeJsonBytes, writeJsonString } from "./json";
import { appendHeaderValue, appendPercentEncoded } from "./headers";
import { metrics } from "./metrics";
import { PairsReader } from "./pairs";
import { Redactor } from "./redact";
import { appendRfc3339Nano } from "./time";

export const TYPE_REQUEST = "org.kubeflow.serving.inference.request";
export const TYPE_RESPONSE = "org.kubeflow.serving.inference.response";

// One event type's static headers, pre-serialized.
export class EventTemplate {
  // Batch mode: the opening of the structured JSON event, up to the last static attribute.
  json: ByteBuilder = new ByteBuilder(256);
  count: i32 = 0;
  lens: ByteBuilder = new ByteBuilder(128); // [klen u32, vlen u32]*count
  data: ByteBuilder = new ByteBuilder(512); // k\0v\0...

  add(name: string, value: ArrayBuffer, percent: bool): void {
    const before = this.data.len;
    this.data.ascii(name);
    this.data.byte(0);
    const vStart = this.data.len;
    appendHeaderValue(this.data, changetype<usize>(value), value.byteLength, percent);
    const vLen = this.data.len - vStart;
    this.data.byte(0);
    this.lens.ensure(8);
    store<u32>(this.lens.ptr + <usize>this.lens.len, <u32>(vStart - 1 - before));
    store<u32>(this.lens.ptr + <usize>this.lens.len + 4, <u32>vLen);
    this.lens.len += 8;
    this.count++;
  }
}

export class Templates {
  request: EventTemplate = new EventTemplate();
  response: EventTemplate = new EventTemplate();
  // Batch mode: the headers of the one request that carries a batch.
  batch: EventTemplate = new EventTemplate();
  cluster: ArrayBuffer = new ArrayBuffer(0);
  // ce-metadata, per configured header: its lower-case name and the JSON opening `"Canonical-Name":[`.
  metadataKeys: ArrayBuffer[] = [];
  metadataOpen: ArrayBuffer[] = [];
  annotationsJsonBytes: i32 = 0;
  error: string = "";
}

function ascii(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

// `{"k":"v",...}` with keys in Go's sorted order (config keeps them sorted).
export function annotationsJson(cfg: Config): ByteBuilder {
  const out = new ByteBuilder(256);
  out.byte(0x7b);
  for (let i = 0; i < cfg.annotationKeys.length; i++) {
    if (i > 0) out.byte(0x2c);
    writeJsonString(out, cfg.annotationKeys[i]);
    out.byte(0x3a);
    writeJsonString(out, cfg.annotationValues[i]);
  }
  out.byte(0x7d);
  return out;
}

export function buildTemplates(cfg: Config, id: Identity): Templates {
  const t = new Templates();
  t.cluster = String.UTF8.encode(cfg.cluster);
  for (let i = 0; i < cfg.metadataHeaders.length; i++) {
    t.metadataKeys.push(String.UTF8.encode(cfg.metadataHeadersLower[i]));
    t.metadataOpen.push(String.UTF8.encode("\"" + cfg.metadataHeaders[i] + "\":["));
  }
  let annotations: ArrayBuffer | null = null;
  if (cfg.annotationKeys.length > 0) {
    const json = annotationsJson(cfg);
    t.annotationsJsonBytes = json.len;
    if (json.len > MAX_ANNOTATIONS_JSON_BYTES) {
      t.error = "annotations: serialized size " + json.len.toString() + " bytes exceeds the limit of " +
        MAX_ANNOTATIONS_JSON_BYTES.toString();
      return t;
    }
    annotations = json.toBuffer();
  }
  const tpls: EventTemplate[] = [t.request, t.response];
  const types: string[] = [TYPE_REQUEST, TYPE_RESPONSE];
  for (let i = 0; i < 2; i++) {
    const tpl = tpls[i];
    const p = cfg.percentEncode;
    // Pseudo-headers are never percent-encoded: they address the logger.
    tpl.add(":method", ascii("POST"), false);
    tpl.add(":path", String.UTF8.encode(cfg.path), false);
    tpl.add(":authority", String.UTF8.encode(cfg.authority), false);
    tpl.add("ce-specversion", ascii("1.0"), p);
    tpl.add("ce-type", ascii(types[i]), p);
    tpl.add("ce-source", String.UTF8.encode(id.source), p);
    tpl.add("ce-inferenceservicename", String.UTF8.encode(id.inferenceService), p);
    tpl.add("ce-namespace", String.UTF8.encode(id.namespace), p);
    tpl.add("ce-component", String.UTF8.encode(id.component), p);
    tpl.add("ce-endpoint", String.UTF8.encode(id.endpoint), p);
    if (annotations !== null) tpl.add("ce-annotations", annotations, p);
    // The same static attributes as a structured-mode JSON prefix (batch mode).
    const j = tpl.json;
    j.ascii("{\"specversion\":\"1.0\",\"type\":");
    writeJsonString(j, types[i]);
    jsonAttr(j, "source", id.source);
    jsonAttr(j, "inferenceservicename", id.inferenceService);
    jsonAttr(j, "namespace", id.namespace);
    jsonAttr(j, "component", id.component);
    jsonAttr(j, "endpoint", id.endpoint);
    if (annotations !== null) {
      j.ascii(",\"annotations\":");
      writeJsonBytes(j, changetype<usize>(annotations), <usize>annotations.byteLength);
    }
  }
  t.batch.add(":method", ascii("POST"), false);
  t.batch.add(":path", String.UTF8.encode(cfg.path), false);
  t.batch.add(":authority", String.UTF8.encode(cfg.authority), false);
  t.batch.add("content-type", ascii("application/cloudevents-batch+json"), false);
  return t;
}

function jsonAttr(out: ByteBuilder, name: string, value: string): void {
  out.byte(0x2c);
  out.byte(0x22);
  out.ascii(name);
  out.ascii("\":");
  writeJsonString(out, value);
}

// `,"name":` + the value as a JSON string; `opening` is the literal `,"name":`.
function jsonBytesAttr(out: ByteBuilder, opening: ArrayBuffer, value: ArrayBuffer): void {
  out.lit(opening);
  writeJsonBytes(out, changetype<usize>(value), <usize>value.byteLength);
}

// Structured mode's per-event attribute openings, encoded once.
const J_ID = lit(",\"id\":");
const J_METADATA = lit(",\"metadata\":");
const J_DATACONTENTTYPE = lit(",\"datacontenttype\":");
const J_REQUESTID = lit(",\"requestid\":");
const J_TRACEPARENT = lit(",\"traceparent\":");
const J_TRACESTATE = lit(",\"tracestate\":");
const J_TIME = lit(",\"time\":\"");
const J_RECORDEDTIME = lit("\",\"recordedtime\":\"");
const J_METADATATRUNCATED = lit(",\"metadatatruncated\":\"true\"");
const J_TRUNCATED = lit(",\"truncated\":\"true\"");
const J_OVERBUDGET = lit(",\"overbudget\":\"true\"");
const J_STATUSCODE = lit(",\"statuscode\":\"");
const J_REDACTION_APPLIED = lit(",\"redaction\":\"applied\"");
const J_REDACTION_OMITTED = lit(",\"redaction\":\"omitted\"");
const J_DATA = lit(",\"data\":");
const J_DATA_BASE64 = lit(",\"data_base64\":\"");

const B64_TABLE = String.UTF8.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

// Base64 straight into the builder's memory: one bounds check for the whole body.
function appendBase64(out: ByteBuilder, p: usize, n: i32): void {
  const len = ((n + 2) / 3) * 4;
  out.ensure(len);
  const table = changetype<usize>(B64_TABLE);
  let dst = out.ptr + <usize>out.len;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8) | <u32>load<u8>(p + <usize>i + 2);
    store<u8>(dst, load<u8>(table + (v >> 18)));
    store<u8>(dst + 1, load<u8>(table + ((v >> 12) & 63)));
    store<u8>(dst + 2, load<u8>(table + ((v >> 6) & 63)));
    store<u8>(dst + 3, load<u8>(table + (v & 63)));
    dst += 4;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (two ? <u32>load<u8>(p + <usize>i + 1) << 8 : 0);
    store<u8>(dst, load<u8>(table + (v >> 18)));
    store<u8>(dst + 1, load<u8>(table + ((v >> 12) & 63)));
    store<u8>(dst + 2, two ? load<u8>(table + ((v >> 6) & 63)) : 0x3d);
    store<u8>(dst + 3, 0x3d);
  }
  out.len += len;
}

// ce-redaction: what redactPaths did to an event's body.
export const REDACTION_NONE: i32 = 0;
export const REDACTION_APPLIED: i32 = 1; // "applied"
export const REDACTION_OMITTED: i32 = 2; // "omitted": the body is left out

// What both events of one exchange carry, read once from its request headers.
export class ExchangeFields {
  id: ArrayBuffer = NO_BYTES; // ce-id
  contentType: ArrayBuffer | null = null; // the request's Content-Type, on both events (as KServe)
  // Correlation: the request's X-Request-Id (ce-requestid) and W3C trace context (ce-traceparent,
  // ce-tracestate: the CloudEvents distributed-tracing extension), when present and clean.
  requestId: ArrayBuffer | null = null;
  traceparent: ArrayBuffer | null = null;
  tracestate: ArrayBuffer | null = null;
  metadata: ArrayBuffer = NO_BYTES; // ce-metadata JSON, already encoded as the configuration says
  metadataTruncated: bool = false;
  metadataOverBudget: bool = false; // limits.maxHeldBytes left the metadata out
}

export const NO_EXCHANGE = new ExchangeFields();

// ce-llmusage: whether the server reported token usage.
export const USAGE_REPORTED: i32 = 0; // "reported": the counts are the server's
export const USAGE_ABSENT: i32 = 1; // "absent": the whole response was read and had none
export const USAGE_UNKNOWN: i32 = 2; // "unknown": part of the response could not be read

// A response event's LLM extensions (llm.ts; docs/events.md). Absent values are -1 or null.
export class LlmFields {
  model: ArrayBuffer | null = null; // as a JSON string body
  streamed: bool = false;
  usage: i32 = USAGE_ABSENT;
  promptTokens: i64 = -1;
  completionTokens: i64 = -1;
  totalTokens: i64 = -1;
  finishReason: ArrayBuffer | null = null;
  ttftMs: i64 = -1;
  durationMs: i64 = -1;
  events: i32 = -1; // SSE events (streamed only)
  skipped: i32 = 0; // SSE events not read: over llm.maxEventBytes, refused by the budget, not JSON
  incomplete: bool = false;
  reassembled: bool = false;
  contentTruncated: bool = false;
  overBudget: bool = false;
}

// One event: its exchange's fields and its own.
export class EventFields {
  exchange: ExchangeFields = NO_EXCHANGE;
  eventTime: u64 = 0;
  body: ArrayBuffer = NO_BYTES;
  truncated: bool = false;
  overBudget: bool = false; // limits.maxHeldBytes cut the body or the metadata short
  status: i32 = -1; // ce-statuscode when >= 0 (logAllResponses)
  redaction: i32 = REDACTION_NONE;
  llm: LlmFields | null = null; // LLM mode's extensions (response events of completion routes)

  // Every field as declared above (a reused event, delivery.ts).
  resetEventFields(): void {
    this.exchange = NO_EXCHANGE;
    this.eventTime = 0;
    this.body = NO_BYTES;
    this.truncated = false;
    this.overBudget = false;
    this.status = -1;
    this.redaction = REDACTION_NONE;
    this.llm = null;
  }
}

// An event's body from its capture: the captured bytes, or their redacted copy when redactPaths
// is configured. A body that cannot be parsed (binary, truncated), is larger than maxRedactBytes,
// or whose redacted copy the budget cannot hold is left out, never sent as it is.
export function fillBody(e: EventFields, capture: Capture, redactor: Redactor | null, maxRedactBytes: i32): void {
  const body = capture.body();
  capture.release();
  fillBodyWith(e, body, capture.truncated, capture.overBudget, redactor, maxRedactBytes);
}

// The same for a body that is not a capture (LLM mode's reassembled body): the caller's buffer, now the event's.
export function fillBodyWith(e: EventFields, body: ArrayBuffer, truncated: bool, overBudget: bool, redactor: Redactor | null, maxRedactBytes: i32): void {
  e.truncated = truncated;
  e.overBudget = overBudget || e.exchange.metadataOverBudget;
  if (redactor !== null) {
    let red: ArrayBuffer | null = null;
    if (!truncated && body.byteLength <= maxRedactBytes) {
      const out = redactor.apply(body, maxRedactBytes * 2 + 1024);
      if (out !== null) {
        red = copyToBuffer(out.ptr, out.len);
        if (red === null) e.overBudget = true;
      }
    }
    giveBuffer(body);
    if (red !== null) {
      body = red;
      e.redaction = REDACTION_APPLIED;
    } else {
      body = NO_BYTES;
      e.redaction = REDACTION_OMITTED;
      metrics().inc(metrics().redactionOmitted);
    }
  }
  e.body = body;
}

// ce-metadata: {"Canonical-Name":["v1","v2"],...} for the configured headers
// present on the request, keys sorted, every value kept, as KServe's agent
// marshals map[string][]string — but matched case-insensitively. Values that
// would take the JSON past limits.maxMetadataBytes are left out (and the event
// says so), so that no request header can make an event too large to deliver.
// Writes the JSON into `out` (reset first, scratch the caller reuses); true when
// values were left out. Names and openings were encoded with the templates.
// `pairs`, `pairsLen`: the request's header block.
export function buildMetadata(pairs: usize, pairsLen: i32, cfg: Config, t: Templates, out: ByteBuilder): bool {
  out.reset();
  const budget = cfg.maxMetadataBytes;
  out.byte(0x7b);
  let first = true;
  let truncated = false;
  const r = metadataReader;
  for (let i = 0; i < t.metadataKeys.length && !truncated; i++) {
    const key = unchecked(t.metadataKeys[i]);
    let found = 0;
    r.resetAt(pairs, pairsLen);
    while (r.next()) {
      if (!r.keyIs(key)) continue;
      const mark = out.len;
      const wasFirst = first;
      if (found == 0) {
        if (!first) out.byte(0x2c);
        first = false;
        out.lit(unchecked(t.metadataOpen[i]));
      } else out.byte(0x2c);
      writeJsonBytes(out, r.valuePtr, <usize>r.valueLen);
      if (out.len + 2 > budget) { // 2: the closing "]}"
        out.len = mark;
        first = wasFirst;
        truncated = true;
        break;
      }
      found++;
    }
    if (found > 0) out.byte(0x5d);
  }
  out.byte(0x7d);
  return truncated;
}

const metadataReader = new PairsReader();

// The per-event header names and literal values, encoded once.
const H_ID = lit("ce-id");
const H_TIME = lit("ce-time");
const H_RECORDEDTIME = lit("ce-recordedtime");
const H_METADATA = lit("ce-metadata");
const H_CONTENT_TYPE = lit("content-type");
const H_REQUESTID = lit("ce-requestid");
const H_TRACEPARENT = lit("ce-traceparent");
const H_TRACESTATE = lit("ce-tracestate");
const H_TRUNCATED = lit("ce-truncated");
const H_METADATATRUNCATED = lit("ce-metadatatruncated");
const H_OVERBUDGET = lit("ce-overbudget");
const H_STATUSCODE = lit("ce-statuscode");
const H_REDACTION = lit("ce-redaction");
const H_LLMMODEL = lit("ce-llmmodel");
const H_LLMSTREAM = lit("ce-llmstream");
const H_LLMUSAGE = lit("ce-llmusage");
const H_LLMPROMPTTOKENS = lit("ce-llmprompttokens");
const H_LLMCOMPLETIONTOKENS = lit("ce-llmcompletiontokens");
const H_LLMTOTALTOKENS = lit("ce-llmtotaltokens");
const H_LLMFINISHREASON = lit("ce-llmfinishreason");
const H_LLMTTFTMS = lit("ce-llmttftms");
const H_LLMDURATIONMS = lit("ce-llmdurationms");
const H_LLMEVENTS = lit("ce-llmevents");
const H_LLMSKIPPED = lit("ce-llmskipped");
const H_LLMINCOMPLETE = lit("ce-llmincomplete");
const H_LLMBODY = lit("ce-llmbody");
const V_FALSE = lit("false");
const V_REASSEMBLED = lit("reassembled");
const USAGE_WORDS: ArrayBuffer[] = [lit("reported"), lit("absent"), lit("unknown")];
const V_TRUE = lit("true");
const V_APPLIED = lit("applied");
const V_OMITTED = lit("omitted");

// One event in HTTP binary mode: the template's static block, then the per-event headers,
// joined into one pairs block in the writer's scratch space (the host copies it during the call).
export function writeBinary(w: EventWriter, tpl: EventTemplate, e: EventFields, percent: bool, recordedNanos: u64): ByteBuilder {
  const x = e.exchange;
  w.begin(percent);
  w.header(H_ID, x.id, true);
  w.timeHeader(H_TIME, e.eventTime);
  w.timeHeader(H_RECORDEDTIME, recordedNanos);
  w.header(H_METADATA, x.metadata, false); // encoded when it was built
  const ct = x.contentType;
  if (ct !== null) w.header(H_CONTENT_TYPE, ct, false);
  const rid = x.requestId;
  if (rid !== null) w.header(H_REQUESTID, rid, true);
  const tp = x.traceparent;
  if (tp !== null) w.header(H_TRACEPARENT, tp, true);
  const ts = x.tracestate;
  if (ts !== null) w.header(H_TRACESTATE, ts, true);
  if (e.truncated) w.header(H_TRUNCATED, V_TRUE, false);
  if (x.metadataTruncated) w.header(H_METADATATRUNCATED, V_TRUE, false);
  if (e.overBudget) w.header(H_OVERBUDGET, V_TRUE, false);
  if (e.status >= 0) w.decimalHeader(H_STATUSCODE, <u64>e.status);
  if (e.redaction == REDACTION_APPLIED) w.header(H_REDACTION, V_APPLIED, false);
  else if (e.redaction == REDACTION_OMITTED) w.header(H_REDACTION, V_OMITTED, false);
  const l = e.llm;
  if (l !== null) writeLlmBinary(w, l);
  return w.finish(tpl);
}

function writeLlmBinary(w: EventWriter, l: LlmFields): void {
  const model = l.model;
  if (model !== null) w.header(H_LLMMODEL, model, true);
  w.header(H_LLMSTREAM, l.streamed ? V_TRUE : V_FALSE, false);
  w.header(H_LLMUSAGE, unchecked(USAGE_WORDS[l.usage]), false);
  if (l.promptTokens >= 0) w.decimalHeader(H_LLMPROMPTTOKENS, <u64>l.promptTokens);
  if (l.completionTokens >= 0) w.decimalHeader(H_LLMCOMPLETIONTOKENS, <u64>l.completionTokens);
  if (l.totalTokens >= 0) w.decimalHeader(H_LLMTOTALTOKENS, <u64>l.totalTokens);
  const fr = l.finishReason;
  if (fr !== null) w.header(H_LLMFINISHREASON, fr, true);
  if (l.ttftMs >= 0) w.decimalHeader(H_LLMTTFTMS, <u64>l.ttftMs);
  if (l.durationMs >= 0) w.decimalHeader(H_LLMDURATIONMS, <u64>l.durationMs);
  if (l.events >= 0) w.decimalHeader(H_LLMEVENTS, <u64>l.events);
  if (l.skipped > 0) w.decimalHeader(H_LLMSKIPPED, <u64>l.skipped);
  if (l.incomplete) w.header(H_LLMINCOMPLETE, V_TRUE, false);
  if (l.reassembled) w.header(H_LLMBODY, V_REASSEMBLED, false);
}

// The same extensions as structured-mode attributes (batch mode), strings as in binary mode;
// the openings encoded once, as the other attributes' are.
const J_LLMMODEL = lit(",\"llmmodel\":\"");
const J_LLMSTREAM_TRUE = lit(",\"llmstream\":\"true\"");
const J_LLMSTREAM_FALSE = lit(",\"llmstream\":\"false\"");
const J_LLMUSAGE = lit(",\"llmusage\":\"");
const J_LLMPROMPTTOKENS = lit(",\"llmprompttokens\":\"");
const J_LLMCOMPLETIONTOKENS = lit(",\"llmcompletiontokens\":\"");
const J_LLMTOTALTOKENS = lit(",\"llmtotaltokens\":\"");
const J_LLMFINISHREASON = lit(",\"llmfinishreason\":\"");
const J_LLMTTFTMS = lit(",\"llmttftms\":\"");
const J_LLMDURATIONMS = lit(",\"llmdurationms\":\"");
const J_LLMEVENTS = lit(",\"llmevents\":\"");
const J_LLMSKIPPED = lit(",\"llmskipped\":\"");
const J_LLMINCOMPLETE = lit(",\"llmincomplete\":\"true\"");
const J_LLMBODY = lit(",\"llmbody\":\"reassembled\"");

function appendLlmStructured(out: ByteBuilder, l: LlmFields): void {
  const model = l.model;
  if (model !== null) { out.lit(J_LLMMODEL); out.buffer(model); out.byte(0x22); }
  out.lit(l.streamed ? J_LLMSTREAM_TRUE : J_LLMSTREAM_FALSE);
  out.lit(J_LLMUSAGE);
  out.buffer(unchecked(USAGE_WORDS[l.usage]));
  out.byte(0x22);
  jsonDecimalAttr(out, J_LLMPROMPTTOKENS, l.promptTokens);
  jsonDecimalAttr(out, J_LLMCOMPLETIONTOKENS, l.completionTokens);
  jsonDecimalAttr(out, J_LLMTOTALTOKENS, l.totalTokens);
  const fr = l.finishReason;
  if (fr !== null) { out.lit(J_LLMFINISHREASON); out.buffer(fr); out.byte(0x22); }
  jsonDecimalAttr(out, J_LLMTTFTMS, l.ttftMs);
  jsonDecimalAttr(out, J_LLMDURATIONMS, l.durationMs);
  jsonDecimalAttr(out, J_LLMEVENTS, <i64>l.events);
  if (l.skipped > 0) jsonDecimalAttr(out, J_LLMSKIPPED, <i64>l.skipped);
  if (l.incomplete) out.lit(J_LLMINCOMPLETE);
  if (l.reassembled) out.lit(J_LLMBODY);
}

// `opening` + the decimal + a closing quote, when the value is present (>= 0).
function jsonDecimalAttr(out: ByteBuilder, opening: ArrayBuffer, v: i64): void {
  if (v < 0) return;
  out.lit(opening);
  out.decimal(<u64>v);
  out.byte(0x22);
}

// The request that carries a batch: only its template's static headers.
export function writeBatchHeaders(w: EventWriter, tpl: EventTemplate): ByteBuilder {
  w.begin(false);
  return w.finish(tpl);
}

// One event in the CloudEvents JSON format (batch mode): the template's
// precomputed prefix, then the per-event attributes and the data — as JSON
// when the content type says JSON and the body is one JSON value, else base64.
export function appendStructured(out: ByteBuilder, tpl: EventTemplate, e: EventFields, recordedNanos: u64, bodyIsJson: bool): void {
  const x = e.exchange;
  out.bytes(tpl.json.ptr, tpl.json.len);
  jsonBytesAttr(out, J_ID, x.id);
  out.lit(J_TIME);
  appendRfc3339Nano(out, e.eventTime);
  out.lit(J_RECORDEDTIME);
  appendRfc3339Nano(out, recordedNanos);
  out.byte(0x22);
  jsonBytesAttr(out, J_METADATA, x.metadata);
  if (x.metadataTruncated) out.lit(J_METADATATRUNCATED);
  const ct = x.contentType;
  if (ct !== null) jsonBytesAttr(out, J_DATACONTENTTYPE, ct);
  const rid = x.requestId;
  if (rid !== null) jsonBytesAttr(out, J_REQUESTID, rid);
  const tp = x.traceparent;
  if (tp !== null) jsonBytesAttr(out, J_TRACEPARENT, tp);
  const ts = x.tracestate;
  if (ts !== null) jsonBytesAttr(out, J_TRACESTATE, ts);
  if (e.truncated) out.lit(J_TRUNCATED);
  if (e.overBudget) out.lit(J_OVERBUDGET);
  jsonDecimalAttr(out, J_STATUSCODE, <i64>e.status);
  if (e.redaction == REDACTION_APPLIED) out.lit(J_REDACTION_APPLIED);
  else if (e.redaction == REDACTION_OMITTED) out.lit(J_REDACTION_OMITTED);
  const l = e.llm;
  if (l !== null) appendLlmStructured(out, l);
  if (e.body.byteLength > 0) {
    if (bodyIsJson) {
      out.lit(J_DATA);
      out.buffer(e.body);
    } else {
      out.lit(J_DATA_BASE64);
      appendBase64(out, changetype<usize>(e.body), e.body.byteLength);
      out.byte(0x22);
    }
  }
  out.byte(0x7d);
}

// Per-event dynamic headers, written into scratch space owned by the root
// context and reused for every event (the host copies them during the call).
export class EventWriter {
  private dynLens: ByteBuilder = new ByteBuilder(64);
  private dynData: ByteBuilder = new ByteBuilder(1024);
  private dynCount: i32 = 0;
  private out: ByteBuilder = new ByteBuilder(2048);
  private percent: bool = false;

  begin(percent: bool): void {
    this.dynLens.reset();
    this.dynData.reset();
    this.dynCount = 0;
    this.percent = percent;
  }

  private startValue(name: ArrayBuffer): i32 {
    this.dynData.lit(name);
    this.dynData.byte(0);
    return this.dynData.len;
  }

  private endValue(name: ArrayBuffer, vStart: i32): void {
    const vLen = this.dynData.len - vStart;
    this.dynData.byte(0);
    this.dynLens.ensure(8);
    store<u32>(this.dynLens.ptr + <usize>this.dynLens.len, <u32>name.byteLength);
    store<u32>(this.dynLens.ptr + <usize>this.dynLens.len + 4, <u32>vLen);
    this.dynLens.len += 8;
    this.dynCount++;
  }

  // A value that is already safe bytes (ids, content type, JSON, literals).
  header(name: ArrayBuffer, value: ArrayBuffer, encodable: bool): void {
    const v = this.startValue(name);
    appendHeaderValue(this.dynData, changetype<usize>(value), value.byteLength, encodable && this.percent);
    this.endValue(name, v);
  }

  decimalHeader(name: ArrayBuffer, value: u64): void {
    const v = this.startValue(name);
    this.dynData.decimal(value);
    this.endValue(name, v);
  }

  timeHeader(name: ArrayBuffer, unixNanos: u64): void {
    // RFC 3339 is printable ASCII: the same bytes in either encoding.
    const v = this.startValue(name);
    appendRfc3339Nano(this.dynData, unixNanos);
    this.endValue(name, v);
  }

  // Joins the static template and the dynamic headers into one pairs block.
  finish(tpl: EventTemplate): ByteBuilder {
    const out = this.out;
    out.reset();
    const total = 4 + tpl.lens.len + this.dynLens.len + tpl.data.len + this.dynData.len;
    out.ensure(total);
    store<u32>(out.ptr, <u32>(tpl.count + this.dynCount));
    out.len = 4;
    out.bytes(tpl.lens.ptr, tpl.lens.len);
    out.bytes(this.dynLens.ptr, this.dynLens.len);
    out.bytes(tpl.data.ptr, tpl.data.len);
    out.bytes(this.dynData.ptr, this.dynData.len);
    return out;
  }
}

// Percent-encodes a finished value when the configuration asks for it.
export function encodeIfNeeded(raw: ByteBuilder, percent: bool): ArrayBuffer {
  if (!percent) return raw.toBuffer();
  const enc = new ByteBuilder(raw.len + 16);
  appendPercentEncoded(enc, raw.ptr, raw.len);
  return enc.toBuffer();
}
