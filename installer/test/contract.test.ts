// The pluginConfig contract from both sides: every configuration below gets the same verdict
// (accepted / refused) from the installer's checker (installer/src/plugin-config.ts) and from
// the compiled filter's proxy_on_configure, run in the Node proxy-wasm host. The goldens'
// pluginConfigs must be accepted by both. Skipped when build/kserve-logger.wasm is not built.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import YAML from "yaml";
import { WasmHost } from "proxy-wasm-host";
import { checkPluginConfig } from "../src/plugin-config.js";
import { ROOT } from "./helpers.js";

const wasmPath = ROOT + "build/kserve-logger.wasm";
const skip = existsSync(wasmPath) ? false : `${wasmPath} not built (make build); the filter side of the contract is not checked`;

const base = {
  inferenceService: "sklearn-iris",
  namespace: "models",
  component: "predictor",
  endpoint: "",
  endpoints: { "sklearn-iris-predictor-00002": "default", "sklearn-iris-predictor-00003": "canary" },
  mode: "all",
  logger: { cluster: "outbound|80||message-dumper.models.svc.cluster.local", authority: "message-dumper.models.svc.cluster.local", path: "/", timeoutMs: 5000 },
  source: "http://localhost:9081/",
  metadataHeaders: ["X-Tenant", "x-request-id"],
  allowSensitiveHeaders: [],
  annotations: { "serving.example.com/tenant": "acme" },
  logAllResponses: false,
  headerEncoding: "raw",
  limits: { maxBodyBytes: 1048576, maxInflightCallouts: 64, drainTimeoutMs: 10000 },
  retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 2000, budgetBytes: 8388608 },
  redactPaths: ["instances.*.ssn"],
};
type Cfg = Record<string, unknown>;
const w = (patch: Cfg): Cfg => ({ ...base, ...patch });
const sub = (field: "logger" | "limits" | "retry", patch: Cfg): Cfg => ({ ...base, [field]: { ...base[field], ...patch } });

const cases: [string, Cfg][] = [
  ["every field of docs/plugin-config.md", base],
  ["only the required fields", { inferenceService: "a", namespace: "b", logger: { cluster: "c", authority: "d" } }],
  ["unknown top-level field", w({ extra: 1 })],
  ["unknown logger field", sub("logger", { retries: 1 })],
  ["unknown limits field", sub("limits", { maxHeaders: 1 })],
  ["unknown retry field", sub("retry", { jitter: true })],
  ["sensitive header without allowSensitiveHeaders", w({ metadataHeaders: ["Authorization"] })],
  ["sensitive header allowed (other case)", w({ metadataHeaders: ["Authorization"], allowSensitiveHeaders: ["authorization"] })],
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
];

function goldenConfigs(): [string, Cfg][] {
  const dir = ROOT + "testdata/golden/";
  const out: [string, Cfg][] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yaml") || x.endsWith(".json"))) {
    for (const doc of YAML.parseAllDocuments(readFileSync(dir + f, "utf8"))) {
      const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { pluginConfig?: Cfg } };
      if (o?.kind === "WasmPlugin" && o.spec?.pluginConfig) out.push([`golden ${f} ${o.metadata?.name}`, o.spec.pluginConfig]);
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
        disagreements.push(`${name}: installer ${installer.length === 0 ? "accepts" : `refuses (${installer.join("; ")})`}, filter ${filter.accepted ? "accepts" : `refuses (${filter.logs.map((l) => l.message).join(" ")})`}`);
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
  const expectAccepted = new Set(["every field of docs/plugin-config.md", "only the required fields", "sensitive header allowed (other case)",
    "32 metadataHeaders", "logAllResponses true", "headerEncoding percent", "maxBodyBytes 0", "maxBodyBytes 64 MiB", "maxInflightCallouts 4096",
    "maxRetries 10", "budgetBytes 0", "redactPaths 32", "redactPaths 16 segments", "batch mode, every field",
    "batch mode, empty object (defaults)", "maxMetadataBytes 65536", "128 annotations"]);
  for (const [name, cfg] of cases) {
    assert.equal(checkPluginConfig(cfg).length === 0, expectAccepted.has(name), `${name}: ${checkPluginConfig(cfg).join("; ")}`);
  }
});
