// The pluginConfig contract (docs/plugin-config.md): the installer is its only producer, the
// filter its only parser. `checkPluginConfig` enforces the same fields, types and limits the
// filter enforces at proxy_on_configure, so that a configuration the filter would refuse
// never reaches a cluster.
import { isObject } from "./io.js";
import { isSensitiveName } from "../../filter/assembly/sensitive-names.js";

export interface PluginConfig {
  inferenceService: string;
  namespace: string;
  component: "predictor" | "transformer" | "explainer";
  endpoint: string;
  endpoints: Record<string, "default" | "canary">;
  mode: "all" | "request" | "response";
  logger: { cluster: string; authority: string; path: string; timeoutMs: number };
  source?: string;
  metadataHeaders: string[];
  /** sensitive names that metadataHeaders may carry nevertheless (the filter refuses them otherwise) */
  allowSensitiveHeaders?: string[];
  annotations: Record<string, string>;
  logAllResponses?: boolean;
  headerEncoding?: "raw" | "percent";
  limits?: {
    maxBodyBytes?: number; maxMetadataBytes?: number; maxInflightCallouts?: number; drainTimeoutMs?: number;
    maxHeldBytes?: number; maxRedactBytes?: number;
  };
  retry?: { maxRetries?: number; initialBackoffMs?: number; maxBackoffMs?: number; budgetBytes?: number };
  redactPaths?: string[];
  /** CloudEvents batch mode (application/cloudevents-batch+json); absent: one request per event. */
  batch?: { maxEvents?: number; maxBytes?: number; intervalMs?: number };
}

// The limits of docs/plugin-config.md, as filter/assembly/config.ts enforces them.
export const LIMITS = {
  inferenceServiceChars: 253,
  namespaceChars: 63,
  endpointChars: 63,
  endpoints: 64,
  clusterChars: 512,
  authorityChars: 256,
  pathChars: 2048,
  sourceChars: 2048,
  metadataHeaders: 32,
  headerNameChars: 256,
  annotations: 128,
  annotationKeyChars: 317,
  annotationsJsonBytes: 16 * 1024,
  redactPaths: 32,
  redactPathChars: 256,
  redactPathSegments: 16,
  timeoutMs: [1, 60000],
  maxBodyBytes: [0, 67108864],
  maxMetadataBytes: [2, 65536],
  maxInflightCallouts: [1, 4096],
  drainTimeoutMs: [0, 120000],
  maxHeldBytes: [1048576, 1073741824],
  maxRedactBytes: [0, 16777216],
  configBytes: 262144,
  maxRetries: [0, 10],
  initialBackoffMs: [1, 60000],
  maxBackoffMs: [1, 300000],
  budgetBytes: [0, 268435456],
  batchMaxEvents: [1, 1000],
  batchMaxBytes: [1024, 16777216],
  batchIntervalMs: [1, 60000],
} as const;

/** Defaults the filter applies to absent fields (docs/plugin-config.md). */
export const FILTER_DEFAULTS = {
  retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 2000, budgetBytes: 8388608 },
} as const;


const TOP_FIELDS = [
  "inferenceService", "namespace", "component", "endpoint", "endpoints", "mode", "logger", "source",
  "metadataHeaders", "allowSensitiveHeaders", "annotations", "logAllResponses", "headerEncoding", "limits", "retry", "redactPaths",
  "batch",
];
const LOGGER_FIELDS = ["cluster", "authority", "path", "timeoutMs"];
const LIMIT_FIELDS = ["maxBodyBytes", "maxMetadataBytes", "maxInflightCallouts", "drainTimeoutMs", "maxHeldBytes", "maxRedactBytes"];
const BATCH_FIELDS = ["maxEvents", "maxBytes", "intervalMs"];
const RETRY_FIELDS = ["maxRetries", "initialBackoffMs", "maxBackoffMs", "budgetBytes"];

/** RFC 9110 token, as the filter's isToken. */
export function isToken(s: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);
}

/** A redactPaths entry the filter accepts: non-empty `.`-separated segments, ≤ 256 chars, ≤ 16 segments. */
export function redactPathError(p: unknown): string | undefined {
  if (typeof p !== "string" || p.length === 0 || p.length > LIMITS.redactPathChars) return `must be a path like "instances.*.ssn" of 1..${LIMITS.redactPathChars} characters`;
  const segs = p.split(".");
  if (segs.some((s) => s.length === 0)) return `"${p}" has an empty segment`;
  if (segs.length > LIMITS.redactPathSegments) return `"${p}" has ${segs.length} segments, at most ${LIMITS.redactPathSegments}`;
  return undefined;
}

/**
 * Size of `annotations` as the filter sends it in `ce-annotations`: JSON with sorted keys.
 * Counted with Go's escaping of < > & (\u003c...) and U+2028/9, the longer of the two encodings
 * a consumer may see, so the limit holds whichever the filter writes.
 */
