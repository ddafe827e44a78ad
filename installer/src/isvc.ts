// The InferenceService as the installer sees it: its identity, its annotations, and the
// components that have a logger. Everything here is checked and every problem is reported
// with the field it is about.
import YAML from "yaml";
import { Diagnostics } from "./diagnostics.js";
import { isObject } from "./io.js";
import { redactUrl } from "./logger-target.js";
import { nearest } from "./nearest.js";
import {
  COMPONENTS,
  ISVC_KIND,
  LOGGER_ANNOTATION_PREFIX,
  LOGGER_MODES,
  type Component,
  type LoggerMode,
} from "./kserve.js";

export interface LoggerSpec {
  url?: string;
  mode: LoggerMode;
  metadataHeaders: string[];
  metadataAnnotations: string[];
}

/** One set of pods that gets its own WasmPlugin. */
export interface LoggedComponent {
  component: Component;
  /** `spec.canary[i].predictor.name` for RawDeployment canaries (KServe ≥ 0.20), else undefined */
  canaryName?: string;
  /** where the logger was read, e.g. "spec.predictor.logger" or the annotation (used in diagnostics) */
  loggerPath: string;
  logger: LoggerSpec;
  /** `spec.<component>.annotations` (for canaries: the stable predictor's, overlaid with the canary's) */
  annotations: Record<string, string>;
  /** `spec.<component>.model.modelFormat.name`, when the component names one */
  modelFormat?: string;
}

export interface Isvc {
  name: string;
  namespace: string;
  uid?: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  components: LoggedComponent[];
  /** names of `spec.canary[]` entries (their pods must be kept out of the stable predictor's selector) */
  canaryNames: string[];
  /** the raw status, for the revision → default/canary map */
  status: Record<string, unknown>;
}

// RFC 1123 label as Kubernetes checks ISVC names and namespaces
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseIsvc(doc: unknown, defaultNamespace: string, diags: Diagnostics): Isvc | undefined {
  if (!isObject(doc)) {
    diags.error("", `expected an InferenceService object, got ${describe(doc)}`);
    return undefined;
  }
  const apiVersion = doc.apiVersion;
  if (typeof apiVersion !== "string" || !apiVersion.startsWith("serving.kserve.io/")) {
    diags.error("apiVersion", `expected serving.kserve.io/v1beta1, got ${describe(apiVersion)}`);
  } else if (apiVersion !== "serving.kserve.io/v1beta1") {
    diags.error("apiVersion", `only serving.kserve.io/v1beta1 is supported, got "${apiVersion}"`);
  }
  if (doc.kind !== ISVC_KIND) diags.error("kind", `expected InferenceService, got ${describe(doc.kind)}`);

  const meta = doc.metadata;
  if (!isObject(meta)) {
    diags.error("metadata", "required object is missing");
    return undefined;
  }
  const name = meta.name;
  if (typeof name !== "string" || name === "") {
    diags.error("metadata.name", "required string is missing");
    return undefined;
  }
  const d = diags.child(`${typeof meta.namespace === "string" ? meta.namespace : defaultNamespace}/${name}`);
  if (!DNS_LABEL.test(name) || name.length > 63) d.error("metadata.name", `"${name}" is not a valid DNS label`);
  let namespace = defaultNamespace;
  if (meta.namespace !== undefined) {
    if (typeof meta.namespace !== "string" || !DNS_LABEL.test(meta.namespace) || meta.namespace.length > 63) {
      d.error("metadata.namespace", `${describe(meta.namespace)} is not a valid namespace name`);
    } else namespace = meta.namespace;
  }
  let uid: string | undefined;
  if (meta.uid !== undefined) {
    if (typeof meta.uid !== "string" || meta.uid === "") d.error("metadata.uid", "must be a non-empty string");
    else uid = meta.uid;
  }
  const annotations = stringMap(meta.annotations, "metadata.annotations", d);
  const labels = stringMap(meta.labels, "metadata.labels", d);

  const spec = doc.spec;
  const components: LoggedComponent[] = [];
  const canaryNames: string[] = [];
  const fromAnnotations = annotatedLoggers(annotations, d);
  if (!isObject(spec)) {
    d.error("spec", spec === undefined ? "required object is missing" : `must be an object, got ${describe(spec)}`);
  } else {
    if (!isObject(spec.predictor)) d.error("spec.predictor", "required object is missing");
    for (const c of COMPONENTS) {
      const comp = spec[c];
      const annotated = fromAnnotations.get(c);
      if (comp === undefined || comp === null) {
        if (annotated) d.error(annotated.path, `names the ${c}, which spec.${c} does not define`);
        continue;
      }
      if (!isObject(comp)) {
        d.error(`spec.${c}`, `must be an object, got ${describe(comp)}`);
        continue;
      }
      const source = loggerSource(comp.logger, `spec.${c}.logger`, annotated, d);
      const logger = source && parseLogger(source.value, source.path, d);
      if (logger) {
        components.push({
          component: c,
          loggerPath: source.path,
          logger,
          annotations: stringMap(comp.annotations, `spec.${c}.annotations`, d),
          modelFormat: modelFormatOf(comp),
        });
      }
    }
    parseCanaries(spec, d, components, canaryNames, fromAnnotations.get("predictor"));
  }

  const status = isObject(doc.status) ? doc.status : {};
  if (d.hasErrors) return undefined;
  return { name, namespace, uid, annotations, labels, components, canaryNames, status };
}

