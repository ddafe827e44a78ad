// The pluginConfig contract (docs/plugin-config.md): parsed and validated as a
// whole at proxy_on_configure; any error names the field and refuses the
// configuration, so a half-applied configuration cannot exist.

import { JKind, JValue, JsonParser, brief } from "./json";
import { isValidUtf8 } from "./bytes";
import { MAX_PATHS, MAX_SEGMENTS, parsePath } from "./redact";
import { DEFAULT_MAX_HELD_BYTES } from "./body-pool";
import { isSensitiveName } from "./sensitive-names";
import { canonicalHeaderKey, hasControlChars, isToken, toLowerAscii } from "./headers";

export const DEFAULT_SOURCE = "http://localhost:9081/";
export const MAX_ANNOTATIONS = 128;
export const MAX_ANNOTATIONS_JSON_BYTES = 16384;
export const MAX_METADATA_HEADERS = 32;
export const MAX_ENDPOINTS = 64;
// The whole pluginConfig: refused before it is read any further. The largest
// valid one (128 annotations in 16 KiB, 32 redaction paths, 64 endpoints) is
// well under this.
export const MAX_CONFIG_BYTES = 262144;

export class Config {
  inferenceService: string = "";
  namespace: string = "";
  component: string = "predictor";
  endpoint: string = "";
  endpointRevisions: string[] = [];
  endpointNames: string[] = [];
  logRequest: bool = true;
  logResponse: bool = true;
  cluster: string = "";
  authority: string = "";
  path: string = "/";
  timeoutMs: u32 = 5000;
  source: string = DEFAULT_SOURCE;
  // Canonical names (as keys of ce-metadata), sorted as Go sorts map keys, and
  // their lower-case forms (as Envoy presents header names) in the same order.
  metadataHeaders: string[] = [];
  metadataHeadersLower: string[] = [];
  annotationKeys: string[] = [];
  annotationValues: string[] = [];
  logAllResponses: bool = false;
  percentEncode: bool = false;
  maxBodyBytes: i32 = 1048576;
  maxMetadataBytes: i32 = 8192;
  maxInflightCallouts: i32 = 64;
  drainTimeoutMs: i32 = 10000;
  maxRetries: i32 = 2;
  initialBackoffMs: i32 = 100;
  maxBackoffMs: i32 = 2000;
  retryBudgetBytes: i32 = 8388608;
  maxHeldBytes: i32 = DEFAULT_MAX_HELD_BYTES;
  maxRedactBytes: i32 = 1048576;
  redactPaths: string[][] = [];
  batchMaxEvents: i32 = 0; // 0: one HTTP request per event (binary mode, as KServe's agent)
  batchMaxBytes: i32 = 1048576;
  batchIntervalMs: i32 = 1000;

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

  // Returns the string, or null when absent; sets error when of the wrong type.
  str(obj: JValue, key: string, field: string, required: bool, minLen: i32, maxLen: i32): string | null {
    const v = obj.get(key);
    if (v === null) {
      if (required) this.fail(field, "is required");
      return null;
    }
    if (v.kind != JKind.Str) { this.fail(field, "must be a string, not " + v.kindName()); return null; }
    const s = v.s;
    if (s.length < minLen) { this.fail(field, minLen == 1 ? "must not be empty" : "is shorter than " + minLen.toString()); return null; }
    if (s.length > maxLen) { this.fail(field, "is longer than " + maxLen.toString() + " characters"); return null; }
    if (hasControlChars(s)) { this.fail(field, "contains a control character"); return null; }
    return s;
  }

  int(obj: JValue, key: string, field: string, def: i32, min: i32, max: i32): i32 {
    const v = obj.get(key);
    if (v === null) return def;
    if (v.kind != JKind.Num) { this.fail(field, "must be an integer, not " + v.kindName()); return def; }
    if (v.n != Math.floor(v.n)) { this.fail(field, "must be an integer"); return def; }
    if (v.n < <f64>min || v.n > <f64>max) {
      this.fail(field, "must be between " + min.toString() + " and " + max.toString());
      return def;
    }
    return <i32>v.n;
  }

  bool(obj: JValue, key: string, field: string, def: bool): bool {
    const v = obj.get(key);
    if (v === null) return def;
    if (v.kind != JKind.Bool) { this.fail(field, "must be a boolean, not " + v.kindName()); return def; }
    return v.b;
  }

  // An optional nested object whose keys must all be known; null when absent or wrong.
  section(root: JValue, name: string, keys: string[]): JValue | null {
    const v = root.get(name);
    if (v === null) return null;
    if (v.kind != JKind.Obj) { this.fail(name, "must be an object"); return null; }
    this.onlyKeys(v, keys, name + ".");
    return v;
  }

