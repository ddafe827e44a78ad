#!/usr/bin/env node
// kserve-wasm-logger: InferenceServices → Istio WasmPlugins. kubectl-like conventions:
// -f FILE|- (repeatable), -n/--namespace, -A, -o yaml|json, --dry-run=client|server,
// --kubeconfig, errors and warnings on stderr, --help on every command.
// Exit codes: 0 success, 1 invalid input / validation failure / API error, 2 bad command line.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Diagnostics, formatDiagnostic, UsageError } from "./diagnostics.js";
import { parseIsvc } from "./isvc.js";
import { formatObjects, parseDocuments, readInput, type OutputFormat, type SourcedDoc } from "./io.js";
import { DEFAULT_LOGGER_URL } from "./kserve.js";
import { moduleRef } from "./module.js";
import { checkRenderOptions, DEFAULT_RENDER_OPTIONS, type RenderOptions } from "./render.js";
import { renderDocuments } from "./render-docs.js";
import { validateObject } from "./validate/index.js";
import { ClientNodeKube, loadKubeConfig, withRequestTimeout, type Kube } from "./kube/client.js";
import { deleteIsvcObjects, reconcileIsvc, refString, type Action } from "./kube/reconcile.js";
import { DEFAULT_CONTROL_NAMESPACE, setIsvcSwitch, setNamespaceSwitch, SWITCH_CONFIGMAP } from "./kube/switch.js";
import { Controller } from "./kube/controller.js";
import { LEASE_NAME, LeaderElector, leaderGated } from "./kube/lease.js";
import { hostname } from "node:os";
import { GuardedKube, namespacedWatchPermissions, WATCH_PERMISSIONS } from "./kube/permissions.js";
import { DEFAULT_BACKOFF } from "./kube/backoff.js";
import { startHealthServer, type HealthServer } from "./health.js";
import { ControllerMetrics } from "./metrics.js";
import { ISVC_API_VERSION, ISVC_KIND } from "./kserve.js";
import { ANNOTATION_LOGGER_URL, FAIL_STRATEGIES, FIELD_MANAGER, LABEL_COMPONENT, LABEL_ISVC, LABEL_MANAGED_BY, WASMPLUGIN_API_VERSION, type FailStrategy } from "./wasmplugin.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** `watch` runs until this aborts (tests); without it, until SIGTERM or SIGINT */
  signal?: AbortSignal;
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: Record<string, string>;
  run(v: Values, io: Io, positionals: string[]): Promise<number> | number;
}

const COMMON: Options = { help: { type: "boolean", short: "h" } };
const FILES: Options = { filename: { type: "string", short: "f", multiple: true } };
const OUTPUT: Options = { output: { type: "string", short: "o" } };
const NAMESPACE: Options = { namespace: { type: "string", short: "n" } };

const RENDER_OPTIONS: Options = {
  ...FILES, ...OUTPUT, ...NAMESPACE,
  "module-url": { type: "string" },
  "module-sha256": { type: "string" },
  "module-file": { type: "string" },
  "module-oci-layout": { type: "string" },
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
  "ce-endpoint": { type: "string" },
};