function modelFormatOf(comp: Record<string, unknown>): string | undefined {
  const model = comp.model;
  if (!isObject(model) || !isObject(model.modelFormat)) return undefined;
  const name = model.modelFormat.name;
  return typeof name === "string" ? name : undefined;
}

interface LoggerSource {
  value: unknown;
  path: string;
}

// The loggers held in `kserve-wasm-logger/logger.<component>` annotations, parsed as JSON/YAML.
function annotatedLoggers(annotations: Record<string, string>, d: Diagnostics): Map<Component, LoggerSource> {
  const out = new Map<Component, LoggerSource>();
  for (const [key, text] of Object.entries(annotations)) {
    if (!key.startsWith(LOGGER_ANNOTATION_PREFIX)) continue;
    const path = `metadata.annotations["${key}"]`;
    const c = key.slice(LOGGER_ANNOTATION_PREFIX.length);
    if (!(COMPONENTS as readonly string[]).includes(c)) {
      d.error(path, `unknown component "${c}": use ${COMPONENTS.map((x) => LOGGER_ANNOTATION_PREFIX + x).join(", ")}`);
      continue;
    }
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) {
      d.error(path, `not a JSON or YAML logger spec: ${doc.errors[0]!.message.split("\n")[0]}`);
      continue;
    }
    const value: unknown = doc.toJS();
    if (!isObject(value)) {
      d.error(path, `must hold a logger spec object like {"mode": "all", "url": "http://..."}, got ${describe(value)}`);
      continue;
    }
    out.set(c as Component, { value, path });
  }
  return out;
}

// A component's logger comes from its spec or from the annotation, never both: with the spec
// KServe injects its agent too, and the two could disagree.
function loggerSource(
  specLogger: unknown,
  specPath: string,
  annotated: LoggerSource | undefined,
  d: Diagnostics,
): LoggerSource | undefined {
  const inSpec = specLogger !== undefined && specLogger !== null;
  if (inSpec && annotated) {
    d.error(annotated.path, `${specPath} is set too; keep one (with ${specPath} KServe also injects its agent)`);
    return undefined;
  }
  if (inSpec) return { value: specLogger, path: specPath };
  return annotated;
}

// spec.canary[] (KServe ≥ 0.20, RawDeployment): each entry's predictor is overlaid onto the
// stable predictor (mergo), so a canary without its own logger inherits the stable one's
// (or the predictor's annotated one).
function parseCanaries(
  spec: Record<string, unknown>,
  d: Diagnostics,
  out: LoggedComponent[],
  names: string[],
  annotated: LoggerSource | undefined,
): void {
  const canary = spec.canary;
  if (canary === undefined || canary === null) return;
  if (!Array.isArray(canary)) {
    d.error("spec.canary", `must be a list, got ${describe(canary)}`);
    return;
  }
  const stable = isObject(spec.predictor) ? spec.predictor : {};
  canary.forEach((entry, i) => {
    const path = `spec.canary[${i}]`;
    if (!isObject(entry) || !isObject(entry.predictor)) {
      d.error(`${path}.predictor`, "required object is missing");
      return;
    }
    const p = entry.predictor;
    if (typeof p.name !== "string" || !DNS_LABEL.test(p.name)) {
      d.error(`${path}.predictor.name`, `required DNS label, got ${describe(p.name)}`);
      return;
    }
    if (names.includes(p.name)) {
      d.error(`${path}.predictor.name`, `duplicate canary name "${p.name}"`);
      return;
    }
    names.push(p.name);
    const own = p.logger !== undefined && p.logger !== null;
    const stableInSpec = stable.logger !== undefined && stable.logger !== null;
    const inherited: LoggerSource | undefined = stableInSpec
      ? { value: stable.logger, path: "spec.predictor.logger" }
      : annotated;
    const source: LoggerSource | undefined = own ? { value: p.logger, path: `${path}.predictor.logger` } : inherited;
    if (!source) return;
    const loggerPath = source.path;
    const logger = parseLogger(source.value, loggerPath, d);
    if (!logger) return;
    out.push({
      component: "predictor",
      canaryName: p.name,
      loggerPath,
      logger,
      annotations: {
        ...stringMap(stable.annotations, "spec.predictor.annotations", new Diagnostics("")),
        ...stringMap(p.annotations, `${path}.predictor.annotations`, d),
      },
    });
  });
}

