// The pluginConfig contract from both sides: every configuration below gets the same verdict
// (accepted / refused) from the installer's checker (installer/src/plugin-config.ts) and from
// the compiled filter's proxy_on_configure, run in the Node proxy-wasm host. The goldens'
// pluginConfigs must be accepted by both. Skipped when build/kserve-logger.wasm is not built.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import YAML from "yaml";
import { WasmHost } from "proxy-wasm-host";
import {
  CONFIG_FIELDS,
  T_INTEGER,
  T_MAP,
  T_NUMBER,
  T_SECTION,
  T_STRING,
  T_STRINGS,
  configField,
} from "../../filter/assembly/config-fields.js";
import { checkPluginConfig } from "../src/plugin-config.js";
import { ROOT } from "./helpers.js";

const wasmPath = ROOT + "build/kserve-logger.wasm";
const skip = existsSync(wasmPath)
  ? false
  : `${wasmPath} not built (make build); the filter side of the contract is not checked`;

const base = {
  inferenceService: "sklearn-iris",
  namespace: "models",
  component: "predictor",
  endpoint: "",
  endpoints: { "sklearn-iris-predictor-00002": "default", "sklearn-iris-predictor-00003": "canary" },
  mode: "all",
  identity: "pod",
  logger: {
    cluster: "outbound|80||message-dumper.models.svc.cluster.local",
    authority: "message-dumper.models.svc.cluster.local",
    path: "/",
    timeoutMs: 5000,
  },
  source: "http://localhost:9081/",
  metadataHeaders: ["X-Tenant", "x-request-id"],
  allowSensitiveHeaders: [],
  annotations: { "serving.example.com/tenant": "acme" },
  logAllResponses: false,
  headerEncoding: "raw",
  eventId: "kserve",
  limits: { maxBodyBytes: 1048576, maxInflightCallouts: 64, drainTimeoutMs: 10000 },
  retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 2000, budgetBytes: 8388608 },
  redactPaths: ["instances.*.ssn"],
  sampling: { rate: 0.25, header: "X-Kserve-Log" },
  llm: { body: "raw", maxEventBytes: 65536 },
};
type Cfg = Record<string, unknown>;
const w = (patch: Cfg): Cfg => ({ ...base, ...patch });
const sub = (field: "logger" | "limits" | "retry", patch: Cfg): Cfg => ({
  ...base,
  [field]: { ...base[field], ...patch },
});

