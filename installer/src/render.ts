// ISVC → the objects that make its payload logging happen: one WasmPlugin per logged
// component (stable predictor, transformer, explainer, each spec.canary[] predictor), plus the
// ServiceEntry/DestinationRule an external or https logger needs.
import { resolveAnnotations } from "./annotations.js";
import type { Diagnostics } from "./diagnostics.js";
import { revisionEndpoints } from "./endpoints.js";
import type { Isvc, LoggedComponent } from "./isvc.js";
import { COMPONENT_POD_LABEL, ISVC_POD_LABEL, KSERVE_DISALLOWED_ANNOTATIONS, RAW_APP_POD_LABEL } from "./kserve.js";
import {
  LoggerUrlError,
  reachabilityObjects,
  redactUrl,
  resolveLoggerUrl,
  type LoggerTarget,
} from "./logger-target.js";
import { annotationsJsonBytes, checkPluginConfig, LIMITS, type PluginConfig } from "./plugin-config.js";
import { isHeaderName, isSensitiveHeader } from "./sensitive.js";
import {
  ANNOTATION_LOGGER_URL,
  FIELD_MANAGER,
  isvcOwnerReferences,
  LABEL_CANARY,
  LABEL_COMPONENT,
  LABEL_ISVC,
  LABEL_MANAGED_BY,
  wasmPlugin,
  type FailStrategy,
  type ModuleRef,
} from "./wasmplugin.js";

export interface RenderOptions {
  module: ModuleRef;
  /** used when a logger has no url, as KServe uses the ConfigMap's logger.defaultUrl */
  defaultLoggerUrl: string;
  clusterDomain: string;
  allowAnnotations: string[];
  allowHeaders: string[];
  /** added to KServe's disallowed annotation list (the ConfigMap can extend it) */
  extraDisallowedAnnotations: string[];
  strict: boolean;
  timeoutMs: number;
  limits?: PluginConfig["limits"];
  retry?: PluginConfig["retry"];
  /** CloudEvents batch mode (pluginConfig batch); absent: one request per event, as KServe's agent */
  batch?: PluginConfig["batch"];
  logAllResponses?: boolean;
  headerEncoding?: "raw" | "percent";
  /** pluginConfig eventId: ce-id without a Ce-Id header is a new UUID (kserve) or the X-Request-Id */
  eventId?: "kserve" | "x-request-id";
  /** pluginConfig sampling: the share of exchanges logged, and the force/skip header */
  sampling?: PluginConfig["sampling"];
  /**
   * pluginConfig llm: "on" for every component, "off" for none, "auto" (default) for components
   * served by KServe's Hugging Face runtime (model format huggingface), which serves the
   * OpenAI-compatible routes /openai/v1/chat/completions and /openai/v1/completions.
   */
  llm?: "auto" | "on" | "off";
  /** the llm section's fields when it is rendered */
  llmOptions?: NonNullable<PluginConfig["llm"]>;
  /** JSON paths whose values the filter replaces by "[REDACTED]" (pluginConfig redactPaths) */
  redactPaths?: string[];
  /** pluginConfig source: fallback for ce-source when the pod name is unknown */
  source?: string;
  /**
   * ce-endpoint: "traffic" (default) fills default/canary from the traffic split; "kserve" leaves
   * it as KServe's agent sends it: the pod label `endpoint`, which no KServe controller sets (empty).
   */
  ceEndpoint?: "traffic" | "kserve";
  /**
   * Where the filter runs: "sidecar" (default), the model pod's sidecar (WasmPlugin selector), or
   * "waypoint", the ambient waypoint of the component's Service (targetRefs; identity from the
   * pluginConfig; the logger reached through the waypoint's inbound-vip cluster).
   */
  attach?: "sidecar" | "waypoint" | "auto";
  /** LLMInferenceServices without spec.router.gateway: KServe's ingress gateway (namespace/name) */
  llmGateway?: string;
  /** the mesh's Istio version ("1.24"): checks targetRefs (≥ 1.22) and FAIL_RELOAD (≥ 1.27) against it */
  istioVersion?: string;
  /** WasmPlugin failStrategy (default FAIL_OPEN) */
  failStrategy?: FailStrategy;
  /** Istio's root namespace (meshConfig.rootNamespace): a WasmPlugin there applies to every namespace */
  istioRootNamespace?: string;
  /** logger URL query parameters with sensitive names are allowed (--allow-logger-query) */
  allowLoggerQuery?: boolean;
  /** loopback, link-local, unspecified logger hosts, port 0 and the proxy's ports allowed (--allow-logger-address) */
  allowLoggerAddress?: boolean;
}

