// The pluginConfig contract (docs/plugin-config.md): the installer is its only producer, the
// filter its only parser. `checkPluginConfig` enforces the same fields, types and limits the
// filter enforces at proxy_on_configure, so that a configuration the filter would refuse
// never reaches a cluster.
import { isObject } from "./io.js";
import {
  CONFIG_FIELDS,
  MAX_ANNOTATION_KEY_CHARS,
  MAX_ANNOTATIONS_JSON_BYTES,
  MAX_CONFIG_BYTES,
  MAX_HEADER_NAME_CHARS,
  MAX_REDACT_PATH_CHARS,
  MAX_REDACT_PATH_SEGMENTS,
  T_INTEGER,
  T_NUMBER,
  configField,
  configKeys,
  intDefault,
} from "../../filter/assembly/config-fields.js";
import { isSensitiveName } from "../../filter/assembly/sensitive-names.js";

export interface PluginConfig {
  inferenceService: string;
  namespace: string;
  component: "predictor" | "transformer" | "explainer";
  endpoint: string;
  endpoints: Record<string, "default" | "canary">;
  mode: "all" | "request" | "response";
  /** pod (default): identity from the proxy's node metadata first; config: from this pluginConfig only */
  identity?: "pod" | "config";
  logger: { cluster: string; authority: string; path: string; timeoutMs: number };
  source?: string;
  metadataHeaders: string[];
  /** sensitive names that metadataHeaders may carry nevertheless (the filter refuses them otherwise) */
  allowSensitiveHeaders?: string[];
  annotations: Record<string, string>;
  logAllResponses?: boolean;
  headerEncoding?: "raw" | "percent";
  eventId?: "kserve" | "x-request-id";
  limits?: {
    maxBodyBytes?: number;
    maxMetadataBytes?: number;
    maxInflightCallouts?: number;
    drainTimeoutMs?: number;
    maxHeldBytes?: number;
    maxRedactBytes?: number;
  };
  retry?: { maxRetries?: number; initialBackoffMs?: number; maxBackoffMs?: number; budgetBytes?: number };
  redactPaths?: string[];
  /** CloudEvents batch mode (application/cloudevents-batch+json); absent: one request per event. */
  batch?: { maxEvents?: number; maxBytes?: number; intervalMs?: number };
  /** one decision per exchange from its id; `header`: a request header that forces (`force`) or skips (`skip`) */
  sampling?: { rate?: number; header?: string };
  /** LLM extensions on the response events of OpenAI-compatible completion routes */
  llm?: { body?: "raw" | "reassembled"; maxEventBytes?: number };
}

// The limits of docs/plugin-config.md: the filter's own table (filter/assembly/config-fields.ts),
// so that the installer cannot drift from what the filter enforces.
const max = (path: string): number => configField(path).max;
const range = (path: string): readonly [number, number] => [configField(path).min, configField(path).max];
export const LIMITS = {
  inferenceServiceChars: max("inferenceService"),
  namespaceChars: max("namespace"),
  endpointChars: max("endpoint"),
  endpoints: max("endpoints"),
  clusterChars: max("logger.cluster"),
  authorityChars: max("logger.authority"),
  pathChars: max("logger.path"),
  sourceChars: max("source"),
  metadataHeaders: max("metadataHeaders"),
  headerNameChars: MAX_HEADER_NAME_CHARS,
  annotations: max("annotations"),
  annotationKeyChars: MAX_ANNOTATION_KEY_CHARS,
  annotationsJsonBytes: MAX_ANNOTATIONS_JSON_BYTES,
  redactPaths: max("redactPaths"),
  redactPathChars: MAX_REDACT_PATH_CHARS,
  redactPathSegments: MAX_REDACT_PATH_SEGMENTS,
  timeoutMs: range("logger.timeoutMs"),
  maxBodyBytes: range("limits.maxBodyBytes"),
  maxMetadataBytes: range("limits.maxMetadataBytes"),
  maxInflightCallouts: range("limits.maxInflightCallouts"),
  drainTimeoutMs: range("limits.drainTimeoutMs"),
  maxHeldBytes: range("limits.maxHeldBytes"),
  maxRedactBytes: range("limits.maxRedactBytes"),
  configBytes: MAX_CONFIG_BYTES,
  maxRetries: range("retry.maxRetries"),
  initialBackoffMs: range("retry.initialBackoffMs"),
  maxBackoffMs: range("retry.maxBackoffMs"),
  budgetBytes: range("retry.budgetBytes"),
  batchMaxEvents: range("batch.maxEvents"),
  batchMaxBytes: range("batch.maxBytes"),
  batchIntervalMs: range("batch.intervalMs"),
  sampleHeaderChars: max("sampling.header"),
  llmMaxEventBytes: range("llm.maxEventBytes"),
} as const;