export function annotationsJsonBytes(annotations: Record<string, string>): number {
  const sorted = Object.fromEntries(Object.keys(annotations).sort().map((k) => [k, annotations[k]]));
  const json = JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
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
        if (k.length === 0 || CONTROL.test(k)) errs.push(`endpoints["${k}"]: revision name is empty or has a control character`);
        oneOf(`endpoints["${k}"]`, v, ["default", "canary"]);
      }
    }
  }
  oneOf("mode", cfg.mode, ["all", "request", "response"]);
  if (!isObject(cfg.logger)) errs.push("logger: required object");
  else {
    for (const k of Object.keys(cfg.logger)) if (!LOGGER_FIELDS.includes(k)) errs.push(`logger.${k}: unknown field`);
    str("logger.cluster", cfg.logger.cluster, 1, LIMITS.clusterChars, true);
    str("logger.authority", cfg.logger.authority, 1, LIMITS.authorityChars, true);
    if (typeof cfg.logger.authority === "string" && cfg.logger.authority.includes(" ")) errs.push("logger.authority: must not contain spaces");
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
    else cfg.allowSensitiveHeaders.forEach((h: unknown, i) => {
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
      if (entries.length > LIMITS.annotations) errs.push(`annotations: ${entries.length} entries, at most ${LIMITS.annotations}`);
      for (const [k] of entries) {
        if (k.length === 0 || k.length > LIMITS.annotationKeyChars) errs.push(`annotations["${k}"]: key must be 1..${LIMITS.annotationKeyChars} characters`);
      }
      if (entries.every(([, v]) => typeof v === "string")) {
        const bytes = annotationsJsonBytes(cfg.annotations as Record<string, string>);
        if (bytes > LIMITS.annotationsJsonBytes) errs.push(`annotations: serialized ${bytes} bytes, at most ${LIMITS.annotationsJsonBytes}`);
      } else errs.push("annotations: values must be strings");
    }
  }
  if (cfg.logAllResponses !== undefined && typeof cfg.logAllResponses !== "boolean") errs.push("logAllResponses: must be a boolean");
  oneOf("headerEncoding", cfg.headerEncoding, ["raw", "percent"]);
  if (cfg.limits !== undefined) {
    if (!isObject(cfg.limits)) errs.push("limits: must be an object");
    else {
      for (const k of Object.keys(cfg.limits)) if (!LIMIT_FIELDS.includes(k)) errs.push(`limits.${k}: unknown field`);
      int("limits.maxBodyBytes", cfg.limits.maxBodyBytes, LIMITS.maxBodyBytes);
      int("limits.maxMetadataBytes", cfg.limits.maxMetadataBytes, LIMITS.maxMetadataBytes);
      int("limits.maxInflightCallouts", cfg.limits.maxInflightCallouts, LIMITS.maxInflightCallouts);
      int("limits.drainTimeoutMs", cfg.limits.drainTimeoutMs, LIMITS.drainTimeoutMs);
      int("limits.maxHeldBytes", cfg.limits.maxHeldBytes, LIMITS.maxHeldBytes);
      int("limits.maxRedactBytes", cfg.limits.maxRedactBytes, LIMITS.maxRedactBytes);
    }
  }
  if (cfg.retry !== undefined) {
    if (!isObject(cfg.retry)) errs.push("retry: must be an object");
    else {
      const r = cfg.retry;
      const before = errs.length;
      for (const k of Object.keys(r)) if (!RETRY_FIELDS.includes(k)) errs.push(`retry.${k}: unknown field`);
      int("retry.maxRetries", r.maxRetries, LIMITS.maxRetries);
      int("retry.initialBackoffMs", r.initialBackoffMs, LIMITS.initialBackoffMs);
      int("retry.maxBackoffMs", r.maxBackoffMs, LIMITS.maxBackoffMs);
      int("retry.budgetBytes", r.budgetBytes, LIMITS.budgetBytes);
      // as the filter: an absent field takes its default before the comparison
      const initial = (r.initialBackoffMs as number | undefined) ?? FILTER_DEFAULTS.retry.initialBackoffMs;
      const max = (r.maxBackoffMs as number | undefined) ?? FILTER_DEFAULTS.retry.maxBackoffMs;
      if (errs.length === before && max < initial) {
        errs.push(`retry.maxBackoffMs: ${max}${r.maxBackoffMs === undefined ? " (default)" : ""} must not be smaller than retry.initialBackoffMs ${initial}`);
      }
    }
  }
  if (cfg.batch !== undefined) {
    if (!isObject(cfg.batch)) errs.push("batch: must be an object");
    else {
      const before = errs.length;
      for (const k of Object.keys(cfg.batch)) if (!BATCH_FIELDS.includes(k)) errs.push(`batch.${k}: unknown field`);
      int("batch.maxEvents", cfg.batch.maxEvents, LIMITS.batchMaxEvents);
      int("batch.maxBytes", cfg.batch.maxBytes, LIMITS.batchMaxBytes);
      int("batch.intervalMs", cfg.batch.intervalMs, LIMITS.batchIntervalMs);
      // as the filter: percent-encoding is a binary-mode header encoding
      if (errs.length === before && cfg.headerEncoding === "percent") {
        errs.push("batch: headerEncoding percent applies to binary mode only; a batch carries its values in JSON");
      }
    }
  }
  if (cfg.redactPaths !== undefined) {
    if (!Array.isArray(cfg.redactPaths)) errs.push("redactPaths: must be a list of paths");
    else {
      if (cfg.redactPaths.length > LIMITS.redactPaths) errs.push(`redactPaths: ${cfg.redactPaths.length} paths, at most ${LIMITS.redactPaths}`);
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