export const DEFAULT_RENDER_OPTIONS: Omit<RenderOptions, "module"> = {
  defaultLoggerUrl: "http://default-broker",
  clusterDomain: "cluster.local",
  allowAnnotations: [],
  allowHeaders: [],
  extraDisallowedAnnotations: [],
  strict: false,
  timeoutMs: 5000,
};

const OPTION_FLAGS: Record<string, string> = {
  "logger.timeoutMs": "--logger-timeout-ms",
  "limits.maxBodyBytes": "--max-body-bytes",
  "limits.maxMetadataBytes": "--max-metadata-bytes",
  "limits.maxInflightCallouts": "--max-inflight-callouts",
  "limits.drainTimeoutMs": "--drain-timeout-ms",
  "limits.maxHeldBytes": "--max-held-bytes",
  "limits.maxRedactBytes": "--max-redact-bytes",
  "retry.maxRetries": "--max-retries",
  "retry.initialBackoffMs": "--retry-initial-backoff-ms",
  "retry.maxBackoffMs": "--retry-max-backoff-ms",
  "retry.budgetBytes": "--retry-budget-bytes",
  "batch.maxEvents": "--batch-max-events",
  "batch.maxBytes": "--batch-max-bytes",
  "batch.intervalMs": "--batch-interval-ms",
  batch: "--batch-*",
  redactPaths: "--redact-path",
  source: "--source",
  headerEncoding: "--header-encoding",
  eventId: "--event-id",
  "sampling.rate": "--sample-rate",
  "sampling.header": "--sample-header",
  sampling: "--sample-*",
  "llm.body": "--llm-body",
  "llm.maxEventBytes": "--llm-max-event-bytes",
  llm: "--llm-*",
};

/**
 * The cluster-wide settings checked once, before any ISVC is read, against the same contract
 * (a bad --max-body-bytes must stop `watch` at start, not fail every reconcile). "flag: reason".
 */
export function checkRenderOptions(opts: RenderOptions): string[] {
  const errs = [...versionErrors(opts)];
  const probe: Record<string, unknown> = {
    inferenceService: "probe",
    namespace: "probe",
    logger: { cluster: "probe", authority: "probe", timeoutMs: opts.timeoutMs },
  };
  if (opts.limits) probe.limits = opts.limits;
  if (opts.retry) probe.retry = opts.retry;
  if (opts.batch) probe.batch = opts.batch;
  if (opts.redactPaths) probe.redactPaths = opts.redactPaths;
  if (opts.source !== undefined) probe.source = opts.source;
  if (opts.headerEncoding !== undefined) probe.headerEncoding = opts.headerEncoding;
  if (opts.eventId !== undefined) probe.eventId = opts.eventId;
  if (opts.sampling) probe.sampling = opts.sampling;
  if (opts.llmOptions) probe.llm = opts.llmOptions;
  return errs.concat(
    checkPluginConfig(probe).map((e) => {
      const field = e.slice(0, e.indexOf(":"));
      const flag = OPTION_FLAGS[field] ?? OPTION_FLAGS[field.replace(/\[\d+\]$/, "")] ?? field;
      return `${flag}: ${e.slice(e.indexOf(":") + 1).trim()} (pluginConfig ${field})`;
    }),
  );
}