/** Defaults the filter applies to absent fields (docs/plugin-config.md). */
export const FILTER_DEFAULTS = {
  retry: {
    maxRetries: intDefault("retry.maxRetries"),
    initialBackoffMs: intDefault("retry.initialBackoffMs"),
    maxBackoffMs: intDefault("retry.maxBackoffMs"),
    budgetBytes: intDefault("retry.budgetBytes"),
  },
} as const;

const TOP_FIELDS = configKeys("");
const LOGGER_FIELDS = configKeys("logger");

/** RFC 9110 token, as the filter's isToken. */
export function isToken(s: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);
}

/** A redactPaths entry the filter accepts: non-empty `.`-separated segments, ≤ 256 chars, ≤ 16 segments. */
export function redactPathError(p: unknown): string | undefined {
  if (typeof p !== "string" || p.length === 0 || p.length > LIMITS.redactPathChars)
    return `must be a path like "instances.*.ssn" of 1..${LIMITS.redactPathChars} characters`;
  const segs = p.split(".");
  if (segs.some((s) => s.length === 0)) return `"${p}" has an empty segment`;
  if (segs.length > LIMITS.redactPathSegments)
    return `"${p}" has ${segs.length} segments, at most ${LIMITS.redactPathSegments}`;
  return undefined;
}

/**
 * Size of `annotations` as the filter sends it in `ce-annotations`: JSON with sorted keys.
 * Counted with Go's escaping of < > & (\u003c...) and U+2028/9, the longer of the two encodings
 * a consumer may see, so the limit holds whichever the filter writes.
 */
