// The pluginConfig contract (docs/plugin-config.md): parsed and validated as a
// whole at proxy_on_configure; any error names the field and refuses the
// configuration, so a half-applied configuration cannot exist. Which fields
// exist, their defaults and their limits come from the one table, config-fields.ts.

import { JKind, JValue, JsonParser, brief } from "./json";
import { isValidUtf8 } from "./bytes";
import { MAX_SEGMENTS, parsePath } from "./redact";
import {
  MAX_ANNOTATION_KEY_CHARS, MAX_CONFIG_BYTES, MAX_HEADER_NAME_CHARS, MAX_REDACT_PATH_CHARS, configField, configKeys, intDefault,
} from "./config-fields";
import { isSensitiveName } from "./sensitive-names";
import { canonicalHeaderKey, hasControlChars, isToken, toLowerAscii } from "./headers";

export { MAX_ANNOTATIONS_JSON_BYTES, MAX_CONFIG_BYTES } from "./config-fields";

export class Config {
  inferenceService: string = "";
  namespace: string = "";
  component: string = configField("component").def;
  endpoint: string = "";
  endpointRevisions: string[] = [];
  endpointNames: string[] = [];
  // identity "config": the event identity comes from here only, never from the proxy's node metadata
  // (a waypoint or gateway serves many workloads; its node metadata is its own).
  identityFromConfig: bool = false;
  logRequest: bool = true;
  logResponse: bool = true;
  cluster: string = "";
  authority: string = "";
  path: string = configField("logger.path").def;
  timeoutMs: u32 = <u32>intDefault("logger.timeoutMs");
  source: string = configField("source").def;
  // Canonical names (as keys of ce-metadata), sorted as Go sorts map keys, and
  // their lower-case forms (as Envoy presents header names) in the same order.
  metadataHeaders: string[] = [];
  metadataHeadersLower: string[] = [];
  annotationKeys: string[] = [];
  annotationValues: string[] = [];
  logAllResponses: bool = false;
  percentEncode: bool = false;
  // eventId "x-request-id": ce-id falls back to the request's X-Request-Id before a new UUID.
  idFromRequestId: bool = false;
  maxBodyBytes: i32 = <i32>intDefault("limits.maxBodyBytes");
  maxMetadataBytes: i32 = <i32>intDefault("limits.maxMetadataBytes");
  maxInflightCallouts: i32 = <i32>intDefault("limits.maxInflightCallouts");
  drainTimeoutMs: i32 = <i32>intDefault("limits.drainTimeoutMs");
  maxRetries: i32 = <i32>intDefault("retry.maxRetries");
  initialBackoffMs: i32 = <i32>intDefault("retry.initialBackoffMs");
  maxBackoffMs: i32 = <i32>intDefault("retry.maxBackoffMs");
  retryBudgetBytes: i32 = <i32>intDefault("retry.budgetBytes");
  maxHeldBytes: i32 = <i32>intDefault("limits.maxHeldBytes");
  maxRedactBytes: i32 = <i32>intDefault("limits.maxRedactBytes");
  redactPaths: string[][] = [];
  batchMaxEvents: i32 = 0; // 0: one HTTP request per event (binary mode, as KServe's agent)
  batchMaxBytes: i32 = <i32>intDefault("batch.maxBytes");
  batchIntervalMs: i32 = <i32>intDefault("batch.intervalMs");
  // sampling: an exchange is logged when its id's hash falls below rate × 2^53 (sampling.ts).
  sampleRate: f64 = 1.0;
  sampleHeader: string = ""; // lower case; "" = no per-request force/skip header
  // llm: OpenAI-compatible completions get LLM extensions on their response events (llm.ts).
  llm: bool = false;
  llmReassemble: bool = false; // llm.body "reassembled": a streamed response's body in the non-streamed JSON shape
  llmMaxEventBytes: i32 = <i32>intDefault("llm.maxEventBytes");

  endpointFor(revision: string): string {
    for (let i = 0; i < this.endpointRevisions.length; i++) {
      if (this.endpointRevisions[i] == revision) return this.endpointNames[i];
    }
    return "";
  }
}

export class ConfigResult {
  config: Config | null = null;
  error: string = "";
}

class Checker {
  error: string = "";

  fail(field: string, msg: string): bool {
    if (this.error.length == 0) this.error = field + ": " + msg;
    return false;
  }

  // The string at `path` (its table row gives required and the length limits), or null when
  // absent; sets error when it is of the wrong type or out of its limits.
  str(obj: JValue, path: string): string | null {
    const f = configField(path);
    const minLen = <i32>f.min;
    const maxLen = <i32>f.max;
    const v = obj.get(f.key);
    if (v === null) {
      if (f.required) this.fail(path, "is required");
      return null;
    }
    if (v.kind != JKind.Str) { this.fail(path, "must be a string, not " + v.kindName()); return null; }
    const s = v.s;
    if (s.length < minLen) { this.fail(path, minLen == 1 ? "must not be empty" : "is shorter than " + minLen.toString()); return null; }
    if (s.length > maxLen) { this.fail(path, "is longer than " + maxLen.toString() + " characters"); return null; }
    if (hasControlChars(s)) { this.fail(path, "contains a control character"); return null; }
    return s;
  }