  onlyKeys(obj: JValue, allowed: string[], prefix: string): bool {
    for (let i = 0; i < obj.keys.length; i++) {
      if (!allowed.includes(obj.keys[i])) return this.fail(prefix + brief(obj.keys[i]), "unknown field");
    }
    return true;
  }
}

const TOP_KEYS: string[] = [
  "inferenceService", "namespace", "component", "endpoint", "endpoints", "mode", "logger", "source",
  "metadataHeaders", "allowSensitiveHeaders", "annotations", "logAllResponses", "headerEncoding", "limits", "retry", "redactPaths", "batch",
];
const BATCH_KEYS: string[] = ["maxEvents", "maxBytes", "intervalMs"];
const RETRY_KEYS: string[] = ["maxRetries", "initialBackoffMs", "maxBackoffMs", "budgetBytes"];
const LOGGER_KEYS: string[] = ["cluster", "authority", "path", "timeoutMs"];
const LIMIT_KEYS: string[] = ["maxBodyBytes", "maxMetadataBytes", "maxInflightCallouts", "drainTimeoutMs", "maxHeldBytes", "maxRedactBytes"];

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
  c.onlyKeys(root, TOP_KEYS, "");

  const isvc = c.str(root, "inferenceService", "inferenceService", true, 1, 253);
  if (isvc !== null) cfg.inferenceService = isvc;
  const ns = c.str(root, "namespace", "namespace", true, 1, 63);
  if (ns !== null) cfg.namespace = ns;
  const comp = c.str(root, "component", "component", false, 1, 32);
  if (comp !== null) {
    if (comp != "predictor" && comp != "transformer" && comp != "explainer") {
      c.fail("component", "must be predictor, transformer or explainer, not " + quoted(comp));
    } else cfg.component = comp;
  }
  const ep = c.str(root, "endpoint", "endpoint", false, 0, 63);
  if (ep !== null) cfg.endpoint = ep;

  const eps = root.get("endpoints");
  if (eps !== null) {
    if (eps.kind != JKind.Obj) c.fail("endpoints", "must be an object of revision → endpoint");
    else if (eps.keys.length > MAX_ENDPOINTS) c.fail("endpoints", "has more than " + MAX_ENDPOINTS.toString() + " entries");
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

  const mode = c.str(root, "mode", "mode", false, 1, 16);
  if (mode !== null) {
    if (mode == "all") { cfg.logRequest = true; cfg.logResponse = true; }
    else if (mode == "request") { cfg.logRequest = true; cfg.logResponse = false; }
    else if (mode == "response") { cfg.logRequest = false; cfg.logResponse = true; }
    else c.fail("mode", "must be all, request or response, not " + quoted(mode));
  }

  const logger = root.get("logger");
  if (logger === null) c.fail("logger", "is required");
  else if (logger.kind != JKind.Obj) c.fail("logger", "must be an object");
  else {
    c.onlyKeys(logger, LOGGER_KEYS, "logger.");
    const cluster = c.str(logger, "cluster", "logger.cluster", true, 1, 512);
    if (cluster !== null) cfg.cluster = cluster;
    const auth = c.str(logger, "authority", "logger.authority", true, 1, 256);
    if (auth !== null) {
      if (auth.includes(" ")) c.fail("logger.authority", "must not contain spaces");
      else cfg.authority = auth;
    }
    const path = c.str(logger, "path", "logger.path", false, 1, 2048);
    if (path !== null) {
      if (!path.startsWith("/") || path.includes(" ")) c.fail("logger.path", "must start with / and contain no spaces");
      else cfg.path = path;
    }
    cfg.timeoutMs = <u32>c.int(logger, "timeoutMs", "logger.timeoutMs", 5000, 1, 60000);
  }

  const source = c.str(root, "source", "source", false, 1, 2048);
  if (source !== null) cfg.source = source;

  // Sensitive header allow-list first: metadataHeaders are checked against it.
  const allowed: string[] = [];
  const allow = root.get("allowSensitiveHeaders");
  if (allow !== null) {
    if (allow.kind != JKind.Arr) c.fail("allowSensitiveHeaders", "must be an array of header names");
    else for (let i = 0; i < allow.items.length; i++) {
      const v = allow.items[i];
      if (v.kind != JKind.Str || !isToken(v.s)) { c.fail("allowSensitiveHeaders[" + i.toString() + "]", "must be a header name"); break; }
      allowed.push(toLowerAscii(v.s));
    }
  }

  const mh = root.get("metadataHeaders");
  if (mh !== null) {
    if (mh.kind != JKind.Arr) c.fail("metadataHeaders", "must be an array of header names");
    else if (mh.items.length > MAX_METADATA_HEADERS) c.fail("metadataHeaders", "has more than " + MAX_METADATA_HEADERS.toString() + " names");
    else {
      const names: string[] = [];
      for (let i = 0; i < mh.items.length; i++) {
        const field = "metadataHeaders[" + i.toString() + "]";
        const v = mh.items[i];
        if (v.kind != JKind.Str) { c.fail(field, "must be a string"); break; }
        if (!isToken(v.s) || v.s.length > 256) { c.fail(field, quoted(v.s) + " is not a valid header name"); break; }
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
    else if (ann.keys.length > MAX_ANNOTATIONS) c.fail("annotations", "has more than " + MAX_ANNOTATIONS.toString() + " entries");
    else {
      const keys = ann.keys.slice(0);
      keys.sort();
      for (let i = 0; i < keys.length; i++) {
        const field = "annotations[" + quoted(keys[i]) + "]";
        if (keys[i].length == 0 || keys[i].length > 317) { c.fail(field, "key must be 1..317 characters"); break; }
        const v = ann.get(keys[i]);
        if (v === null || v.kind != JKind.Str) { c.fail(field, "value must be a string"); break; }
        cfg.annotationKeys.push(keys[i]);
        cfg.annotationValues.push(v.s);
      }
    }
  }

  cfg.logAllResponses = c.bool(root, "logAllResponses", "logAllResponses", false);
  const enc = c.str(root, "headerEncoding", "headerEncoding", false, 1, 16);
  if (enc !== null) {
    if (enc == "percent") cfg.percentEncode = true;
    else if (enc != "raw") c.fail("headerEncoding", "must be raw or percent, not " + quoted(enc));
  }

  const limits = c.section(root, "limits", LIMIT_KEYS);
  if (limits !== null) {
    cfg.maxBodyBytes = c.int(limits, "maxBodyBytes", "limits.maxBodyBytes", 1048576, 0, 67108864);
    cfg.maxMetadataBytes = c.int(limits, "maxMetadataBytes", "limits.maxMetadataBytes", 8192, 2, 65536);
    cfg.maxInflightCallouts = c.int(limits, "maxInflightCallouts", "limits.maxInflightCallouts", 64, 1, 4096);
    cfg.drainTimeoutMs = c.int(limits, "drainTimeoutMs", "limits.drainTimeoutMs", 10000, 0, 120000);
    cfg.maxHeldBytes = c.int(limits, "maxHeldBytes", "limits.maxHeldBytes", DEFAULT_MAX_HELD_BYTES, 1048576, 1073741824);
    cfg.maxRedactBytes = c.int(limits, "maxRedactBytes", "limits.maxRedactBytes", 1048576, 0, 16777216);
  }

  const rp = root.get("redactPaths");
  if (rp !== null) {
    if (rp.kind != JKind.Arr) c.fail("redactPaths", "must be an array of paths");
    else if (rp.items.length > MAX_PATHS) c.fail("redactPaths", "has more than " + MAX_PATHS.toString() + " paths");
    else for (let i = 0; i < rp.items.length; i++) {
      const field = "redactPaths[" + i.toString() + "]";
      const v = rp.items[i];
      const segs = v.kind == JKind.Str && v.s.length <= 256 ? parsePath(v.s) : null;
      if (segs === null || segs.length > MAX_SEGMENTS) { c.fail(field, "must be a path like \"instances.*.ssn\" (≤ " + MAX_SEGMENTS.toString() + " segments)"); break; }
      cfg.redactPaths.push(segs);
    }
  }

  const batch = c.section(root, "batch", BATCH_KEYS);
  if (batch !== null) {
    cfg.batchMaxEvents = c.int(batch, "maxEvents", "batch.maxEvents", 100, 1, 1000);
    cfg.batchMaxBytes = c.int(batch, "maxBytes", "batch.maxBytes", 1048576, 1024, 16777216);
    cfg.batchIntervalMs = c.int(batch, "intervalMs", "batch.intervalMs", 1000, 1, 60000);
    if (c.error.length == 0 && cfg.percentEncode) c.fail("batch", "headerEncoding percent applies to binary mode only; a batch carries its values in JSON");
  }

  const retry = c.section(root, "retry", RETRY_KEYS);
  if (retry !== null) {
    cfg.maxRetries = c.int(retry, "maxRetries", "retry.maxRetries", 2, 0, 10);
    cfg.initialBackoffMs = c.int(retry, "initialBackoffMs", "retry.initialBackoffMs", 100, 1, 60000);
    cfg.maxBackoffMs = c.int(retry, "maxBackoffMs", "retry.maxBackoffMs", 2000, 1, 300000);
    cfg.retryBudgetBytes = c.int(retry, "budgetBytes", "retry.budgetBytes", 8388608, 0, 268435456);
    if (c.error.length == 0 && cfg.maxBackoffMs < cfg.initialBackoffMs) {
      c.fail("retry.maxBackoffMs", "must not be smaller than retry.initialBackoffMs");
    }
  }

  if (c.error.length > 0) {
    res.error = c.error;
    return res;
  }
  res.config = cfg;
  return res;
}