const RENDER_HELP: Record<string, string> = {
  "-f, --filename FILE|-": "InferenceService manifests (YAML or JSON, several documents, kind: List); repeatable",
  "-n, --namespace NS": "namespace of ISVCs that name none (default \"default\"); an ISVC naming another is an error",
  "-o, --output yaml|json": "output format (default yaml)",
  "--module-url URL": "where Istio fetches the filter: oci://…, https://…, http://…, file:///… (required)",
  "--module-sha256 HEX": "sha256 Istio verifies the module with (for oci:// the image manifest digest)",
  "--module-file FILE": "compute --module-sha256 from the module file, e.g. build/kserve-logger.wasm (http(s)/file URLs)",
  "--module-oci-layout DIR": "take --module-sha256 from the image manifest digest of an OCI image layout, e.g. build/kserve-logger-oci (`make oci`; oci:// URLs)",
  "--default-logger-url URL": `logger URL for loggers without one, KServe's ConfigMap logger.defaultUrl (default ${DEFAULT_LOGGER_URL})`,
  "--cluster-domain DOMAIN": "Kubernetes cluster domain (default cluster.local)",
  "--allow-annotation KEY": "send this metadataAnnotations key although it looks sensitive; repeatable",
  "--allow-header NAME": "copy this metadataHeaders name although it carries credentials; repeatable",
  "--disallowed-annotation KEY": "add to KServe's disallowed annotation list (as the ConfigMap can); repeatable",
  "--strict": "a selected annotation the ISVC lacks is an error (default: warning, skipped, as KServe does)",
  "--logger-timeout-ms N": "logger callout timeout, pluginConfig logger.timeoutMs (default 5000, 1..60000; alias --timeout-ms)",
  "--max-body-bytes N": "pluginConfig limits.maxBodyBytes (filter default 1048576, 0..67108864)",
  "--max-metadata-bytes N": "pluginConfig limits.maxMetadataBytes: cap of the ce-metadata header (filter default 8192, 2..65536)",
  "--batch-max-events N": "send events in CloudEvents batches (application/cloudevents-batch+json) of at most N events, 1..1000 (pluginConfig batch.maxEvents; default: one request per event, as KServe's agent)",
  "--batch-max-bytes N": "a batch leaves at this size, 1024..16777216 (pluginConfig batch.maxBytes, filter default 1048576; implies batch mode)",
  "--batch-interval-ms N": "a batch leaves when its first event has waited this long, 1..60000 (pluginConfig batch.intervalMs, filter default 1000; implies batch mode)",
  "--max-inflight-callouts N": "pluginConfig limits.maxInflightCallouts (filter default 64, 1..4096)",
  "--drain-timeout-ms N": "pluginConfig limits.drainTimeoutMs (filter default 10000, 0..120000)",
  "--max-held-bytes N": "pluginConfig limits.maxHeldBytes: all bytes a worker's VM holds for logging (filter default 67108864, 1048576..1073741824)",
  "--max-redact-bytes N": "pluginConfig limits.maxRedactBytes: larger bodies are left out instead of redacted (filter default 1048576, 0..16777216)",
  "--istio-root-namespace NS": "Istio's root namespace (meshConfig.rootNamespace, default istio-system): ISVCs there, in kube-system and in kube-public are refused",
  "--allow-logger-query": "allow logger URL query parameters whose names look like credentials (token, api_key, ...); they are copied into every WasmPlugin",
  "--allow-logger-address": "allow a logger on loopback, link-local (169.254.x) or unspecified addresses, port 0, or Envoy's/Istio's own ports (15000, 15001, 15004, 15006, 15020, 15021, 15090)",
  "--fail-strategy FAIL_OPEN|FAIL_RELOAD": "WasmPlugin failStrategy (default FAIL_OPEN); FAIL_RELOAD (Istio ≥ 1.27) reloads a crashed VM so logging resumes",
  "--max-retries N": "pluginConfig retry.maxRetries (filter default 2, 0..10)",
  "--retry-initial-backoff-ms N": "pluginConfig retry.initialBackoffMs (filter default 100, 1..60000)",
  "--retry-max-backoff-ms N": "pluginConfig retry.maxBackoffMs (filter default 2000, 1..300000, not below the initial backoff)",
  "--retry-budget-bytes N": "pluginConfig retry.budgetBytes (filter default 8388608, 0..268435456)",
  "--redact-path PATH": "JSON path whose values are replaced by \"[REDACTED]\" in both bodies, e.g. instances.*.ssn; repeatable (pluginConfig redactPaths, at most 32)",
  "--source URI": "pluginConfig source: ce-source when the pod name is unknown (filter default http://localhost:9081/)",
  "--log-all-responses": "also log non-200 responses (pluginConfig logAllResponses)",
  "--ce-endpoint traffic|kserve": "traffic (default): ce-endpoint is default/canary from the ISVC's traffic split; kserve: as KServe's agent sends it, the pod label endpoint (normally empty)",
  "--header-encoding raw|percent": "pluginConfig headerEncoding (filter default raw)",
};

function outputFormat(v: Values): OutputFormat {
  const o = (v.output as string | undefined) ?? "yaml";
  if (o !== "yaml" && o !== "json") throw new UsageError(`--output: unsupported format "${o}" (yaml or json)`);
  return o;
}

function intOption(v: Values, name: string): number | undefined {
  const s = v[name] as string | undefined;
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new UsageError(`--${name}: "${s}" is not a non-negative integer`);
  return Number(s);
}