/** The fields of KServe's LoggerSpec (v0.17.0 pkg/apis/serving/v1beta1: url, mode, metadata*, storage, batching). */
const LOGGER_SPEC_FIELDS = [
  "url",
  "mode",
  "metadataHeaders",
  "metadataAnnotations",
  "storage",
  "marshallerUrl",
  "batchSize",
  "batchInterval",
];

export function parseLogger(v: unknown, path: string, d: Diagnostics): LoggerSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    d.error(path, `must be an object, got ${describe(v)}`);
    return undefined;
  }
  let ok = true;
  // KServe's LoggerSpec fields; a typo ("metadataHeader") would otherwise switch a feature off silently
  for (const k of Object.keys(v)) {
    if (LOGGER_SPEC_FIELDS.includes(k)) continue;
    const near = nearest(k, LOGGER_SPEC_FIELDS);
    d.error(
      `${path}.${k}`,
      `unknown field of a logger spec${near ? ` (did you mean "${near}"?)` : ""}; known: ${LOGGER_SPEC_FIELDS.join(", ")}`,
    );
    ok = false;
  }
  let url: string | undefined;
  if (v.url !== undefined && v.url !== null) {
    if (typeof v.url !== "string") {
      d.error(`${path}.url`, `must be a string, got ${describe(v.url)}`);
      ok = false;
    } else if (v.url !== "") url = v.url;
  }
  // KServe's webhook rejects an empty mode while its docs say "all (default)"; we take the docs.
  let mode: LoggerMode = "all";
  if (v.mode !== undefined && v.mode !== null && v.mode !== "") {
    if (typeof v.mode !== "string" || !(LOGGER_MODES as readonly string[]).includes(v.mode)) {
      d.error(`${path}.mode`, `unsupported value ${describe(v.mode)}: must be one of ${LOGGER_MODES.join(", ")}`);
      ok = false;
    } else mode = v.mode as LoggerMode;
  }
  const metadataHeaders = stringList(v.metadataHeaders, `${path}.metadataHeaders`, d);
  const metadataAnnotations = stringList(v.metadataAnnotations, `${path}.metadataAnnotations`, d);
  if (!metadataHeaders || !metadataAnnotations) ok = false;
  // Blob storage and batching live in KServe's agent; the filter only speaks CloudEvents over HTTP.
  for (const f of ["storage", "marshallerUrl", "batchSize", "batchInterval"]) {
    if (v[f] !== undefined && v[f] !== null) {
      d.error(
        `${path}.${f}`,
        "blob storage and batching are not supported by the wasm logger (CloudEvents over HTTP only)",
      );
      ok = false;
    }
  }
  if (!ok || !metadataHeaders || !metadataAnnotations) return undefined;
  return { url, mode, metadataHeaders, metadataAnnotations };
}

function stringList(v: unknown, path: string, d: Diagnostics): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    d.error(path, `must be a list of strings, got ${describe(v)}`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  v.forEach((s, i) => {
    if (typeof s !== "string" || s === "") {
      d.error(`${path}[${i}]`, `must be a non-empty string, got ${describe(s)}`);
      ok = false;
    } else if (out.includes(s)) {
      d.warn(`${path}[${i}]`, `"${s}" is listed twice; using it once`);
    } else out.push(s);
  });
  return ok ? out : undefined;
}

export function stringMap(v: unknown, path: string, d: Diagnostics): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    d.error(path, `must be a map of strings, got ${describe(v)}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") d.error(`${path}["${k}"]`, `value must be a string, got ${describe(val)}`);
    else out[k] = val;
  }
  return out;
}

export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  // a string may be a URL with credentials: never repeated (userinfo and query values hidden)
  if (typeof v === "string") return JSON.stringify(redactUrl(v));
  return `${typeof v} ${String(v)}`;
}
