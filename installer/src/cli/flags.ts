// The command line's vocabulary: flag sets shared by the commands, their help texts, and the
// pure functions that turn parsed flags into options (render options, output format, dry run).
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../diagnostics.js";
import { parseDocuments, readInput, type OutputFormat, type SourcedDoc } from "../io.js";
import { DEFAULT_LOGGER_URL } from "../kserve.js";
import { moduleRef } from "../module.js";
import { checkRenderOptions, DEFAULT_RENDER_OPTIONS, type RenderOptions } from "../render.js";
import { DEFAULT_CONTROL_NAMESPACE, SWITCH_CONFIGMAP } from "../kube/switch.js";
import { FAIL_STRATEGIES, type FailStrategy } from "../wasmplugin.js";
import type { Io } from "./context.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: Record<string, string>;
  run(v: Values, io: Io, positionals: string[]): Promise<number> | number;
}

export const COMMON: Options = { help: { type: "boolean", short: "h" } };
export const FILES: Options = { filename: { type: "string", short: "f", multiple: true } };
export const OUTPUT: Options = { output: { type: "string", short: "o" } };
export const NAMESPACE: Options = { namespace: { type: "string", short: "n" } };

export const RENDER_OPTIONS: Options = {
  ...FILES,
  ...OUTPUT,
  ...NAMESPACE,
  "module-url": { type: "string" },
  "module-sha256": { type: "string" },
  "module-file": { type: "string" },
  "module-oci-layout": { type: "string" },
  "allow-unpinned-module": { type: "boolean" },
  "default-logger-url": { type: "string" },
  "cluster-domain": { type: "string" },
  "allow-annotation": { type: "string", multiple: true },
  "allow-header": { type: "string", multiple: true },
  "disallowed-annotation": { type: "string", multiple: true },
  strict: { type: "boolean" },
  "logger-timeout-ms": { type: "string" },
  "timeout-ms": { type: "string" },
  "max-body-bytes": { type: "string" },
  "max-metadata-bytes": { type: "string" },
  "batch-max-events": { type: "string" },
  "batch-max-bytes": { type: "string" },
  "batch-interval-ms": { type: "string" },
  "max-inflight-callouts": { type: "string" },
  "drain-timeout-ms": { type: "string" },
  "max-held-bytes": { type: "string" },
  "max-redact-bytes": { type: "string" },
  "fail-strategy": { type: "string" },
  "allow-logger-query": { type: "boolean" },
  "istio-root-namespace": { type: "string" },
  "allow-logger-address": { type: "boolean" },
  "max-retries": { type: "string" },
  "retry-initial-backoff-ms": { type: "string" },
  "retry-max-backoff-ms": { type: "string" },
  "retry-budget-bytes": { type: "string" },
  "redact-path": { type: "string", multiple: true },
  source: { type: "string" },
  "log-all-responses": { type: "boolean" },
  "header-encoding": { type: "string" },
  "event-id": { type: "string" },
  "ce-endpoint": { type: "string" },
  "sample-rate": { type: "string" },
  "sample-header": { type: "string" },
  llm: { type: "string" },
  "llm-body": { type: "string" },
  "llm-max-event-bytes": { type: "string" },
  attach: { type: "string" },
  "istio-version": { type: "string" },
  "llm-gateway": { type: "string" },
};