function readFiles(v: Values): SourcedDoc[] {
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
    throw new UsageError(`--fail-strategy: "${failStrategy}" is not FAIL_OPEN or FAIL_RELOAD (FAIL_CLOSE would let a logging fault fail inference)`);
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
  if (enc !== undefined && enc !== "raw" && enc !== "percent") throw new UsageError(`--header-encoding: "${enc}" is not raw or percent`);
  const ceEndpoint = v["ce-endpoint"] as string | undefined;
  if (ceEndpoint !== undefined && ceEndpoint !== "traffic" && ceEndpoint !== "kserve") {
    throw new UsageError(`--ce-endpoint: "${ceEndpoint}" is not traffic or kserve`);
  }
  const opts: RenderOptions = {
    ...DEFAULT_RENDER_OPTIONS,
    module: moduleRef(v["module-url"] as string | undefined, v["module-sha256"] as string | undefined, v["module-file"] as string | undefined,
      v["module-oci-layout"] as string | undefined),
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

const CLUSTER: Options = {
  ...NAMESPACE,
  "all-namespaces": { type: "boolean", short: "A" },
  all: { type: "boolean" },
  kubeconfig: { type: "string" },
  "dry-run": { type: "string" },
  "control-namespace": { type: "string" },
};
const CLUSTER_HELP: Record<string, string> = {
  "NAME ...": "InferenceServices to act on (or --all)",
  "--all": "every InferenceService of the namespace",
  "-n, --namespace NS": "namespace (default: the kubeconfig context's, else \"default\")",
  "-A, --all-namespaces": "every namespace (implies --all)",
  "--kubeconfig FILE": "kubeconfig (default $KUBECONFIG, ~/.kube/config, then in-cluster)",
  "--dry-run client|server": "client: print what would be done; server: send with dryRun=All",
  "--control-namespace NS": `namespace of the switch ConfigMap ${SWITCH_CONFIGMAP} (default $POD_NAMESPACE, else ${DEFAULT_CONTROL_NAMESPACE})`,
};

function controlNamespace(v: Values): string {
  return (v["control-namespace"] as string | undefined) ?? process.env.POD_NAMESPACE ?? DEFAULT_CONTROL_NAMESPACE;
}

function dryRun(v: Values): "client" | "server" | undefined {
  const d = v["dry-run"] as string | undefined;
  if (d === undefined || d === "none") return undefined;
  if (d !== "client" && d !== "server") throw new UsageError(`--dry-run: "${d}" is not client, server or none`);
  return d;
}

/** Tests may point the commands at another API endpoint; by default the kubeconfig decides. */
export let kubeFactory = (kubeconfig: string | undefined): { kube: Kube; namespace: string } => {
  const kc = loadKubeConfig(kubeconfig);
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return { kube: new ClientNodeKube(kc), namespace: ns };
};
export function setKubeFactory(f: typeof kubeFactory): void {
  kubeFactory = f;
}

interface Target {
  kube: Kube;
  namespace: string | undefined;
  names: string[];
  all: boolean;
}

function clusterTarget(v: Values, positionals: string[], needNames: boolean): Target {
  const { kube, namespace } = kubeFactory(v.kubeconfig as string | undefined);
  const allNs = v["all-namespaces"] === true;
  if (allNs && v.namespace !== undefined) throw new UsageError("-A and -n are exclusive");
  const all = v.all === true || allNs;
  if (needNames && !all && positionals.length === 0) throw new UsageError("name one or more InferenceServices, or --all");
  if (all && positionals.length > 0) throw new UsageError("give names or --all, not both");
  return { kube, namespace: allNs ? undefined : ((v.namespace as string | undefined) ?? namespace), names: positionals, all };
}

async function targetIsvcs(t: Target): Promise<Record<string, unknown>[]> {
  if (t.all) return (await t.kube.list(ISVC_API_VERSION, ISVC_KIND, t.namespace)) as unknown as Record<string, unknown>[];
  const out: Record<string, unknown>[] = [];
  for (const name of t.names) {
    const o = await t.kube.get({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, namespace: t.namespace, name });
    if (!o) throw new InputErrorForCli(`InferenceService ${t.namespace}/${name} not found`);
    out.push({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...o } as Record<string, unknown>);
  }
  return out;
}

class InputErrorForCli extends UsageError {
  override readonly exitCode: number = 1;
}

function printActions(actions: Action[], dry: string | undefined, io: Io): void {
  const suffix = dry ? ` (dry run, ${dry})` : "";
  for (const a of actions) io.stdout(`${refString(a.ref)} ${a.verb}${a.reason ? ` (${a.reason})` : ""}${suffix}\n`);
}

const COMMANDS: Record<string, Command> = {
  render: {
    summary: "Render the WasmPlugins (and ServiceEntry/DestinationRule) for InferenceServices; no cluster needed",
    usage: "render -f FILE|- --module-url URL [--module-sha256 HEX | --module-file FILE] [flags]",
    options: RENDER_OPTIONS,
    help: RENDER_HELP,
    run(v, io) {
      const format = outputFormat(v);
      const opts = renderOptions(v);
      const ns = (v.namespace as string | undefined) ?? "default";
      const res = renderDocuments(readFiles(v), opts, { namespace: ns, explicit: v.namespace !== undefined });
      for (const d of res.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
      if (!res.ok) return 1;
      if (res.objects.length > 0) io.stdout(formatObjects(res.objects, format));
      return 0;
    },
  },
  validate: {
    summary: "Validate WasmPlugin manifests against Istio's CRD: OpenAPI schema and CEL rules",
    usage: "validate -f FILE|- [-f FILE ...]",
    options: FILES,
    help: {
      "-f, --filename FILE|-": "manifests to check (YAML or JSON, several documents); repeatable",
    },
    run(v, io) {
      let failed = 0;
      let checked = 0;
      for (const { source, doc } of readFiles(v)) {
        const r = validateObject(doc);
        const meta = (doc as { kind?: unknown; metadata?: { name?: unknown } } | null) ?? {};
        const what = `${source}: ${String(meta.kind ?? "?")} ${String(meta.metadata?.name ?? "?")}`;
        if (!r.checked) {
          io.stderr(`warning: ${what}: no schema for this kind; not checked\n`);
          continue;
        }
        checked++;
        if (r.errors.length > 0) {
          failed++;
          for (const e of r.errors) io.stderr(`error: ${what}: ${e}\n`);
        } else io.stdout(`${what}: valid\n`);
      }
      if (checked === 0 && failed === 0) io.stderr("warning: nothing was checked\n");
      return failed > 0 ? 1 : 0;
    },
  },
  apply: {
    summary: "Render and server-side apply the logging of InferenceServices read from the cluster (idempotent; prunes what is no longer wanted)",
    usage: "apply (NAME ... | --all) [-n NS | -A] --module-url URL [render flags] [--dry-run=client|server] [--kubeconfig FILE]",
    options: { ...RENDER_OPTIONS, ...CLUSTER },
    help: { ...CLUSTER_HELP, ...Object.fromEntries(Object.entries(RENDER_HELP).filter(([k]) => !k.startsWith("-f") && !k.startsWith("-n") && !k.startsWith("-o"))) },
    async run(v, io, positionals) {
      const dry = dryRun(v);
      const opts = renderOptions(v);
      const t = clusterTarget(v, positionals, true);
      let failed = false;
      for (const isvc of await targetIsvcs(t)) {
        const r = await reconcileIsvc(t.kube, isvc, opts, dry, undefined, controlNamespace(v));
        for (const d of r.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
        if (!r.ok) failed = true;
        printActions(r.actions, dry, io);
      }
      return failed ? 1 : 0;
    },
  },
  delete: {
    summary: "Delete the WasmPlugins (and ServiceEntry/DestinationRule) made for InferenceServices",
    usage: "delete (NAME ... | --all) [-n NS | -A] [--dry-run=client|server] [--kubeconfig FILE]",
    options: CLUSTER,
    help: CLUSTER_HELP,
    async run(v, io, positionals) {
      const dry = dryRun(v);
      const t = clusterTarget(v, positionals, true);
      // by name, not by ISVC lookup: the ISVC may already be gone
      const targets = t.all
        ? (await t.kube.list(WASMPLUGIN_API_VERSION, "WasmPlugin", t.namespace, `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`))
            .map((o) => [o.metadata!.namespace!, o.metadata!.labels![LABEL_ISVC]!] as const)
        : t.names.map((n) => [t.namespace!, n] as const);
      const seen = new Set<string>();
      for (const [ns, name] of targets) {
        if (seen.has(`${ns}/${name}`)) continue;
        seen.add(`${ns}/${name}`);
        const actions = await deleteIsvcObjects(t.kube, ns, name, dry);
        if (actions.length === 0) io.stderr(`warning: ${ns}/${name}: nothing to delete\n`);
        printActions(actions, dry, io);
      }
      return 0;
    },
  },
  enable: {
    summary: "Switch logging on for InferenceServices or a whole namespace (no pod restart), then apply",
    usage: "enable (NAME ... | --namespace-wide) [-n NS] --module-url URL [render flags] [--kubeconfig FILE]",
    options: { ...RENDER_OPTIONS, ...CLUSTER, "namespace-wide": { type: "boolean" } },
    help: { "--namespace-wide": "switch the namespace (label kserve-wasm-logger/enabled on the Namespace)", ...CLUSTER_HELP },
    run: (v, io, positionals) => toggle(true, v, io, positionals),
  },
  disable: {
    summary: "Switch logging off for InferenceServices or a whole namespace: their WasmPlugins are deleted (no pod restart)",
    usage: "disable (NAME ... | --namespace-wide) [-n NS] [--kubeconfig FILE]",
    options: { ...CLUSTER, "namespace-wide": { type: "boolean" } },
    help: { "--namespace-wide": "switch the namespace (label kserve-wasm-logger/enabled=false on the Namespace)", ...CLUSTER_HELP },
    run: (v, io, positionals) => toggle(false, v, io, positionals),
  },
  watch: {
    summary: "Controller: keep the logging of every InferenceService in line as they change (list+watch; runs until SIGTERM)",
    usage: "watch (-A | -n NS [-n NS ...]) --module-url URL [--module-sha256 HEX] [render flags] [--health-addr :8081] [--kubeconfig FILE]",
    options: {
      ...Object.fromEntries(Object.entries(RENDER_OPTIONS).filter(([k]) => !["filename", "output", "namespace"].includes(k))),
      namespace: { type: "string", short: "n", multiple: true },
      "all-namespaces": { type: "boolean", short: "A" },
      kubeconfig: { type: "string" },
      "control-namespace": { type: "string" },
      "health-addr": { type: "string" },
      "resync-seconds": { type: "string" },
      "leader-elect": { type: "boolean" },
      "request-timeout-ms": { type: "string" },
      "lease-duration-ms": { type: "string" },
      "lease-renew-deadline-ms": { type: "string" },
      "lease-retry-ms": { type: "string" },
      "watch-timeout-seconds": { type: "string" },
      "backoff-initial-ms": { type: "string" },
      "backoff-max-ms": { type: "string" },
    },
    help: {
      "-A, --all-namespaces": "watch InferenceServices in every namespace",
      "-n, --namespace NS": "watch this namespace; repeatable (default: the kubeconfig context's namespace)",
      "--kubeconfig FILE": "kubeconfig (default $KUBECONFIG, ~/.kube/config, then in-cluster)",
      "--control-namespace NS": `namespace of the switch ConfigMap ${SWITCH_CONFIGMAP} (default $POD_NAMESPACE, else ${DEFAULT_CONTROL_NAMESPACE})`,
      "--health-addr HOST:PORT": "serve /healthz, /readyz (ready once everything is listed) and /metrics (Prometheus) here (default :8081; \"\" turns them off)",
      "--resync-seconds N": "re-check every InferenceService this often, besides the watches; no API call when in line (default 600, 0 = never)",
      "--request-timeout-ms N": "an API request (other than a watch) without an answer this long fails and is retried (default 30000)",
      "--leader-elect": `run as one of several replicas: only the holder of Lease ${LEASE_NAME} in the control namespace reconciles (coordination.k8s.io)`,
      "--lease-duration-ms N": "how long a Lease not renewed stays its holder's (default 15000)",
      "--lease-renew-deadline-ms N": "the leader gives up leading when it could not renew for this long (default 10000, below the duration)",
      "--lease-retry-ms N": "how often candidates try the Lease and the leader renews it (default 2000)",
      "--watch-timeout-seconds N": "the server ends each watch after this long and it is reopened from the last version (default 300)",
      "--backoff-initial-ms N": `first retry delay after an API error, doubled per failure (default ${DEFAULT_BACKOFF.initialMs})`,
      "--backoff-max-ms N": `longest retry delay (default ${DEFAULT_BACKOFF.maxMs})`,
      ...Object.fromEntries(Object.entries(RENDER_HELP).filter(([k]) => !k.startsWith("-f") && !k.startsWith("-n") && !k.startsWith("-o"))),
    },
    run(v, io, positionals) {
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (watch takes -A or -n)`);
      return watchCommand(v, io);
    },
  },
  status: {
    summary: "Show which InferenceServices are logged, where to, with which annotations",
    usage: "status [NAME ...] [-n NS | -A] [-o yaml|json] [--kubeconfig FILE]",
    options: { ...CLUSTER, ...OUTPUT },
    help: { ...CLUSTER_HELP, "-o, --output yaml|json": "machine-readable output instead of a table" },
    async run(v, io, positionals) {
      const t = clusterTarget(v, positionals, false);
      // NAME: that ISVC only (it must exist); several names, those.
      if (positionals.length > 0) await targetIsvcs(t);
      const plugins = (await t.kube.list(WASMPLUGIN_API_VERSION, "WasmPlugin", t.namespace, `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`))
        .filter((p) => positionals.length === 0 || positionals.includes(p.metadata?.labels?.[LABEL_ISVC] ?? ""));
      const isvcs = new Map((await t.kube.list(ISVC_API_VERSION, ISVC_KIND, t.namespace))
        .map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o as unknown as Record<string, unknown>]));
      const rows = plugins.map((p) => {
        const cfg = ((p as unknown as { spec?: { pluginConfig?: { annotations?: Record<string, string>; mode?: string } } }).spec?.pluginConfig) ?? {};
        const ns = p.metadata?.namespace ?? "";
        const name = p.metadata?.labels?.[LABEL_ISVC] ?? "";
        const component = p.metadata?.labels?.[LABEL_COMPONENT] ?? "";
        return {
          namespace: ns,
          inferenceService: name,
          component,
          wasmPlugin: p.metadata?.name ?? "",
          mode: cfg.mode ?? "all",
          logger: p.metadata?.annotations?.[ANNOTATION_LOGGER_URL] ?? "",
          source: loggerSourceOf(isvcs.get(`${ns}/${name}`), component),
          annotations: cfg.annotations ?? {},
        };
      });
      if (v.output !== undefined) {
        io.stdout(formatObjects([{ items: rows }], outputFormat(v)));
        return 0;
      }
      const table = [["NAMESPACE", "INFERENCESERVICE", "COMPONENT", "MODE", "LOGGER", "SOURCE", "ANNOTATIONS"],
        ...rows.map((r) => [r.namespace, r.inferenceService, r.component, r.mode, r.logger, r.source,
          Object.entries(r.annotations).map(([k, x]) => `${k}=${x}`).join(",")])];
      const w = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) io.stdout(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]! + 2))).join("").trimEnd() + "\n");
      if (rows.length === 0) io.stderr("No InferenceService is logged by kserve-wasm-logger here.\n");
      const twice = rows.filter((r) => r.source === "spec").length;
      if (twice > 0) {
        io.stderr(`${twice} of them also have spec.<component>.logger, so KServe's agent logs them too (every event twice); ` +
          `move the logger into the kserve-wasm-logger/logger.<component> annotation to switch the agent off (docs/migration.md).\n`);
      }
      return 0;
    },
  },
};

async function watchCommand(v: Values, io: Io): Promise<number> {
  const render = renderOptions(v);
  const allNs = v["all-namespaces"] === true;
  const nsList = (v.namespace as string[] | undefined) ?? [];
  if (allNs && nsList.length > 0) throw new UsageError("-A and -n are exclusive");
  const positiveInt = (name: string, def: number, min = 0) => {
    const n = intOption(v, name) ?? def;
    if (n < min) throw new UsageError(`--${name}: must be at least ${min}`);
    return n;
  };
  const backoff = { initialMs: positiveInt("backoff-initial-ms", DEFAULT_BACKOFF.initialMs, 1), maxMs: positiveInt("backoff-max-ms", DEFAULT_BACKOFF.maxMs, 1) };
  if (backoff.maxMs < backoff.initialMs) throw new UsageError("--backoff-max-ms: must not be below --backoff-initial-ms");
  const resyncSeconds = positiveInt("resync-seconds", 600);
  const watchTimeoutSeconds = positiveInt("watch-timeout-seconds", 300, 1);
  const healthAddr = (v["health-addr"] as string | undefined) ?? ":8081";
  const control = controlNamespace(v);
  const { kube, namespace } = kubeFactory(v.kubeconfig as string | undefined);
  const namespaces = allNs ? undefined : nsList.length > 0 ? [...new Set(nsList)] : [namespace];
  const line = (w: (s: string) => void) => (s: string) => w(s + "\n");
  const metrics = healthAddr !== "" ? new ControllerMetrics() : undefined;
  // -A: the ClusterRole of istio/base/rbac.yaml; -n: Roles in those namespaces suffice (istio/overlays/namespaced/)
  const timed = withRequestTimeout(kube, positiveInt("request-timeout-ms", 30000, 1));
  const guarded = namespaces
    ? new GuardedKube(timed, namespacedWatchPermissions(namespaces), control, namespaces)
    : new GuardedKube(timed, WATCH_PERMISSIONS, control);
  const leaderElect = v["leader-elect"] === true;
  const lease = {
    durationMs: positiveInt("lease-duration-ms", 15000, 1000),
    renewDeadlineMs: positiveInt("lease-renew-deadline-ms", 10000, 1),
    retryMs: positiveInt("lease-retry-ms", 2000, 10),
  };
  if (leaderElect && lease.renewDeadlineMs >= lease.durationMs) throw new UsageError("--lease-renew-deadline-ms: must be below --lease-duration-ms");
  let elector: LeaderElector | undefined;
  const makeController = (): Controller => new Controller(elector ? leaderGated(guarded, () => elector!.mayWrite()) : guarded, {
    namespaces, controlNamespace: control, render, backoff, watchTimeoutSeconds, resyncSeconds,
    log: line(io.stdout), logError: line(io.stderr), metrics,
  });
  let controller: Controller | undefined;
  let stopping = false;
  let health: HealthServer | undefined;
  if (healthAddr !== "") {
    try {
      // a standby replica is ready: it is there to take over
      health = await startHealthServer(healthAddr, () => (controller ? controller.ready : leaderElect) && !stopping, () => !stopping, () => metrics!.text());
    } catch (e) {
      throw new InputErrorForCli(`--health-addr ${healthAddr}: ${(e as Error).message}`);
    }
  }
  // SIGTERM / SIGINT (or the test's signal): stop watching, finish the apply in flight, exit 0
  const stopped = new Promise<string>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve("aborted");
      io.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      return;
    }
    const on = (sig: string) => () => resolve(sig);
    process.once("SIGTERM", on("SIGTERM"));
    process.once("SIGINT", on("SIGINT"));
  });
  io.stdout(`watching ${namespaces ? `namespace(s) ${namespaces.join(", ")}` : "all namespaces"}; switch ConfigMap ${control}/${SWITCH_CONFIGMAP}` +
    `${health ? `; health on ${health.address}` : ""}\n`);
  if (!leaderElect) {
    controller = makeController();
    controller.start();
  } else {
    const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    elector = new LeaderElector(guarded, {
      namespace: control, identity, leaseDurationMs: lease.durationMs, renewDeadlineMs: lease.renewDeadlineMs, retryPeriodMs: lease.retryMs,
      log: line(io.stderr),
    }, {
      startedLeading: () => {
        io.stdout(`leading: lease ${control}/${LEASE_NAME} held as ${identity}; reconciling\n`);
        controller = makeController();
        controller.start();
      },
      stoppedLeading: (why) => {
        io.stdout(`no longer leading (${why}): writes stopped, standing by\n`);
        const c = controller;
        controller = undefined;
        void c?.stop();
      },
    });
    io.stdout(`standing by for lease ${control}/${LEASE_NAME} as ${identity}\n`);
    elector.start();
  }
  const why = await stopped;
  stopping = true;
  io.stdout(`shutting down (${why}): stopping watches, finishing the apply in flight\n`);
  const c = controller;
  controller = undefined;
  await c?.stop();
  await elector?.stop();
  await health?.close();
  io.stdout("stopped\n");
  return 0;
}

