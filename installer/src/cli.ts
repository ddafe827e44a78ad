#!/usr/bin/env node
// kserve-wasm-logger: InferenceServices → Istio WasmPlugins. kubectl-like conventions:
// -f FILE|- (repeatable), -n/--namespace, -A, -o yaml|json, --dry-run=client|server,
// --kubeconfig, errors and warnings on stderr, --help on every command.
// Exit codes: 0 success, 1 invalid input / validation failure / API error, 2 bad command line.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { formatDiagnostic, UsageError } from "./diagnostics.js";
import { formatObjects, parseDocuments, readInput, type OutputFormat, type SourcedDoc } from "./io.js";
import { DEFAULT_LOGGER_URL } from "./kserve.js";
import { moduleRef } from "./module.js";
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from "./render.js";
import { renderDocuments } from "./render-docs.js";
import { validateObject } from "./validate/index.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: Record<string, string>;
  run(v: Values, io: Io): Promise<number> | number;
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
  "default-logger-url": { type: "string" },
  "cluster-domain": { type: "string" },
  "allow-annotation": { type: "string", multiple: true },
  "allow-header": { type: "string", multiple: true },
  "disallowed-annotation": { type: "string", multiple: true },
  strict: { type: "boolean" },
  "timeout-ms": { type: "string" },
  "max-body-bytes": { type: "string" },
  "max-inflight-callouts": { type: "string" },
  "drain-timeout-ms": { type: "string" },
  "log-all-responses": { type: "boolean" },
  "header-encoding": { type: "string" },
};

const RENDER_HELP: Record<string, string> = {
  "-f, --filename FILE|-": "InferenceService manifests (YAML or JSON, several documents, kind: List); repeatable",
  "-n, --namespace NS": "namespace of ISVCs that name none (default \"default\"); an ISVC naming another is an error",
  "-o, --output yaml|json": "output format (default yaml)",
  "--module-url URL": "where Istio fetches the filter: oci://…, https://…, http://…, file:///… (required)",
  "--module-sha256 HEX": "sha256 Istio verifies the module with (for oci:// the image manifest digest)",
  "--module-file FILE": "compute --module-sha256 from the module file, e.g. build/kserve-logger.wasm (http(s)/file URLs)",
  "--default-logger-url URL": `logger URL for loggers without one, KServe's ConfigMap logger.defaultUrl (default ${DEFAULT_LOGGER_URL})`,
  "--cluster-domain DOMAIN": "Kubernetes cluster domain (default cluster.local)",
  "--allow-annotation KEY": "send this metadataAnnotations key although it looks sensitive; repeatable",
  "--allow-header NAME": "copy this metadataHeaders name although it carries credentials; repeatable",
  "--disallowed-annotation KEY": "add to KServe's disallowed annotation list (as the ConfigMap can); repeatable",
  "--strict": "a selected annotation the ISVC lacks is an error (default: warning, skipped, as KServe does)",
  "--timeout-ms N": "logger callout timeout, pluginConfig logger.timeoutMs (default 5000, 1..60000)",
  "--max-body-bytes N": "pluginConfig limits.maxBodyBytes (filter default 1048576)",
  "--max-inflight-callouts N": "pluginConfig limits.maxInflightCallouts (filter default 64)",
  "--drain-timeout-ms N": "pluginConfig limits.drainTimeoutMs (filter default 10000)",
  "--log-all-responses": "also log non-200 responses (pluginConfig logAllResponses)",
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
  if (inflight !== undefined) limits.maxInflightCallouts = inflight;
  if (drain !== undefined) limits.drainTimeoutMs = drain;
  const enc = v["header-encoding"] as string | undefined;
  if (enc !== undefined && enc !== "raw" && enc !== "percent") throw new UsageError(`--header-encoding: "${enc}" is not raw or percent`);
  return {
    ...DEFAULT_RENDER_OPTIONS,
    module: moduleRef(v["module-url"] as string | undefined, v["module-sha256"] as string | undefined, v["module-file"] as string | undefined),
    defaultLoggerUrl: (v["default-logger-url"] as string | undefined) ?? DEFAULT_LOGGER_URL,
    clusterDomain: (v["cluster-domain"] as string | undefined) ?? "cluster.local",
    allowAnnotations: (v["allow-annotation"] as string[] | undefined) ?? [],
    allowHeaders: (v["allow-header"] as string[] | undefined) ?? [],
    extraDisallowedAnnotations: (v["disallowed-annotation"] as string[] | undefined) ?? [],
    strict: v.strict === true,
    timeoutMs: intOption(v, "timeout-ms") ?? 5000,
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    logAllResponses: v["log-all-responses"] === true ? true : undefined,
    headerEncoding: enc as "raw" | "percent" | undefined,
  };
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
};

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
  try {
    const parsed = parseArgs({ args: rest, options: { ...COMMON, ...cmd.options }, allowPositionals: false, strict: true });
    values = parsed.values as Values;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\nSee "kserve-wasm-logger ${name} --help".\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(commandHelp(name, cmd));
    return 0;
  }
  try {
    return await cmd.run(values, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

// run when executed (tsx or the bundle), not when imported by tests
const entry = process.argv[1] ?? "";
if (/(^|[\\/])(cli\.ts|kserve-wasm-logger\.mjs)$/.test(entry)) {
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
  });
}