export const RENDER_HELP: Record<string, string> = {
  "-f, --filename FILE|-": "InferenceService manifests (YAML or JSON, several documents, kind: List); repeatable",
  "-n, --namespace NS": 'namespace of ISVCs that name none (default "default"); an ISVC naming another is an error',
  "-o, --output yaml|json": "output format (default yaml)",
  "--module-url URL": "where Istio fetches the filter: oci://…, https://…, http://…, file:///… (required)",
  "--module-sha256 HEX":
    "sha256 Istio verifies the module with (for oci:// the image manifest digest); sha256:HEX as registries print it is taken too. Required, or one of the two below",
  "--allow-unpinned-module":
    "render without --module-sha256: Istio then runs whatever the URL serves (not recommended)",
  "--module-file FILE":
    "compute --module-sha256 from the module file, e.g. build/kserve-logger.wasm (http(s)/file URLs)",
  "--module-oci-layout DIR":
    "take --module-sha256 from the image manifest digest of an OCI image layout, e.g. build/kserve-logger-oci (`make oci`; oci:// URLs)",
  "--default-logger-url URL": `logger URL for loggers without one, KServe's ConfigMap logger.defaultUrl (default ${DEFAULT_LOGGER_URL})`,
  "--cluster-domain DOMAIN": "Kubernetes cluster domain (default cluster.local)",
  "--allow-annotation KEY": "send this metadataAnnotations key although it looks sensitive; repeatable",
  "--allow-header NAME": "copy this metadataHeaders name although it carries credentials; repeatable",
  "--disallowed-annotation KEY": "add to KServe's disallowed annotation list (as the ConfigMap can); repeatable",
  "--strict": "a selected annotation the ISVC lacks is an error (default: warning, skipped, as KServe does)",
  "--logger-timeout-ms N":
    "logger callout timeout, pluginConfig logger.timeoutMs (default 5000, 1..60000; alias --timeout-ms)",
  "--max-body-bytes N": "pluginConfig limits.maxBodyBytes (filter default 1048576, 0..67108864)",
  "--max-metadata-bytes N":
    "pluginConfig limits.maxMetadataBytes: cap of the ce-metadata header (filter default 8192, 2..65536)",
  "--batch-max-events N":
    "send events in CloudEvents batches (application/cloudevents-batch+json) of at most N events, 1..1000 (pluginConfig batch.maxEvents; default: one request per event, as KServe's agent)",
  "--batch-max-bytes N":
    "a batch leaves at this size, 1024..16777216 (pluginConfig batch.maxBytes, filter default 1048576; implies batch mode)",
  "--batch-interval-ms N":
    "a batch leaves when its first event has waited this long, 1..60000 (pluginConfig batch.intervalMs, filter default 1000; implies batch mode)",
  "--max-inflight-callouts N": "pluginConfig limits.maxInflightCallouts (filter default 64, 1..4096)",
  "--drain-timeout-ms N": "pluginConfig limits.drainTimeoutMs (filter default 10000, 0..120000)",
  "--max-held-bytes N":
    "pluginConfig limits.maxHeldBytes: all bytes a worker's VM holds for logging (filter default 67108864, 1048576..1073741824)",
  "--max-redact-bytes N":
    "pluginConfig limits.maxRedactBytes: larger bodies are left out instead of redacted (filter default 1048576, 0..16777216)",
  "--istio-root-namespace NS":
    "Istio's root namespace (meshConfig.rootNamespace, default istio-system): ISVCs there, in kube-system and in kube-public are refused",
  "--allow-logger-query":
    "allow logger URL query parameters whose names look like credentials (token, api_key, ...); they are copied into every WasmPlugin",
  "--allow-logger-address":
    "allow a logger on loopback, link-local (169.254.x) or unspecified addresses, port 0, or Envoy's/Istio's own ports (15000, 15001, 15004, 15006, 15020, 15021, 15090)",
  "--fail-strategy FAIL_OPEN|FAIL_RELOAD":
    "WasmPlugin failStrategy (default FAIL_OPEN); FAIL_RELOAD (Istio ≥ 1.27) reloads a crashed VM so logging resumes",
  "--max-retries N": "pluginConfig retry.maxRetries (filter default 2, 0..10)",
  "--retry-initial-backoff-ms N": "pluginConfig retry.initialBackoffMs (filter default 100, 1..60000)",
  "--retry-max-backoff-ms N":
    "pluginConfig retry.maxBackoffMs (filter default 2000, 1..300000, not below the initial backoff)",
  "--retry-budget-bytes N": "pluginConfig retry.budgetBytes (filter default 8388608, 0..268435456)",
  "--redact-path PATH":
    'JSON path whose values are replaced by "[REDACTED]" in both bodies, e.g. instances.*.ssn; repeatable (pluginConfig redactPaths, at most 32)',
  "--source URI": "pluginConfig source: ce-source when the pod name is unknown (filter default http://localhost:9081/)",
  "--log-all-responses": "also log non-200 responses (pluginConfig logAllResponses)",
  "--ce-endpoint traffic|kserve":
    "traffic (default): ce-endpoint is default/canary from the ISVC's traffic split; kserve: as KServe's agent sends it, the pod label endpoint (normally empty)",
  "--header-encoding raw|percent": "pluginConfig headerEncoding (filter default raw)",
  "--event-id kserve|x-request-id":
    "pluginConfig eventId: ce-id without a Ce-Id header is a new UUID as KServe makes it (default) or the request's X-Request-Id",
  "--sample-rate R":
    "log this share of exchanges, 0..1, decided per exchange from its id so both events stay together (pluginConfig sampling.rate; default: all)",
  "--sample-header NAME":
    "a request header whose value force logs the exchange and skip leaves it out, whatever the rate (pluginConfig sampling.header; default: none)",
  "--llm auto|on|off":
    "LLM extensions (model, tokens, TTFT, finish reason) on completion responses (pluginConfig llm): auto (default) for components of model format huggingface, whose runtime serves OpenAI-compatible routes; on for every component; off",
  "--llm-body raw|reassembled":
    "with LLM mode, a streamed response's body as the client got it (raw, default) or in the non-streamed JSON shape (pluginConfig llm.body)",
  "--llm-max-event-bytes N":
    "pluginConfig llm.maxEventBytes: the largest SSE event read (filter default 65536, 1024..1048576)",
};