  // The integer at `path`, its default when absent; the range is its table row's.
  int(obj: JValue, path: string): i32 {
    const f = configField(path);
    const def = <i32>parseInt(f.def);
    const v = obj.get(f.key);
    if (v === null) return def;
    if (v.kind != JKind.Num) { this.fail(path, "must be an integer, not " + v.kindName()); return def; }
    if (v.n != Math.floor(v.n)) { this.fail(path, "must be an integer"); return def; }
    if (v.n < f.min || v.n > f.max) {
      this.fail(path, "must be between " + (<i64>f.min).toString() + " and " + (<i64>f.max).toString());
      return def;
    }
    return <i32>v.n;
  }

  // The number at `path` (fractions allowed), its default when absent; the range is its table row's.
  num(obj: JValue, path: string): f64 {
    const f = configField(path);
    const def = parseFloat(f.def);
    const v = obj.get(f.key);
    if (v === null) return def;
    if (v.kind != JKind.Num) { this.fail(path, "must be a number, not " + v.kindName()); return def; }
    if (!(v.n >= f.min && v.n <= f.max)) {
      this.fail(path, "must be between " + (<i64>f.min).toString() + " and " + (<i64>f.max).toString());
      return def;
    }
    return v.n;
  }

  bool(obj: JValue, key: string, field: string, def: bool): bool {
    const v = obj.get(key);
    if (v === null) return def;
    if (v.kind != JKind.Bool) { this.fail(field, "must be a boolean, not " + v.kindName()); return def; }
    return v.b;
  }

  // An optional nested object whose keys must all be known (the table's); null when absent or wrong.
  section(root: JValue, name: string): JValue | null {
    const v = root.get(name);
    if (v === null) return null;
    if (v.kind != JKind.Obj) { this.fail(name, "must be an object"); return null; }
    this.onlyKeys(v, configKeys(name), name + ".");
    return v;
  }

  onlyKeys(obj: JValue, allowed: string[], prefix: string): bool {
    for (let i = 0; i < obj.keys.length; i++) {
      if (!allowed.includes(obj.keys[i])) return this.fail(prefix + brief(obj.keys[i]), "unknown field");
    }
    return true;
  }
}

function quoted(s: string): string {
  return "\"" + brief(s) + "\"";
}