const cases: [string, Cfg][] = [
  ["every field of docs/plugin-config.md", base],
  ["only the required fields", { inferenceService: "a", namespace: "b", logger: { cluster: "c", authority: "d" } }],
  ["unknown top-level field", w({ extra: 1 })],
  ["unknown logger field", sub("logger", { retries: 1 })],
  ["unknown limits field", sub("limits", { maxHeaders: 1 })],
  ["unknown retry field", sub("retry", { jitter: true })],
  ["sensitive header without allowSensitiveHeaders", w({ metadataHeaders: ["Authorization"] })],
  [
    "sensitive header allowed (other case)",
    w({ metadataHeaders: ["Authorization"], allowSensitiveHeaders: ["authorization"] }),
  ],
  ["x-goog-iap-jwt-assertion without allow", w({ metadataHeaders: ["X-Goog-Iap-Jwt-Assertion"] })],
  ["allowSensitiveHeaders not a token", w({ allowSensitiveHeaders: ["bad header"] })],
  ["allowSensitiveHeaders not a list", w({ allowSensitiveHeaders: "Authorization" })],
  ["metadataHeaders not a token", w({ metadataHeaders: ["x y"] })],
  ["33 metadataHeaders", w({ metadataHeaders: Array.from({ length: 33 }, (_, i) => `h${i}`) })],
  ["32 metadataHeaders", w({ metadataHeaders: Array.from({ length: 32 }, (_, i) => `h${i}`) })],
  ["logAllResponses true", w({ logAllResponses: true })],
  ["logAllResponses string", w({ logAllResponses: "true" })],
  ["headerEncoding percent", w({ headerEncoding: "percent" })],
  ["headerEncoding base64", w({ headerEncoding: "base64" })],
  ["eventId x-request-id", w({ eventId: "x-request-id" })],
  ["eventId uuid", w({ eventId: "uuid" })],
  ["maxBodyBytes 0", sub("limits", { maxBodyBytes: 0 })],
  ["maxBodyBytes 64 MiB", sub("limits", { maxBodyBytes: 67108864 })],
  ["maxBodyBytes 64 MiB + 1", sub("limits", { maxBodyBytes: 67108865 })],
  ["maxInflightCallouts 0", sub("limits", { maxInflightCallouts: 0 })],
  ["maxInflightCallouts 4096", sub("limits", { maxInflightCallouts: 4096 })],
  ["maxInflightCallouts 4097", sub("limits", { maxInflightCallouts: 4097 })],
  ["drainTimeoutMs 120001", sub("limits", { drainTimeoutMs: 120001 })],
  ["maxBodyBytes 1.5", sub("limits", { maxBodyBytes: 1.5 })],
  ["maxRetries 10", sub("retry", { maxRetries: 10 })],
  ["maxRetries 11", sub("retry", { maxRetries: 11 })],
  ["initialBackoffMs 0", sub("retry", { initialBackoffMs: 0 })],
  ["maxBackoffMs 300001", sub("retry", { maxBackoffMs: 300001 })],
  ["maxBackoffMs below initial", sub("retry", { initialBackoffMs: 500, maxBackoffMs: 400 })],
  ["initial above the default max", { ...base, retry: { initialBackoffMs: 5000 } }],
  ["budgetBytes 256 MiB + 1", sub("retry", { budgetBytes: 268435457 })],
  ["budgetBytes 0", sub("retry", { budgetBytes: 0 })],
  ["redactPaths 32", w({ redactPaths: Array.from({ length: 32 }, (_, i) => `a.${i}`) })],
  ["redactPaths 33", w({ redactPaths: Array.from({ length: 33 }, (_, i) => `a.${i}`) })],
  ["redactPaths empty segment", w({ redactPaths: ["a..b"] })],
  ["redactPaths 16 segments", w({ redactPaths: [Array(16).fill("a").join(".")] })],
  ["redactPaths 17 segments", w({ redactPaths: [Array(17).fill("a").join(".")] })],
  ["redactPaths 257 chars", w({ redactPaths: ["a".repeat(257)] })],
  ["redactPaths not strings", w({ redactPaths: [1] })],
  ["source empty", w({ source: "" })],
  ["source with C1 control", w({ source: "http://x/\u0085" })],
  ["source 2049 chars", w({ source: "x".repeat(2049) })],
  ["endpoint 64 chars", w({ endpoint: "e".repeat(64) })],
  ["endpoints value blue", w({ endpoints: { r: "blue" } })],
  ["endpoints empty revision", w({ endpoints: { "": "default" } })],
  ["cluster 513 chars", sub("logger", { cluster: "c".repeat(513) })],
  ["authority with a space", sub("logger", { authority: "a b" })],
  ["authority 257 chars", sub("logger", { authority: "a".repeat(257) })],
  ["path without /", sub("logger", { path: "events" })],
  ["path with a space", sub("logger", { path: "/a b" })],
  ["timeoutMs 60001", sub("logger", { timeoutMs: 60001 })],
  ["component sidecar", w({ component: "sidecar" })],
  ["mode both", w({ mode: "both" })],
  ["identity config", w({ identity: "config" })],
  ["identity node", w({ identity: "node" })],
  ["namespace 64 chars", w({ namespace: "n".repeat(64) })],
  ["annotation key 318 chars", w({ annotations: { ["k".repeat(318)]: "v" } })],
  ["annotation value number", w({ annotations: { k: 1 } })],
  ["batch mode, every field", w({ batch: { maxEvents: 50, maxBytes: 4096, intervalMs: 200 } })],
  ["batch mode, empty object (defaults)", w({ batch: {} })],
  ["batch not an object", w({ batch: true })],
  ["batch unknown field", w({ batch: { size: 10 } })],
  ["batch.maxEvents 0", w({ batch: { maxEvents: 0 } })],
  ["batch.maxEvents 1001", w({ batch: { maxEvents: 1001 } })],
  ["batch.maxBytes 1023", w({ batch: { maxBytes: 1023 } })],
  ["batch.intervalMs 60001", w({ batch: { intervalMs: 60001 } })],
  ["batch with headerEncoding percent", w({ batch: { maxEvents: 10 }, headerEncoding: "percent" })],
  ["maxMetadataBytes 1", sub("limits", { maxMetadataBytes: 1 })],
  ["maxMetadataBytes 65536", sub("limits", { maxMetadataBytes: 65536 })],
  ["maxMetadataBytes 65537", sub("limits", { maxMetadataBytes: 65537 })],
  ["128 annotations", w({ annotations: Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`k${i}`, "v"])) })],
  ["129 annotations", w({ annotations: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"])) })],
  ["sampling, empty object (rate 1)", w({ sampling: {} })],
  ["sampling.rate 0", w({ sampling: { rate: 0 } })],
  ["sampling.rate as a string", w({ sampling: { rate: "0.5" } })],
  ["sampling.header not a token", w({ sampling: { header: "x log" } })],
  ["sampling.header empty", w({ sampling: { header: "" } })],
  ["sampling unknown field", w({ sampling: { seed: 1 } })],
  ["llm, empty object (defaults)", w({ llm: {} })],
  ["llm.body reassembled", w({ llm: { body: "reassembled" } })],
  ["llm.body json", w({ llm: { body: "json" } })],
  ["llm not an object", w({ llm: true })],
];

function goldenConfigs(): [string, Cfg][] {
  const dir = ROOT + "testdata/golden/";
  const out: [string, Cfg][] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yaml") || x.endsWith(".json"))) {
    for (const doc of YAML.parseAllDocuments(readFileSync(dir + f, "utf8"))) {
      const o = doc.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { pluginConfig?: Cfg; wasm?: { config?: Cfg }[] };
      };
      if (o?.kind === "WasmPlugin" && o.spec?.pluginConfig)
        out.push([`golden ${f} ${o.metadata?.name}`, o.spec.pluginConfig]);
      // Envoy Gateway mode: the same contract in the EnvoyExtensionPolicy's wasm config
      const eg = o?.kind === "EnvoyExtensionPolicy" ? o.spec?.wasm?.[0]?.config : undefined;
      if (eg) out.push([`golden ${f} ${o.metadata?.name}`, eg]);
    }
  }
  return out;
}