async function toggle(on: boolean, v: Values, io: Io, positionals: string[]): Promise<number> {
  const t = clusterTarget(v, positionals, v["namespace-wide"] !== true);
  if (t.namespace === undefined) throw new UsageError("-A is not supported here; name the namespace with -n");
  const ns = t.namespace;
  const opts = on ? renderOptions(v) : undefined;
  if (v["namespace-wide"] === true && positionals.length > 0) throw new UsageError("give names or --namespace-wide, not both");
  // Every named ISVC must exist before any switch is written: a typo changes nothing (rc 1).
  const isvcs = v["namespace-wide"] === true ? await targetIsvcs({ ...t, all: true }) : await targetIsvcs(t);
  if (v["namespace-wide"] === true) {
    await setNamespaceSwitch(t.kube, ns, on);
    io.stdout(`namespace/${ns} logging ${on ? "enabled" : "disabled"}\n`);
  } else {
    for (const name of t.names) {
      await setIsvcSwitch(t.kube, ns, name, on, controlNamespace(v));
      io.stdout(`inferenceservice/${name} -n ${ns} logging ${on ? "enabled" : "disabled"}\n`);
    }
  }
  // bring the affected ISVCs in line now (a running `watch` would do the same)
  let failed = false;
  for (const isvc of isvcs) {
    if (on) {
      const r = await reconcileIsvc(t.kube, isvc, opts!, undefined, undefined, controlNamespace(v));
      for (const d of r.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
      if (!r.ok) failed = true;
      printActions(r.actions, undefined, io);
    } else {
      const m = (isvc as { metadata: { name: string } }).metadata;
      printActions(await deleteIsvcObjects(t.kube, ns, m.name), undefined, io);
    }
  }
  return failed ? 1 : 0;
}

function commandHelp(name: string, c: Command): string {
  const width = Math.max(...Object.keys(c.help).map((k) => k.length), 10) + 2;
  const lines = Object.entries({ ...c.help, "-h, --help": "show this help" }).map(([k, d]) => `  ${k.padEnd(width)}${d}`);
  return `${c.summary}\n\nUsage:\n  kserve-wasm-logger ${c.usage}\n\nFlags:\n${lines.join("\n")}\n`;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const cmds = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}${c.summary}`);
  return `kserve-wasm-logger turns KServe InferenceServices into Istio WasmPlugins that log inference payloads.\n\n` +
    `Usage:\n  kserve-wasm-logger COMMAND [flags]\n\nCommands:\n${cmds.join("\n")}\n\n` +
    `Run "kserve-wasm-logger COMMAND --help" for a command's flags.\n` +
    `Exit codes: 0 success, 1 invalid input or failed operation, 2 bad command line.\n`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr(`error: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: { ...COMMON, ...cmd.options }, allowPositionals: true, strict: true });
    values = parsed.values as Values;
    positionals = parsed.positionals;
    if (positionals.length > 0 && !("kubeconfig" in cmd.options)) throw new Error(`unexpected argument "${positionals[0]}"`);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\nSee "kserve-wasm-logger ${name} --help".\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(commandHelp(name, cmd));
    return 0;
  }
  try {
    return await cmd.run(values, io, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    // API errors: the server's message, not a stack trace
    const body = (e as { body?: unknown }).body;
    let msg = (e as Error).message;
    try {
      if (typeof body === "string") msg = (JSON.parse(body) as { message?: string }).message ?? msg;
    } catch {
      // not a Status object: keep the client's message
    }
    io.stderr(`error: ${msg ?? String(e)}\n`);
    return 1;
  }
}

// run when executed (tsx or the bundle), not when imported by tests
const entry = process.argv[1] ?? "";
if (/(^|[\\/])(cli\.ts|kserve-wasm-logger\.mjs)$/.test(entry)) {
  const isWatch = process.argv[2] === "watch";
  if (isWatch) {
    // the first SIGTERM/SIGINT is handled by the command (graceful); a second one ends it now
    let signals = 0;
    const hard = () => {
      if (++signals > 1) process.exit(130);
    };
    process.on("SIGTERM", hard);
    process.on("SIGINT", hard);
  }
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
    // watch leaves keep-alive sockets of the HTTP client behind: do not wait for them
    if (isWatch) process.stdout.write("", () => process.exit(code));
  });
}

// Where a logged component's logger spec lives, as parseIsvc read it: "spec" (KServe injects
// its agent as well), "annotation" (the filter alone), or "?" (ISVC gone or no longer valid).
function loggerSourceOf(isvc: Record<string, unknown> | undefined, component: string): string {
  if (!isvc) return "?";
  const parsed = parseIsvc({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...isvc }, "default", new Diagnostics(""));
  const path = parsed?.components.find((c) => c.component === component && c.canaryName === undefined)?.loggerPath;
  if (path === undefined) return "?";
  return path.startsWith("metadata.annotations") ? "annotation" : "spec";
}