/** Istio's ambient labels (istio.io docs, ambient/usage: add-workloads, waypoint). */
export const LABEL_DATAPLANE_MODE = "istio.io/dataplane-mode";
export const LABEL_USE_WAYPOINT = "istio.io/use-waypoint";

/**
 * --attach auto, for one namespace: waypoint when the namespace is ambient and names a waypoint,
 * else sidecar. Only the Namespace's labels are read (a Service's own istio.io/use-waypoint is
 * not: the installer has no permission on Services). Without labels (render, offline): sidecar.
 */
export function resolveAttach(
  opts: RenderOptions,
  namespaceLabels: Record<string, string> | undefined,
  d: Diagnostics,
): RenderOptions {
  if (opts.attach !== "auto") return opts;
  if (namespaceLabels === undefined) {
    d.warn("--attach", "auto decides from the namespace's labels, which render does not read: rendered for sidecars");
    return { ...opts, attach: "sidecar" };
  }
  const ambient = namespaceLabels[LABEL_DATAPLANE_MODE] === "ambient";
  const waypoint = namespaceLabels[LABEL_USE_WAYPOINT];
  if (ambient && !waypoint)
    d.warn(
      "--attach",
      `auto: the namespace is ambient (${LABEL_DATAPLANE_MODE}=ambient) but names no waypoint (${LABEL_USE_WAYPOINT}); no proxy runs HTTP filters for its pods until one is added, rendered for its waypoint`,
    );
  return { ...opts, attach: ambient || waypoint ? "waypoint" : "sidecar" };
}

/** Istio releases that brought what a rendering may use (istio/api wasm.proto; release notes). */
export const ISTIO_TARGET_REFS = "1.22";
export const ISTIO_FAIL_RELOAD = "1.27";

function versionAtLeast(have: string, want: string): boolean {
  const [a1, a2] = have.split(".").map(Number) as [number, number];
  const [b1, b2] = want.split(".").map(Number) as [number, number];
  return a1 > b1 || (a1 === b1 && a2 >= b2);
}

function versionErrors(opts: RenderOptions): string[] {
  const g = opts.llmGateway;
  if (g !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(g))
    return [`--llm-gateway: "${g}" is not namespace/name of a Gateway`];
  const v = opts.istioVersion;
  if (v === undefined) return [];
  if (!/^1\.\d{1,3}(\.\d+)?$/.test(v)) return [`--istio-version: "${v}" is not an Istio 1.x version like 1.24`];
  const errs: string[] = [];
  if ((opts.attach === "waypoint" || opts.attach === "auto") && !versionAtLeast(v, ISTIO_TARGET_REFS))
    errs.push(
      `--attach ${opts.attach}: needs Istio ≥ ${ISTIO_TARGET_REFS} (a waypoint takes a WasmPlugin by targetRefs only); --istio-version is ${v}`,
    );
  if (opts.failStrategy === "FAIL_RELOAD" && !versionAtLeast(v, ISTIO_FAIL_RELOAD))
    errs.push(`--fail-strategy FAIL_RELOAD: needs Istio ≥ ${ISTIO_FAIL_RELOAD}; --istio-version is ${v}`);
  return errs;
}

export function wasmPluginName(isvc: string, c: LoggedComponent): string {
  return c.canaryName ? `${isvc}-${c.canaryName}-predictor-logger` : `${isvc}-${c.component}-logger`;
}

/** Namespaces whose ISVCs are never rendered: Istio's root namespace and Kubernetes' own. */
export const SYSTEM_NAMESPACES = ["kube-system", "kube-public"];
export const DEFAULT_ISTIO_ROOT_NAMESPACE = "istio-system";