test("installer checker and compiled filter agree on every configuration", { skip }, async () => {
  const host = await WasmHost.load(readFileSync(wasmPath), { rootId: "kserve-logger", logLevel: "error" });
  try {
    const disagreements: string[] = [];
    for (const [name, cfg] of cases) {
      const installer = checkPluginConfig(cfg);
      const filter = host.configure(cfg);
      if ((installer.length === 0) !== filter.accepted) {
        disagreements.push(
          `${name}: installer ${installer.length === 0 ? "accepts" : `refuses (${installer.join("; ")})`}, filter ${filter.accepted ? "accepts" : `refuses (${filter.logs.map((l) => l.message).join(" ")})`}`,
        );
      }
    }
    assert.deepEqual(disagreements, []);
    const goldens = goldenConfigs();
    assert.ok(goldens.length >= 10);
    for (const [name, cfg] of goldens) {
      assert.deepEqual(checkPluginConfig(cfg), [], name);
      const r = host.configure(cfg);
      assert.ok(r.accepted, `${name}: the filter refuses it: ${r.logs.map((l) => l.message).join(" ")}`);
    }
  } finally {
    host.close();
  }
});

test("both sides refuse and accept where the contract says (installer alone)", () => {
  const expectAccepted = new Set([
    "every field of docs/plugin-config.md",
    "only the required fields",
    "sensitive header allowed (other case)",
    "32 metadataHeaders",
    "logAllResponses true",
    "headerEncoding percent",
    "eventId x-request-id",
    "maxBodyBytes 0",
    "maxBodyBytes 64 MiB",
    "maxInflightCallouts 4096",
    "maxRetries 10",
    "budgetBytes 0",
    "redactPaths 32",
    "redactPaths 16 segments",
    "batch mode, every field",
    "batch mode, empty object (defaults)",
    "maxMetadataBytes 65536",
    "128 annotations",
    "sampling, empty object (rate 1)",
    "sampling.rate 0",
    "llm, empty object (defaults)",
    "llm.body reassembled",
    "identity config",
  ]);
  for (const [name, cfg] of cases) {
    assert.equal(
      checkPluginConfig(cfg).length === 0,
      expectAccepted.has(name),
      `${name}: ${checkPluginConfig(cfg).join("; ")}`,
    );
  }
});