// Parses the raw pluginConfig bytes. Never traps: every failure is reported.
export function parseConfig(raw: ArrayBuffer): ConfigResult {
  const res = new ConfigResult();
  if (raw.byteLength == 0) {
    res.error = "pluginConfig: is empty (inferenceService, namespace and logger are required)";
    return res;
  }
  if (raw.byteLength > MAX_CONFIG_BYTES) {
    res.error = "pluginConfig: is " + raw.byteLength.toString() + " bytes, more than the limit of " + MAX_CONFIG_BYTES.toString();
    return res;
  }
  if (!isValidUtf8(changetype<usize>(raw), <usize>raw.byteLength)) {
    res.error = "pluginConfig: is not valid UTF-8";
    return res;
  }
  const parser = new JsonParser(String.UTF8.decode(raw));
  const root = parser.parse();
  if (root === null) {
    res.error = "pluginConfig: invalid JSON " + parser.error;
    return res;
  }
  if (root.kind != JKind.Obj) {
    res.error = "pluginConfig: must be a JSON object, not " + root.kindName();
    return res;
  }
  const c = new Checker();
  const cfg = new Config();
  c.onlyKeys(root, configKeys(""), "");

  const isvc = c.str(root, "inferenceService");
  if (isvc !== null) cfg.inferenceService = isvc;
  const ns = c.str(root, "namespace");
  if (ns !== null) cfg.namespace = ns;
  const comp = c.str(root, "component");
  if (comp !== null) {
    if (comp != "predictor" && comp != "transformer" && comp != "explainer") {
      c.fail("component", "must be predictor, transformer or explainer, not " + quoted(comp));
    } else cfg.component = comp;
  }
  const ep = c.str(root, "endpoint");
  if (ep !== null) cfg.endpoint = ep;

  const eps = root.get("endpoints");
  if (eps !== null) {
    if (eps.kind != JKind.Obj) c.fail("endpoints", "must be an object of revision → endpoint");
    else if (eps.keys.length > <i32>configField("endpoints").max) c.fail("endpoints", "has more than " + (<i32>configField("endpoints").max).toString() + " entries");
    else {
      for (let i = 0; i < eps.keys.length; i++) {
        const field = "endpoints[" + quoted(eps.keys[i]) + "]";
        const v = eps.vals[i];
        if (eps.keys[i].length == 0 || hasControlChars(eps.keys[i])) { c.fail(field, "revision name is empty or has a control character"); break; }
        if (v.kind != JKind.Str || (v.s != "default" && v.s != "canary")) { c.fail(field, "must be \"default\" or \"canary\""); break; }
        cfg.endpointRevisions.push(eps.keys[i]);
        cfg.endpointNames.push(v.s);
      }
    }
  }

  const mode = c.str(root, "mode");
  if (mode !== null) {
    if (mode == "all") { cfg.logRequest = true; cfg.logResponse = true; }
    else if (mode == "request") { cfg.logRequest = true; cfg.logResponse = false; }
    else if (mode == "response") { cfg.logRequest = false; cfg.logResponse = true; }
    else c.fail("mode", "must be all, request or response, not " + quoted(mode));
  }

  const identity = c.str(root, "identity");
  if (identity !== null) {
    if (identity == "config") cfg.identityFromConfig = true;
    else if (identity != "pod") c.fail("identity", "must be pod or config, not " + quoted(identity));
  }

  const logger = root.get("logger");
  if (logger === null) c.fail("logger", "is required");
  else if (logger.kind != JKind.Obj) c.fail("logger", "must be an object");
  else {
    c.onlyKeys(logger, configKeys("logger"), "logger.");
    const cluster = c.str(logger, "logger.cluster");
    if (cluster !== null) cfg.cluster = cluster;
    const auth = c.str(logger, "logger.authority");
    if (auth !== null) {
      if (auth.includes(" ")) c.fail("logger.authority", "must not contain spaces");
      else cfg.authority = auth;
    }
    const path = c.str(logger, "logger.path");
    if (path !== null) {
      if (!path.startsWith("/") || path.includes(" ")) c.fail("logger.path", "must start with / and contain no spaces");
      else cfg.path = path;
    }
    cfg.timeoutMs = <u32>c.int(logger, "logger.timeoutMs");
  }

  const source = c.str(root, "source");
  if (source !== null) cfg.source = source;

  // Sensitive header allow-list first: metadataHeaders are checked against it.
  const allowed: string[] = [];
  const allow = root.get("allowSensitiveHeaders");
  if (allow !== null) {
    if (allow.kind != JKind.Arr) c.fail("allowSensitiveHeaders", "must be an array of header names");
    else if (allow.items.length > <i32>configField("allowSensitiveHeaders").max) c.fail("allowSensitiveHeaders", "has more than " + (<i32>configField("allowSensitiveHeaders").max).toString() + " names");
    else for (let i = 0; i < allow.items.length; i++) {
      const v = allow.items[i];
      if (v.kind != JKind.Str || !isToken(v.s)) { c.fail("allowSensitiveHeaders[" + i.toString() + "]", "must be a header name"); break; }
      allowed.push(toLowerAscii(v.s));
    }
  }

  const mh = root.get("metadataHeaders");
  if (mh !== null) {
    if (mh.kind != JKind.Arr) c.fail("metadataHeaders", "must be an array of header names");
    else if (mh.items.length > <i32>configField("metadataHeaders").max) c.fail("metadataHeaders", "has more than " + (<i32>configField("metadataHeaders").max).toString() + " names");
    else {
      const names: string[] = [];
      for (let i = 0; i < mh.items.length; i++) {
        const field = "metadataHeaders[" + i.toString() + "]";
        const v = mh.items[i];
        if (v.kind != JKind.Str) { c.fail(field, "must be a string"); break; }
        if (!isToken(v.s) || v.s.length > MAX_HEADER_NAME_CHARS) { c.fail(field, quoted(v.s) + " is not a valid header name"); break; }
        const lower = toLowerAscii(v.s);
        if (isSensitiveName(v.s) && !allowed.includes(lower)) {
          c.fail(field, quoted(v.s) + " carries credentials; list it in allowSensitiveHeaders to log it");
          break;
        }
        const canon = canonicalHeaderKey(v.s);
        if (!names.includes(canon)) names.push(canon);
      }
      names.sort();
      for (let i = 0; i < names.length; i++) {
        cfg.metadataHeaders.push(names[i]);
        cfg.metadataHeadersLower.push(toLowerAscii(names[i]));
      }
    }
  }

  const ann = root.get("annotations");
  if (ann !== null) {
    if (ann.kind != JKind.Obj) c.fail("annotations", "must be an object of key → value");
    else if (ann.keys.length > <i32>configField("annotations").max) c.fail("annotations", "has more than " + (<i32>configField("annotations").max).toString() + " entries");
    else {
      const keys = ann.keys.slice(0);
      keys.sort();
      for (let i = 0; i < keys.length; i++) {
        const field = "annotations[" + quoted(keys[i]) + "]";
        if (keys[i].length == 0 || keys[i].length > MAX_ANNOTATION_KEY_CHARS) { c.fail(field, "key must be 1.." + MAX_ANNOTATION_KEY_CHARS.toString() + " characters"); break; }
        const v = ann.get(keys[i]);
        if (v === null || v.kind != JKind.Str) { c.fail(field, "value must be a string"); break; }
        cfg.annotationKeys.push(keys[i]);
        cfg.annotationValues.push(v.s);
      }
    }
  }

  cfg.logAllResponses = c.bool(root, "logAllResponses", "logAllResponses", false);
  const enc = c.str(root, "headerEncoding");
  if (enc !== null) {
    if (enc == "percent") cfg.percentEncode = true;
    else if (enc != "raw") c.fail("headerEncoding", "must be raw or percent, not " + quoted(enc));
  }
  const eventId = c.str(root, "eventId");
  if (eventId !== null) {
    if (eventId == "x-request-id") cfg.idFromRequestId = true;
    else if (eventId != "kserve") c.fail("eventId", "must be kserve or x-request-id, not " + quoted(eventId));
  }

  const limits = c.section(root, "limits");
  if (limits !== null) {
    cfg.maxBodyBytes = c.int(limits, "limits.maxBodyBytes");
    cfg.maxMetadataBytes = c.int(limits, "limits.maxMetadataBytes");
    cfg.maxInflightCallouts = c.int(limits, "limits.maxInflightCallouts");
    cfg.drainTimeoutMs = c.int(limits, "limits.drainTimeoutMs");
    cfg.maxHeldBytes = c.int(limits, "limits.maxHeldBytes");
    cfg.maxRedactBytes = c.int(limits, "limits.maxRedactBytes");
  }

  const rp = root.get("redactPaths");
  if (rp !== null) {
    if (rp.kind != JKind.Arr) c.fail("redactPaths", "must be an array of paths");
    else if (rp.items.length > <i32>configField("redactPaths").max) c.fail("redactPaths", "has more than " + (<i32>configField("redactPaths").max).toString() + " paths");
    else for (let i = 0; i < rp.items.length; i++) {
      const field = "redactPaths[" + i.toString() + "]";
      const v = rp.items[i];
      const segs = v.kind == JKind.Str && v.s.length <= MAX_REDACT_PATH_CHARS ? parsePath(v.s) : null;
      if (segs === null || segs.length > MAX_SEGMENTS) { c.fail(field, "must be a path like \"instances.*.ssn\" (≤ " + MAX_SEGMENTS.toString() + " segments)"); break; }
      cfg.redactPaths.push(segs);
    }
  }

  const batch = c.section(root, "batch");
  if (batch !== null) {
    cfg.batchMaxEvents = c.int(batch, "batch.maxEvents");
    cfg.batchMaxBytes = c.int(batch, "batch.maxBytes");
    cfg.batchIntervalMs = c.int(batch, "batch.intervalMs");
    if (c.error.length == 0 && cfg.percentEncode) c.fail("batch", "headerEncoding percent applies to binary mode only; a batch carries its values in JSON");
  }

  const retry = c.section(root, "retry");
  if (retry !== null) {
    cfg.maxRetries = c.int(retry, "retry.maxRetries");
    cfg.initialBackoffMs = c.int(retry, "retry.initialBackoffMs");
    cfg.maxBackoffMs = c.int(retry, "retry.maxBackoffMs");
    cfg.retryBudgetBytes = c.int(retry, "retry.budgetBytes");
    if (c.error.length == 0 && cfg.maxBackoffMs < cfg.initialBackoffMs) {
      c.fail("retry.maxBackoffMs", "must not be smaller than retry.initialBackoffMs");
    }
  }

  const sampling = c.section(root, "sampling");
  if (sampling !== null) {
    cfg.sampleRate = c.num(sampling, "sampling.rate");
    const h = c.str(sampling, "sampling.header");
    if (h !== null) {
      if (!isToken(h)) c.fail("sampling.header", quoted(h) + " is not a valid header name");
      else cfg.sampleHeader = toLowerAscii(h);
    }
  }

  const llm = c.section(root, "llm");
  if (llm !== null) {
    cfg.llm = true;
    const body = c.str(llm, "llm.body");
    if (body !== null) {
      if (body == "reassembled") cfg.llmReassemble = true;
      else if (body != "raw") c.fail("llm.body", "must be raw or reassembled, not " + quoted(body));
    }
    cfg.llmMaxEventBytes = c.int(llm, "llm.maxEventBytes");
  }

  if (c.error.length > 0) {
    res.error = c.error;
    return res;
  }
  res.config = cfg;
  return res;
}