export function annotationsJsonBytes(annotations: Record<string, string>): number {
  const sorted = Object.fromEntries(
    Object.keys(annotations)
      .sort()
      .map((k) => [k, annotations[k]]),
  );
  const json = JSON.stringify(sorted).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
  return Buffer.byteLength(json, "utf8");
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Every violation of the contract, as "field: reason". Empty when the filter will accept it. */
export function checkPluginConfig(cfg: unknown): string[] {
  const errs: string[] = [];
  if (!isObject(cfg)) return ["pluginConfig: must be an object"];
  for (const k of Object.keys(cfg)) if (!TOP_FIELDS.includes(k)) errs.push(`${k}: unknown field`);

  const str = (f: string, v: unknown, min: number, max: number, required: boolean) => {
    if (v === undefined) {
      if (required) errs.push(`${f}: required`);
      return;
    }
    if (typeof v !== "string") errs.push(`${f}: must be a string`);
    else if (v.length < min || v.length > max) errs.push(`${f}: length ${v.length} outside ${min}..${max}`);
    else if (CONTROL.test(v)) errs.push(`${f}: control characters are not allowed`);
  };
  const int = (f: string, v: unknown, [lo, hi]: readonly [number, number]) => {
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isInteger(v)) errs.push(`${f}: must be an integer`);
    else if (v < lo || v > hi) errs.push(`${f}: ${v} outside ${lo}..${hi}`);
  };
  const num = (f: string, v: unknown, [lo, hi]: readonly [number, number]) => {
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v)) errs.push(`${f}: must be a number`);
    else if (v < lo || v > hi) errs.push(`${f}: ${v} outside ${lo}..${hi}`);
  };
  const oneOf = (f: string, v: unknown, allowed: readonly string[]) => {
    if (v !== undefined && (typeof v !== "string" || !allowed.includes(v))) {
      errs.push(`${f}: must be one of ${allowed.join(", ")}`);
    }
  };

  str("inferenceService", cfg.inferenceService, 1, LIMITS.inferenceServiceChars, true);
  str("namespace", cfg.namespace, 1, LIMITS.namespaceChars, true);
  oneOf("component", cfg.component, ["predictor", "transformer", "explainer"]);
  str("endpoint", cfg.endpoint, 0, LIMITS.endpointChars, false);
  if (cfg.endpoints !== undefined) {
    if (!isObject(cfg.endpoints)) errs.push("endpoints: must be an object");
    else {
      const n = Object.keys(cfg.endpoints).length;
      if (n > LIMITS.endpoints) errs.push(`endpoints: ${n} entries, at most ${LIMITS.endpoints}`);
      for (const [k, v] of Object.entries(cfg.endpoints)) {
        if (k.length === 0 || CONTROL.test(k))
          errs.push(`endpoints["${k}"]: revision name is empty or has a control character`);
        oneOf(`endpoints["${k}"]`, v, ["default", "canary"]);
      }
    }
  }
  oneOf("mode", cfg.mode, ["all", "request", "response"]);
  oneOf("identity", cfg.identity, ["pod", "config"]);
  if (!isObject(cfg.logger)) errs.push("logger: required object");
  else {
    for (const k of Object.keys(cfg.logger)) if (!LOGGER_FIELDS.includes(k)) errs.push(`logger.${k}: unknown field`);
    str("logger.cluster", cfg.logger.cluster, 1, LIMITS.clusterChars, true);
    str("logger.authority", cfg.logger.authority, 1, LIMITS.authorityChars, true);
    if (typeof cfg.logger.authority === "string" && cfg.logger.authority.includes(" "))
      errs.push("logger.authority: must not contain spaces");
    str("logger.path", cfg.logger.path, 1, LIMITS.pathChars, false);
    if (typeof cfg.logger.path === "string" && (!cfg.logger.path.startsWith("/") || cfg.logger.path.includes(" "))) {
      errs.push("logger.path: must start with / and contain no spaces");
    }
    int("logger.timeoutMs", cfg.logger.timeoutMs, LIMITS.timeoutMs);
  }
  str("source", cfg.source, 1, LIMITS.sourceChars, false);
  const allowed: string[] = [];
  if (cfg.allowSensitiveHeaders !== undefined) {
    if (!Array.isArray(cfg.allowSensitiveHeaders)) errs.push("allowSensitiveHeaders: must be a list of header names");
    else if (cfg.allowSensitiveHeaders.length > max("allowSensitiveHeaders")) {
      errs.push(
        `allowSensitiveHeaders: ${cfg.allowSensitiveHeaders.length} names, at most ${max("allowSensitiveHeaders")}`,
      );
    } else
      cfg.allowSensitiveHeaders.forEach((h: unknown, i) => {
        if (typeof h !== "string" || !isToken(h)) errs.push(`allowSensitiveHeaders[${i}]: must be a header name`);
        else allowed.push(h.toLowerCase());
      });
  }
  if (cfg.metadataHeaders !== undefined) {
    if (!Array.isArray(cfg.metadataHeaders)) errs.push("metadataHeaders: must be a list of strings");
    else {
      if (cfg.metadataHeaders.length > LIMITS.metadataHeaders) {
        errs.push(`metadataHeaders: ${cfg.metadataHeaders.length} names, at most ${LIMITS.metadataHeaders}`);
      }
      cfg.metadataHeaders.forEach((h: unknown, i) => {
        const f = `metadataHeaders[${i}]`;
        if (typeof h !== "string") errs.push(`${f}: must be a string`);
        else if (!isToken(h) || h.length > LIMITS.headerNameChars) errs.push(`${f}: "${h}" is not a valid header name`);
        else if (isSensitiveName(h) && !allowed.includes(h.toLowerCase())) {
          errs.push(`${f}: "${h}" carries credentials; list it in allowSensitiveHeaders to log it`);
        }
      });
    }
  }
  if (cfg.annotations !== undefined) {
    if (!isObject(cfg.annotations)) errs.push("annotations: must be an object");
    else {
      const entries = Object.entries(cfg.annotations);
      if (entries.length > LIMITS.annotations)
        errs.push(`annotations: ${entries.length} entries, at most ${LIMITS.annotations}`);
      for (const [k] of entries) {
        if (k.length === 0 || k.length > LIMITS.annotationKeyChars)
          errs.push(`annotations["${k}"]: key must be 1..${LIMITS.annotationKeyChars} characters`);
      }
      if (entries.every(([, v]) => typeof v === "string")) {
        const bytes = annotationsJsonBytes(cfg.annotations as Record<string, string>);
        if (bytes > LIMITS.annotationsJsonBytes)
          errs.push(`annotations: serialized ${bytes} bytes, at most ${LIMITS.annotationsJsonBytes}`);
      } else errs.push("annotations: values must be strings");
    }
  }
  if (cfg.logAllResponses !== undefined && typeof cfg.logAllResponses !== "boolean")
    errs.push("logAllResponses: must be a boolean");
  oneOf("headerEncoding", cfg.headerEncoding, ["raw", "percent"]);
  oneOf("eventId", cfg.eventId, ["kserve", "x-request-id"]);
  // a section: only the table's keys, each integer in its table range
  const section = (name: string, v: unknown): v is Record<string, unknown> => {
    if (v === undefined) return false;
    if (!isObject(v)) {
      errs.push(`${name}: must be an object`);
      return false;
    }
    const keys = configKeys(name);
    for (const k of Object.keys(v)) if (!keys.includes(k)) errs.push(`${name}.${k}: unknown field`);
    for (const f of CONFIG_FIELDS) {
      if (f.section === name && f.type === T_INTEGER) int(f.path, v[f.key], [f.min, f.max]);
      if (f.section === name && f.type === T_NUMBER) num(f.path, v[f.key], [f.min, f.max]);
    }
    return true;
  };
  section("limits", cfg.limits);
  const beforeRetry = errs.length;
  if (section("retry", cfg.retry)) {
    const r = cfg.retry;
    // as the filter: an absent field takes its default before the comparison
    const initial = (r.initialBackoffMs as number | undefined) ?? FILTER_DEFAULTS.retry.initialBackoffMs;
    const max = (r.maxBackoffMs as number | undefined) ?? FILTER_DEFAULTS.retry.maxBackoffMs;
    if (errs.length === beforeRetry && max < initial) {
      errs.push(
        `retry.maxBackoffMs: ${max}${r.maxBackoffMs === undefined ? " (default)" : ""} must not be smaller than retry.initialBackoffMs ${initial}`,
      );
    }
  }
  const beforeBatch = errs.length;
  // as the filter: percent-encoding is a binary-mode header encoding
  if (section("batch", cfg.batch) && errs.length === beforeBatch && cfg.headerEncoding === "percent") {
    errs.push("batch: headerEncoding percent applies to binary mode only; a batch carries its values in JSON");
  }
  if (section("sampling", cfg.sampling)) {
    const h = cfg.sampling.header;
    str("sampling.header", h, 1, LIMITS.sampleHeaderChars, false);
    if (typeof h === "string" && h.length > 0 && h.length <= LIMITS.sampleHeaderChars && !isToken(h))
      errs.push(`sampling.header: "${h}" is not a valid header name`);
  }
  if (section("llm", cfg.llm)) oneOf("llm.body", cfg.llm.body, ["raw", "reassembled"]);
  if (cfg.redactPaths !== undefined) {
    if (!Array.isArray(cfg.redactPaths)) errs.push("redactPaths: must be a list of paths");
    else {
      if (cfg.redactPaths.length > LIMITS.redactPaths)
        errs.push(`redactPaths: ${cfg.redactPaths.length} paths, at most ${LIMITS.redactPaths}`);
      cfg.redactPaths.forEach((p: unknown, i) => {
        const e = redactPathError(p);
        if (e) errs.push(`redactPaths[${i}]: ${e}`);
      });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(cfg), "utf8");
  if (bytes > LIMITS.configBytes) errs.push(`pluginConfig: ${bytes} bytes, at most ${LIMITS.configBytes}`);
  return errs;
}