export function renderIsvc(
  isvc: Isvc,
  given: RenderOptions,
  d: Diagnostics,
  namespaceLabels?: Record<string, string>,
): object[] {
  const opts = resolveAttach(given, namespaceLabels, d);
  const placement = opts.attach === "waypoint" ? WAYPOINT : SIDECAR;
  const root = opts.istioRootNamespace ?? DEFAULT_ISTIO_ROOT_NAMESPACE;
  if (isvc.namespace === root) {
    // A WasmPlugin in the root namespace applies mesh-wide: its selector would capture a
    // same-named model of any tenant in any namespace.
    d.error(
      "metadata.namespace",
      `"${root}" is Istio's root namespace (--istio-root-namespace): a WasmPlugin there applies to every namespace, so its ISVCs are not logged`,
    );
    return [];
  }
  if (SYSTEM_NAMESPACES.includes(isvc.namespace)) {
    d.error("metadata.namespace", `"${isvc.namespace}" is a Kubernetes system namespace: its ISVCs are not logged`);
    return [];
  }
  if (placement === WAYPOINT && isvc.canaryNames.length > 0) {
    d.error(
      "spec.canary",
      "--attach waypoint: spec.canary[] is not supported (the canaries' pods are behind the predictor's Service; a waypoint cannot tell them apart)",
    );
    return [];
  }
  const out: object[] = [];
  const seen = new Set<string>();
  const ownerReferences = isvcOwnerReferences(isvc.name, isvc.uid);
  const baseLabels = { [LABEL_MANAGED_BY]: FIELD_MANAGER, [LABEL_ISVC]: isvc.name };
  for (const comp of isvc.components) {
    const cfg = pluginConfigFor(isvc, comp, opts, d, placement);
    if (!cfg) continue;
    const { config, target } = cfg;
    const labels: Record<string, string> = { ...baseLabels, [LABEL_COMPONENT]: comp.component };
    if (comp.canaryName) labels[LABEL_CANARY] = comp.canaryName;
    out.push(
      wasmPlugin({
        name: wasmPluginName(isvc.name, comp),
        namespace: isvc.namespace,
        labels,
        annotations: { [ANNOTATION_LOGGER_URL]: redactUrl(target.url) },
        ownerReferences,
        ...(placement === WAYPOINT
          ? { targetRefs: [{ group: "", kind: "Service", name: componentServiceName(isvc.name, comp) }] }
          : { selector: podSelector(isvc, comp) }),
        module: opts.module,
        pluginConfig: config,
        failStrategy: opts.failStrategy,
      }),
    );
    for (const o of reachabilityObjects(target, {
      name: isvc.name,
      namespace: isvc.namespace,
      labels: baseLabels,
      ownerReferences,
    })) {
      const key = `${(o as { kind: string }).kind}/${(o as { metadata: { name: string } }).metadata.name}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(o);
      }
    }
  }
  return out;
}

/** KServe's Service of a component (pkg/constants PredictorServiceName etc.: `<isvc>-<component>`). */
export function componentServiceName(isvc: string, c: LoggedComponent): string {
  return `${isvc}-${c.component}`;
}

/**
 * The cluster a waypoint has for a Service it serves: `inbound-vip|<port>|http|<host>` (Istio
 * pilot/pkg/networking/core/cluster_waypoint.go buildWaypointInboundVIP, the key of
 * model.BuildSubsetKey with TrafficDirectionInboundVIP and subset "http"). A waypoint has
 * `outbound|…` clusters only for what its own services route to (filterWaypointOutboundServices),
 * so the logger's Service must use the same waypoint for this cluster to exist.
 */
export function waypointCluster(t: LoggerTarget): string {
  return `inbound-vip|${t.clusterPort}|http|${t.host}`;
}

/**
 * Labels that select exactly this component's pods. `serving.kserve.io/inferenceservice` and
 * `component` are on the pods in Serverless and RawDeployment modes alike. spec.canary[]
 * (RawDeployment only) gives each canary its own Deployment `<isvc>-<name>-predictor`, whose pods
 * share those two labels with the stable predictor's; the RawDeployment `app: isvc.<deployment>`
 * label tells them apart, so it is added on both sides when the ISVC has canaries.
 */
export function podSelector(isvc: Isvc, c: LoggedComponent): Record<string, string> {
  const sel: Record<string, string> = { [ISVC_POD_LABEL]: isvc.name, [COMPONENT_POD_LABEL]: c.component };
  if (c.canaryName) sel[RAW_APP_POD_LABEL] = `isvc.${isvc.name}-${c.canaryName}-predictor`;
  else if (c.component === "predictor" && isvc.canaryNames.length > 0)
    sel[RAW_APP_POD_LABEL] = `isvc.${isvc.name}-predictor`;
  return sel;
}

/**
 * Where the filter runs, as far as its pluginConfig is concerned: the cluster it reaches the
 * logger by, whether identity comes from the pluginConfig only, and loggers it cannot reach.
 */
export interface Placement {
  cluster(t: LoggerTarget): string;
  identity?: "config";
  /** why a logger of this target cannot be reached from there, or undefined */
  unreachable?(t: LoggerTarget): string | undefined;
  /** LLM mode whatever the model format (LLMInferenceService) */
  llm?: boolean;
}

export const SIDECAR: Placement = { cluster: (t) => t.cluster };

export const WAYPOINT: Placement = {
  cluster: waypointCluster,
  identity: "config",
  unreachable: (t) =>
    t.external
      ? `--attach waypoint: a logger outside the mesh (${t.host}) is not supported; a waypoint reaches only Services it serves`
      : undefined,
};

export function pluginConfigFor(
  isvc: Isvc,
  comp: LoggedComponent,
  opts: RenderOptions,
  d: Diagnostics,
  placement: Placement,
) {
  const lp = comp.loggerPath;
  let ok = true;
  const rawUrl = comp.logger.url ?? opts.defaultLoggerUrl;
  if (comp.logger.url === undefined) {
    d.warn(
      `${lp}.url`,
      `not set; using the default logger URL ${redactUrl(opts.defaultLoggerUrl)} (--default-logger-url)`,
    );
  }
  let target: LoggerTarget | undefined;
  try {
    target = resolveLoggerUrl(rawUrl, {
      namespace: isvc.namespace,
      clusterDomain: opts.clusterDomain,
      allowQuery: opts.allowLoggerQuery,
      allowAddress: opts.allowLoggerAddress,
    });
  } catch (e) {
    if (!(e instanceof LoggerUrlError)) throw e;
    d.error(comp.logger.url === undefined ? "--default-logger-url" : `${lp}.url`, e.message);
    ok = false; // go on: report every problem of this logger at once
  }

  const headers = comp.logger.metadataHeaders;
  headers.forEach((h, i) => {
    const f = `${lp}.metadataHeaders[${i}]`;
    if (!isHeaderName(h)) {
      d.error(f, `"${h}" is not a valid HTTP header name`);
      ok = false;
    } else if (isSensitiveHeader(h) && !opts.allowHeaders.some((a) => a.toLowerCase() === h.toLowerCase())) {
      d.error(
        f,
        `"${h}" carries credentials and would be copied into every event; pass --allow-header ${h} to log it anyway`,
      );
      ok = false;
    }
  });
  if (headers.length > LIMITS.metadataHeaders) {
    d.error(`${lp}.metadataHeaders`, `${headers.length} names, the filter takes at most ${LIMITS.metadataHeaders}`);
    ok = false;
  }

  const annotations = resolveAnnotations(
    isvc.annotations,
    comp,
    {
      disallowed: [...KSERVE_DISALLOWED_ANNOTATIONS, ...opts.extraDisallowedAnnotations],
      allow: opts.allowAnnotations,
      strict: opts.strict,
    },
    d,
  );
  const n = Object.keys(annotations).length;
  if (n > LIMITS.annotations) {
    d.error(`${lp}.metadataAnnotations`, `${n} annotations, the filter takes at most ${LIMITS.annotations}`);
    ok = false;
  }
  const bytes = annotationsJsonBytes(annotations);
  if (bytes > LIMITS.annotationsJsonBytes) {
    d.error(
      `${lp}.metadataAnnotations`,
      `the selected annotations serialize to ${bytes} bytes, the filter takes at most ${LIMITS.annotationsJsonBytes}`,
    );
    ok = false;
  }
  if (!ok || !target) return undefined;

  const unreachable = placement.unreachable?.(target);
  if (unreachable) {
    d.error(`${lp}.url`, unreachable);
    ok = false;
  }
  const config: PluginConfig = {
    inferenceService: isvc.name,
    namespace: isvc.namespace,
    component: comp.component,
    ...endpointsOf(isvc, comp, opts),
    mode: comp.logger.mode,
    ...(placement.identity ? { identity: placement.identity } : {}),
    logger: {
      cluster: placement.cluster(target),
      authority: target.authority,
      path: target.path,
      timeoutMs: opts.timeoutMs,
    },
    metadataHeaders: headers,
    annotations: sortedKeys(annotations),
  };
  // --allow-header let a credential header through: the filter refuses it unless told so too
  const allowSensitive = headers.filter((h) => isSensitiveHeader(h));
  if (allowSensitive.length > 0) config.allowSensitiveHeaders = allowSensitive;
  if (opts.source !== undefined) config.source = opts.source;
  if (opts.logAllResponses !== undefined) config.logAllResponses = opts.logAllResponses;
  if (opts.headerEncoding !== undefined) config.headerEncoding = opts.headerEncoding;
  if (opts.eventId !== undefined) config.eventId = opts.eventId;
  if (opts.limits && Object.keys(opts.limits).length > 0) config.limits = opts.limits;
  if (opts.retry && Object.keys(opts.retry).length > 0) config.retry = opts.retry;
  if (opts.batch) config.batch = opts.batch;
  if (opts.redactPaths && opts.redactPaths.length > 0) config.redactPaths = opts.redactPaths;
  if (opts.sampling) config.sampling = opts.sampling;
  if (placement.llm ? opts.llm !== "off" : servesCompletions(comp, opts)) config.llm = opts.llmOptions ?? {};
  // last line of defence: never emit what the filter would refuse
  for (const e of checkPluginConfig(config)) {
    d.error(`spec.pluginConfig.${e.split(":")[0]}`, e.slice(e.indexOf(":") + 1).trim());
    ok = false;
  }
  return ok ? { config, target } : undefined;
}

/** The model format whose KServe runtime (kserve-huggingfaceserver) serves OpenAI-compatible routes. */
export const OPENAI_MODEL_FORMATS = ["huggingface"];

// Whether a component gets LLM mode (RenderOptions.llm).
function servesCompletions(comp: LoggedComponent, opts: RenderOptions): boolean {
  const mode = opts.llm ?? "auto";
  if (mode !== "auto") return mode === "on";
  return comp.modelFormat !== undefined && OPENAI_MODEL_FORMATS.includes(comp.modelFormat.toLowerCase());
}

function sortedKeys<V>(m: Record<string, V>): Record<string, V> {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]!]),
  );
}

// The ce-endpoint the filter sends, besides a pod label `endpoint` (which it always takes first).
function endpointsOf(
  isvc: Isvc,
  comp: LoggedComponent,
  opts: RenderOptions,
): Pick<PluginConfig, "endpoint" | "endpoints"> {
  if (opts.ceEndpoint === "kserve") return { endpoint: "", endpoints: {} };
  return {
    // spec.canary[] pods have no Knative revision: their endpoint is known from the spec
    endpoint: comp.canaryName ? "canary" : isvc.canaryNames.length > 0 ? "default" : "",
    endpoints: comp.canaryName ? {} : sortedKeys(revisionEndpoints(isvc.status, comp.component)),
  };
}