/** -o as given; `-o=json` reaches parseArgs as "=json" (kubectl accepts that spelling). */
export function outputOption(v: Values): string | undefined {
  const o = v.output as string | undefined;
  return o?.startsWith("=") ? o.slice(1) : o;
}

export function outputFormat(v: Values): OutputFormat {
  const o = outputOption(v) ?? "yaml";
  if (o !== "yaml" && o !== "json") throw new UsageError(`--output: unsupported format "${o}" (yaml or json)`);
  return o;
}

export function intOption(v: Values, name: string): number | undefined {
  const s = v[name] as string | undefined;
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new UsageError(`--${name}: "${s}" is not a non-negative integer`);
  return Number(s);
}

export function readFiles(v: Values): SourcedDoc[] {
  const files = (v.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError("-f/--filename is required (use - for stdin)");
  return files.flatMap((f) => parseDocuments(readInput(f), f === "-" ? "<stdin>" : f));
}

export function renderOptions(v: Values): RenderOptions {
  const limits: NonNullable<RenderOptions["limits"]> = {};
  const body = intOption(v, "max-body-bytes");
  const inflight = intOption(v, "max-inflight-callouts");
  const drain = intOption(v, "drain-timeout-ms");
  if (body !== undefined) limits.maxBodyBytes = body;
  const metadata = intOption(v, "max-metadata-bytes");
  if (metadata !== undefined) limits.maxMetadataBytes = metadata;
  if (inflight !== undefined) limits.maxInflightCallouts = inflight;
  if (drain !== undefined) limits.drainTimeoutMs = drain;
  const heldBytes = intOption(v, "max-held-bytes");
  if (heldBytes !== undefined) limits.maxHeldBytes = heldBytes;
  const redactBytes = intOption(v, "max-redact-bytes");
  if (redactBytes !== undefined) limits.maxRedactBytes = redactBytes;
  const failStrategy = v["fail-strategy"] as string | undefined;
  if (failStrategy !== undefined && !(FAIL_STRATEGIES as readonly string[]).includes(failStrategy)) {
    throw new UsageError(
      `--fail-strategy: "${failStrategy}" is not FAIL_OPEN or FAIL_RELOAD (FAIL_CLOSE would let a logging fault fail inference)`,
    );
  }
  const retry: NonNullable<RenderOptions["retry"]> = {};
  const retries = intOption(v, "max-retries");
  const initial = intOption(v, "retry-initial-backoff-ms");
  const maxBackoff = intOption(v, "retry-max-backoff-ms");
  const budget = intOption(v, "retry-budget-bytes");
  if (retries !== undefined) retry.maxRetries = retries;
  if (initial !== undefined) retry.initialBackoffMs = initial;
  if (maxBackoff !== undefined) retry.maxBackoffMs = maxBackoff;
  if (budget !== undefined) retry.budgetBytes = budget;
  const timeout = intOption(v, "logger-timeout-ms");
  const timeoutAlias = intOption(v, "timeout-ms");
  if (timeout !== undefined && timeoutAlias !== undefined && timeout !== timeoutAlias) {
    throw new UsageError("--logger-timeout-ms and --timeout-ms (its alias) disagree");
  }
  const batch: NonNullable<RenderOptions["batch"]> = {};
  const batchEvents = intOption(v, "batch-max-events");
  const batchBytes = intOption(v, "batch-max-bytes");
  const batchInterval = intOption(v, "batch-interval-ms");
  if (batchEvents !== undefined) batch.maxEvents = batchEvents;
  if (batchBytes !== undefined) batch.maxBytes = batchBytes;
  if (batchInterval !== undefined) batch.intervalMs = batchInterval;
  const redact = (v["redact-path"] as string[] | undefined) ?? [];
  const enc = v["header-encoding"] as string | undefined;
  if (enc !== undefined && enc !== "raw" && enc !== "percent")
    throw new UsageError(`--header-encoding: "${enc}" is not raw or percent`);
  const eventId = v["event-id"] as string | undefined;
  if (eventId !== undefined && eventId !== "kserve" && eventId !== "x-request-id")
    throw new UsageError(`--event-id: "${eventId}" is not kserve or x-request-id`);
  const sampling: NonNullable<RenderOptions["sampling"]> = {};
  const rate = v["sample-rate"] as string | undefined;
  if (rate !== undefined) {
    if (!/^(0|1|0?\.\d+|1\.0*)$/.test(rate))
      throw new UsageError(`--sample-rate: "${rate}" is not a number from 0 to 1`);
    sampling.rate = Number(rate);
  }
  const sampleHeader = v["sample-header"] as string | undefined;
  if (sampleHeader !== undefined) sampling.header = sampleHeader;
  const llm = v.llm as string | undefined;
  if (llm !== undefined && llm !== "auto" && llm !== "on" && llm !== "off")
    throw new UsageError(`--llm: "${llm}" is not auto, on or off`);
  const llmOptions: NonNullable<RenderOptions["llmOptions"]> = {};
  const llmBody = v["llm-body"] as string | undefined;
  if (llmBody !== undefined && llmBody !== "raw" && llmBody !== "reassembled")
    throw new UsageError(`--llm-body: "${llmBody}" is not raw or reassembled`);
  if (llmBody !== undefined) llmOptions.body = llmBody;
  const llmEvent = intOption(v, "llm-max-event-bytes");
  if (llmEvent !== undefined) llmOptions.maxEventBytes = llmEvent;
  if (llm === "off" && Object.keys(llmOptions).length > 0)
    throw new UsageError("--llm-body and --llm-max-event-bytes need LLM mode; --llm is off");
  const attach = v.attach as string | undefined;
  if (attach !== undefined && attach !== "sidecar" && attach !== "waypoint" && attach !== "auto")
    throw new UsageError(`--attach: "${attach}" is not sidecar, waypoint or auto`);
  const ceEndpoint = v["ce-endpoint"] as string | undefined;
  if (ceEndpoint !== undefined && ceEndpoint !== "traffic" && ceEndpoint !== "kserve") {
    throw new UsageError(`--ce-endpoint: "${ceEndpoint}" is not traffic or kserve`);
  }
  const opts: RenderOptions = {
    ...DEFAULT_RENDER_OPTIONS,
    module: moduleRef(
      v["module-url"] as string | undefined,
      v["module-sha256"] as string | undefined,
      v["module-file"] as string | undefined,
      v["module-oci-layout"] as string | undefined,
      v["allow-unpinned-module"] === true,
    ),
    defaultLoggerUrl: (v["default-logger-url"] as string | undefined) ?? DEFAULT_LOGGER_URL,
    clusterDomain: (v["cluster-domain"] as string | undefined) ?? "cluster.local",
    allowAnnotations: (v["allow-annotation"] as string[] | undefined) ?? [],
    allowHeaders: (v["allow-header"] as string[] | undefined) ?? [],
    extraDisallowedAnnotations: (v["disallowed-annotation"] as string[] | undefined) ?? [],
    strict: v.strict === true,
    timeoutMs: timeout ?? timeoutAlias ?? 5000,
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    retry: Object.keys(retry).length > 0 ? retry : undefined,
    batch: Object.keys(batch).length > 0 ? batch : undefined,
    logAllResponses: v["log-all-responses"] === true ? true : undefined,
    headerEncoding: enc as "raw" | "percent" | undefined,
    eventId: eventId as "kserve" | "x-request-id" | undefined,
    sampling: Object.keys(sampling).length > 0 ? sampling : undefined,
    llm: llm as "auto" | "on" | "off" | undefined,
    llmOptions: Object.keys(llmOptions).length > 0 ? llmOptions : undefined,
    attach: attach as "sidecar" | "waypoint" | "auto" | undefined,
    istioVersion: v["istio-version"] as string | undefined,
    llmGateway: v["llm-gateway"] as string | undefined,
    redactPaths: redact.length > 0 ? redact : undefined,
    source: v.source as string | undefined,
    ceEndpoint: ceEndpoint as "traffic" | "kserve" | undefined,
    failStrategy: failStrategy as FailStrategy | undefined,
    allowLoggerQuery: v["allow-logger-query"] === true ? true : undefined,
    istioRootNamespace: v["istio-root-namespace"] as string | undefined,
    allowLoggerAddress: v["allow-logger-address"] === true ? true : undefined,
  };
  const errs = checkRenderOptions(opts);
  if (errs.length > 0) throw new UsageError(errs.join("\n       "));
  return opts;
}

export const CLUSTER: Options = {
  ...NAMESPACE,
  "all-namespaces": { type: "boolean", short: "A" },
  all: { type: "boolean" },
  kubeconfig: { type: "string" },
  "dry-run": { type: "string" },
  "control-namespace": { type: "string" },
};
export const CLUSTER_HELP: Record<string, string> = {
  "NAME ...": "InferenceServices to act on (or --all)",
  "--all": "every InferenceService of the namespace",
  "-n, --namespace NS": 'namespace (default: the kubeconfig context\'s, else "default")',
  "-A, --all-namespaces": "every namespace (implies --all)",
  "--kubeconfig FILE": "kubeconfig (default $KUBECONFIG, ~/.kube/config, then in-cluster)",
  "--dry-run client|server": "client: print what would be done; server: send with dryRun=All",
  "--control-namespace NS": `namespace of the switch ConfigMap ${SWITCH_CONFIGMAP} (default $POD_NAMESPACE, else ${DEFAULT_CONTROL_NAMESPACE})`,
};

/** CLUSTER without --dry-run, for the commands that have none (enable, disable, status): refused, not ignored. */
export const CLUSTER_NO_DRY_RUN: Options = Object.fromEntries(Object.entries(CLUSTER).filter(([k]) => k !== "dry-run"));
export const CLUSTER_NO_DRY_RUN_HELP: Record<string, string> = Object.fromEntries(
  Object.entries(CLUSTER_HELP).filter(([k]) => !k.startsWith("--dry-run")),
);

export function controlNamespace(v: Values): string {
  return (v["control-namespace"] as string | undefined) ?? process.env.POD_NAMESPACE ?? DEFAULT_CONTROL_NAMESPACE;
}

export function dryRun(v: Values): "client" | "server" | undefined {
  const d = v["dry-run"] as string | undefined;
  if (d === undefined || d === "none") return undefined;
  if (d !== "client" && d !== "server") throw new UsageError(`--dry-run: "${d}" is not client, server or none`);
  return d;
}