// The table of filter/assembly/config-fields.ts is the contract's one source: both sides read it.
// So every field is tried at and past its limits, and each side must give the table's verdict;
// a refusal by the filter names the field.
function edgeCases(): [string, Cfg, boolean, string][] {
  const out: [string, Cfg, boolean, string][] = [];
  const at = (path: string, value: unknown): Cfg => {
    const f = configField(path);
    if (f.section === "") return w({ [f.key]: value });
    const sec = f.section as "logger" | "limits" | "retry" | "batch" | "sampling" | "llm";
    // the backoffs' own rule (max not below initial) kept out of the way of their ranges
    const own =
      sec === "retry"
        ? { initialBackoffMs: 1, maxBackoffMs: configField("retry.maxBackoffMs").max }
        : ((base as Cfg)[sec] as Cfg | undefined);
    return { ...base, [sec]: { ...own, [f.key]: value } };
  };
  for (const f of CONFIG_FIELDS) {
    if (f.type === T_INTEGER) {
      out.push([`${f.path} = ${f.min} (its minimum)`, at(f.path, f.min), true, f.path]);
      out.push([`${f.path} = ${f.max} (its maximum)`, at(f.path, f.max), true, f.path]);
      out.push([`${f.path} = ${f.max + 1}`, at(f.path, f.max + 1), false, f.path]);
      if (f.min > 0) out.push([`${f.path} = ${f.min - 1}`, at(f.path, f.min - 1), false, f.path]);
    } else if (f.type === T_NUMBER) {
      out.push([`${f.path} = ${f.min} (its minimum)`, at(f.path, f.min), true, f.path]);
      out.push([`${f.path} = ${(f.min + f.max) / 2} (a fraction)`, at(f.path, (f.min + f.max) / 2), true, f.path]);
      out.push([`${f.path} = ${f.max} (its maximum)`, at(f.path, f.max), true, f.path]);
      out.push([`${f.path} = ${f.max + 0.5}`, at(f.path, f.max + 0.5), false, f.path]);
      out.push([`${f.path} = ${f.min - 0.25}`, at(f.path, f.min - 0.25), false, f.path]);
    } else if (f.type === T_STRING) {
      out.push([`${f.path}: ${f.max + 1} characters`, at(f.path, "/" + "a".repeat(f.max)), false, f.path]);
    } else if (f.type === T_STRINGS || f.type === T_MAP) {
      const n = (k: number) => Array.from({ length: k }, (_, i) => `x-name-${i}`);
      const v = (k: number) =>
        f.type === T_MAP
          ? Object.fromEntries(n(k).map((x) => [x, f.path === "endpoints" ? "default" : "v"]))
          : f.path === "redactPaths"
            ? n(k).map((x) => x.replace(/-/g, ""))
            : n(k);
      out.push([`${f.path}: ${f.max} entries (its maximum)`, at(f.path, v(f.max)), true, f.path]);
      out.push([`${f.path}: ${f.max + 1} entries`, at(f.path, v(f.max + 1)), false, f.path]);
    }
  }
  return out;
}

test(
  "every field of the contract's table, at and past its limits: both sides give the table's verdict",
  { skip },
  async () => {
    const host = await WasmHost.load(readFileSync(wasmPath), { rootId: "kserve-logger", logLevel: "error" });
    try {
      const wrong: string[] = [];
      const cases = edgeCases();
      assert.ok(cases.length > 60, `${cases.length} cases`);
      for (const [name, cfg, accepted, path] of cases) {
        const installer = checkPluginConfig(cfg);
        const filter = host.configure(cfg);
        if ((installer.length === 0) !== accepted)
          wrong.push(`${name}: the installer ${accepted ? `refuses it (${installer.join("; ")})` : "accepts it"}`);
        if (filter.accepted !== accepted) wrong.push(`${name}: the filter ${accepted ? "refuses it" : "accepts it"}`);
        if (!accepted && !filter.logs.some((l) => l.message.includes(`invalid pluginConfig: ${path}: `))) {
          wrong.push(
            `${name}: the filter's refusal does not name ${path}: ${filter.logs.map((l) => l.message).join(" ")}`,
          );
        }
      }
      assert.deepEqual(wrong, []);
    } finally {
      host.close();
    }
  },
);

test("docs/plugin-config.md's table says what the contract's table says: every field, its type, default and limits", () => {
  const rows = new Map<string, [string, string, string]>();
  for (const line of readFileSync(ROOT + "docs/plugin-config.md", "utf8").split("\n")) {
    const m = /^\| `([\w.]+)` \| ([^|]+) \| ([^|]+) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, [m[2]!.trim(), m[3]!.trim(), m[4]!.replace(/\\\|/g, "|")]);
  }
  const wrong: string[] = [];
  const fields = CONFIG_FIELDS.filter((f) => f.type !== T_SECTION);
  for (const f of fields) {
    const row = rows.get(f.path);
    if (!row) {
      wrong.push(`${f.path}: no row`);
      continue;
    }
    const [type, def, limits] = row;
    if (type !== f.type) wrong.push(`${f.path}: type "${type}", the table says "${f.type}"`);
    const wantDef = f.required ? "— (required)" : f.def === "" ? '`""`' : `\`${f.def}\``;
    if (!def.startsWith(wantDef)) wrong.push(`${f.path}: default "${def}", the table says ${wantDef}`);
    if ((f.type === T_INTEGER || f.type === T_NUMBER) && !limits.startsWith(`${f.min}..${f.max}`))
      wrong.push(`${f.path}: limits "${limits.slice(0, 40)}…", the table says ${f.min}..${f.max}`);
    if ((f.type === T_STRINGS || f.type === T_MAP) && !limits.includes(`≤ ${f.max} `))
      wrong.push(`${f.path}: the limits do not say ≤ ${f.max}`);
    if (f.type === T_STRING && !limits.includes("|") && !limits.includes(`${f.min}..${f.max} chars`))
      wrong.push(`${f.path}: the limits do not say ${f.min}..${f.max} chars`);
  }
  for (const path of rows.keys())
    if (!fields.some((f) => f.path === path)) wrong.push(`${path}: a row for a field the contract does not have`);
  assert.deepEqual(wrong, []);
});
