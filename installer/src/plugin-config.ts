// The pluginConfig contract (docs/plugin-config.md): the installer is its only producer, the
// filter its only parser. `checkPluginConfig` enforces the same fields, types and limits the
// filter enforces at proxy_on_configure, so that a configuration the filter would refuse
// never reaches a cluster.
import { isObject } from "./io.js";

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
  annotations: Record<string, string>;
  logAllResponses?: boolean;
  headerEncoding?: "raw" | "percent";
  limits?: { maxBodyBytes?: number; maxInflightCallouts?: number; drainTimeoutMs?: number };
}

export const LIMITS = {
  inferenceServiceChars: 253,
  namespaceChars: 63,
  endpoints: 64,
  metadataHeaders: 32,
  annotations: 64,
  annotationsJsonBytes: 16 * 1024,
  timeoutMs: [1, 60000],
  maxBodyBytes: [0, 67108864],
  maxInflightCallouts: [1, 4096],
  drainTimeoutMs: [0, 120000],
} as const;

const TOP_FIELDS = [
  "inferenceService", "namespace", "component", "endpoint", "endpoints", "mode", "logger", "source",
  "metadataHeaders", "annotations", "logAllResponses", "headerEncoding", "limits",
];
const LOGGER_FIELDS = ["cluster", "authority", "path", "timeoutMs"];
const LIMIT_FIELDS = ["maxBodyBytes", "maxInflightCallouts", "drainTimeoutMs"];

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
const CONTROL = /[\u0000-\u001f\u007f]/;

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
  str("endpoint", cfg.endpoint, 0, 253, false);
  if (cfg.endpoints !== undefined) {
    if (!isObject(cfg.endpoints)) errs.push("endpoints: must be an object");
    else {
      const n = Object.keys(cfg.endpoints).length;
      if (n > LIMITS.endpoints) errs.push(`endpoints: ${n} entries, at most ${LIMITS.endpoints}`);
      for (const [k, v] of Object.entries(cfg.endpoints)) oneOf(`endpoints["${k}"]`, v, ["default", "canary"]);
    }
  }
  oneOf("mode", cfg.mode, ["all", "request", "response"]);
  if (!isObject(cfg.logger)) errs.push("logger: required object");
  else {
    for (const k of Object.keys(cfg.logger)) if (!LOGGER_FIELDS.includes(k)) errs.push(`logger.${k}: unknown field`);
    str("logger.cluster", cfg.logger.cluster, 1, 1024, true);
    str("logger.authority", cfg.logger.authority, 1, 1024, true);
    str("logger.path", cfg.logger.path, 1, 8192, false);
    if (typeof cfg.logger.path === "string" && !cfg.logger.path.startsWith("/")) errs.push("logger.path: must start with /");
    int("logger.timeoutMs", cfg.logger.timeoutMs, LIMITS.timeoutMs);
  }
  str("source", cfg.source, 1, 2048, false);
  if (cfg.metadataHeaders !== undefined) {
    if (!Array.isArray(cfg.metadataHeaders)) errs.push("metadataHeaders: must be a list of strings");
    else {
      if (cfg.metadataHeaders.length > LIMITS.metadataHeaders) {
        errs.push(`metadataHeaders: ${cfg.metadataHeaders.length} names, at most ${LIMITS.metadataHeaders}`);
      }
      cfg.metadataHeaders.forEach((h, i) => str(`metadataHeaders[${i}]`, h, 1, 256, true));
    }
  }
  if (cfg.annotations !== undefined) {
    if (!isObject(cfg.annotations)) errs.push("annotations: must be an object");
    else {
      const entries = Object.entries(cfg.annotations);
      if (entries.length > LIMITS.annotations) errs.push(`annotations: ${entries.length} entries, at most ${LIMITS.annotations}`);
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
      int("limits.maxInflightCallouts", cfg.limits.maxInflightCallouts, LIMITS.maxInflightCallouts);
      int("limits.drainTimeoutMs", cfg.limits.drainTimeoutMs, LIMITS.drainTimeoutMs);
    }
  }
  return errs;
}
