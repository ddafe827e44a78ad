// Section 5 of the benchmarks: what hostile input costs the filter. Redaction
// throughput on typical and crafted bodies (5a) and proxy_on_configure on the
// worst pluginConfigs that can be built (5b), for the current module and the
// baseline, in the same run. Wasm time from the host's VmProfile.

import {
  ExchangeShape,
  KiB,
  MiB,
  Table,
  exchanges,
  fmtNs,
  gc,
  inProcessHost,
  median,
  pluginConfig,
  profiled,
  verdict,
} from "./lib.js";
import type { Module, Settings } from "./inprocess.js";
import { VmProfile } from "proxy-wasm-host";

// ---- 5a. redaction ---------------------------------------------------------------------------

interface RedactCase {
  name: string;
  typical: boolean;
  paths: string[];
  body: Buffer;
}

function v1Floats(size: number): Buffer {
  const row: string[] = [];
  let len = 20;
  for (let i = 0; len < size; i++) {
    const v = ((i * 7919) % 100000) / 1000;
    row.push(v.toFixed(3));
    len += row[row.length - 1]!.length + 1;
  }
  return Buffer.from(JSON.stringify({ instances: [row.map(Number)] }));
}

function v2Tensor(size: number): Buffer {
  const data: number[] = [];
  for (let len = 120; len < size; len += 7) data.push(((data.length * 31) % 1000) / 10);
  return Buffer.from(
    JSON.stringify({
      id: "r-1",
      inputs: [{ name: "input-0", shape: [1, data.length], datatype: "FP32", data }],
      parameters: { user: "u-17" },
    }),
  );
}

// Objects nested 14 deep, each level holding many short keys: every key is looked up,
// every value is on a live path (32 paths, stars and literals that never end on a value).
function craftedKeys(size: number): Buffer {
  const leaf = (i: number): string => `{${Array.from({ length: 8 }, (_, j) => `"k${j}":${i + j}`).join(",")}}`;
  let inner = "";
  for (let i = 0; inner.length < size - 200; i++) inner += (i ? "," : "") + `"n${i % 50}${i}":${leaf(i)}`;
  let body = `{${inner}}`;
  for (let d = 0; d < 13; d++) body = `{"k${d % 8}":${body}}`;
  return Buffer.from(body);
}

// Arrays nested 15 deep around a flat run of numbers, with index literals on every level.
function craftedArrays(size: number): Buffer {
  let inner = "1";
  while (inner.length < size - 40) inner += ",1";
  return Buffer.from("[".repeat(15) + inner + "]".repeat(15));
}

function craftedPaths(kind: "keys" | "arrays"): string[] {
  return Array.from({ length: 32 }, (_, i) => {
    const len = 2 + (i % 15);
    return Array.from({ length: len }, (_, j) => {
      if (j === len - 1) return kind === "keys" ? "zz" : "7000000";
      if ((i + j) % 3 === 0) return kind === "keys" ? `k${(i + j) % 8}` : String((i + j) % 3);
      return "*";
    }).join(".");
  });
}

function redactCases(quick: boolean): RedactCase[] {
  const size = quick ? 64 * KiB : MiB;
  return [
    {
      name: "V1 instances of floats",
      typical: true,
      paths: ["instances.*.ssn", "parameters.user"],
      body: v1Floats(size),
    },
    {
      name: "V2 FP32 tensor",
      typical: true,
      paths: ["inputs.*.parameters.ssn", "parameters.user"],
      body: v2Tensor(size),
    },
    {
      name: "crafted: 14 levels of objects, many keys",
      typical: false,
      paths: craftedPaths("keys"),
      body: craftedKeys(size),
    },
    {
      name: "crafted: 15 levels of arrays, index literals",
      typical: false,
      paths: craftedPaths("arrays"),
      body: craftedArrays(size),
    },
  ];
}

export interface RedactRow {
  module: string;
  body: string;
  typical: boolean;
  bytes: number;
  paths: number;
  plainNs: number;
  redactNs: number;
  mbps: number;
  omitted: boolean;
}

export async function redaction(modules: Module[], s: Settings): Promise<RedactRow[]> {
  const rows: RedactRow[] = [];
  const n = s.quick ? 2 : 8;
  for (const c of redactCases(s.quick)) {
    const x = new ExchangeShape(c.body.length, c.body);
    const limits = { maxBodyBytes: 2 * MiB, maxRedactBytes: 2 * MiB };
    for (const m of modules) {
      const plain = await inProcessHost(m.wasm, pluginConfig({ extra: { limits: { maxBodyBytes: 2 * MiB } } }));
      let redacting;
      try {
        redacting = await inProcessHost(m.wasm, pluginConfig({ extra: { limits, redactPaths: c.paths } }));
      } catch {
        // a baseline without limits.maxRedactBytes
        redacting = await inProcessHost(
          m.wasm,
          pluginConfig({ extra: { limits: { maxBodyBytes: 2 * MiB }, redactPaths: c.paths } }),
        );
      }
      await exchanges(plain, x, 2);
      await exchanges(redacting, x, 2);
      const p: number[] = [];
      const r: number[] = [];
      for (let i = 0; i < s.runs; i++) {
        gc();
        p.push((await profiled(plain, x, n)).vmNs);
        gc();
        r.push((await profiled(redacting, x, n)).vmNs);
      }
      const omitted = Number(redacting.metric("kserve_logger_redaction_omitted") ?? 0n) > 0;
      const redactNs = Math.max(1, median(r) - median(p));
      rows.push({
        module: m.label,
        body: c.name,
        typical: c.typical,
        bytes: c.body.length,
        paths: c.paths.length,
        plainNs: median(p),
        redactNs,
        mbps: ((2 * c.body.length) / redactNs) * 1e3,
        omitted,
      });
      plain.close();
      redacting.close();
    }
  }
  return rows;
}

export function redactionTable(rows: RedactRow[]): Table {
  const t = new Table(
    "5a. Redaction throughput (both bodies of an exchange redacted)",
    ["module", "body", "size", "paths", "exchange without redaction", "redaction's share", "MB/s", "target"],
    "redaction's share: Wasm time per exchange with redactPaths minus the same exchange without, both bodies. Targets: ≥ 200 MB/s\n" +
      "on a typical V1/V2 payload, ≥ 50 MB/s on the worst body constructed (crafted rows: every value on a live path, 32 paths).",
  );
  for (const r of rows) {
    const target = r.typical ? 200 : 50;
    t.add(
      r.module,
      r.body,
      `${(r.bytes / KiB).toFixed(0)} KiB`,
      r.paths,
      fmtNs(r.plainNs),
      fmtNs(r.redactNs),
      r.omitted ? "omitted" : r.mbps.toFixed(0),
      `${verdict(r.mbps >= target)} (≥ ${target})`,
    );
  }
  return t;
}

// ---- 5b. configuration ----------------------------------------------------------------------

function base(): Record<string, unknown> {
  const { annotations: _none, ...rest } = pluginConfig();
  return rest;
}

function withKeys(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"k${i}":"v"`);
  return JSON.stringify(base()).slice(0, -1) + `,"annotations":{${parts.join(",")}}}`;
}

function nestedWide(bytes: number): string {
  // 255 keys per object, nested until the document reaches `bytes`.
  const level = (inner: string, d: number): string =>
    `{${Array.from({ length: 254 }, (_, i) => `"a${d}_${i}":1`).join(",")},"z":${inner}}`;
  let doc = "1";
  for (let d = 0; d < 15 && doc.length < bytes - 4000; d++) doc = level(doc, d);
  return JSON.stringify(base()).slice(0, -1) + `,"limits":${doc}}`;
}

function escapes(bytes: number): string {
  return JSON.stringify(base()).slice(0, -1) + `,"source":"${"\\u0041".repeat(Math.floor(bytes / 6))}"}`;
}

function largestValid(): string {
  const ann: Record<string, string> = {};
  for (let i = 0; i < 128; i++) ann[`serving.example.com/a-${String(i).padStart(3, "0")}`] = "v".repeat(80);
  const endpoints = Object.fromEntries(
    Array.from({ length: 64 }, (_, i) => [`rev-${i}`, i % 2 ? "canary" : "default"]),
  );
  const redactPaths = Array.from({ length: 32 }, (_, i) => `instances.*.field${i}.*.x`);
  return JSON.stringify({ ...base(), annotations: ann, endpoints, redactPaths });
}

export interface ConfigShapeRow {
  module: string;
  shape: string;
  bytes: number;
  ns: number;
  result: string;
}

export async function hostileConfigs(modules: Module[], s: Settings): Promise<ConfigShapeRow[]> {
  const shapes: [string, string, boolean][] = [
    // [shape, document, run on the baseline too]
    ["1 MiB of keys in one object", withKeys(85000), false],
    ["18,000 keys in one object (under 256 KiB)", withKeys(18000), false],
    ["2,000 keys in one object", withKeys(2000), true],
    ["objects of 255 keys nested 15 deep", nestedWide(250 * KiB), true],
    ["a 250 KiB string of \\u escapes", escapes(250 * KiB), true],
    ["the largest valid configuration", largestValid(), true],
  ];
  const rows: ConfigShapeRow[] = [];
  const reps = s.quick ? 1 : 7;
  for (const m of modules) {
    const host = await inProcessHost(m.wasm, pluginConfig());
    for (const [shape, doc, onBaseline] of shapes) {
      if (m !== modules[0] && !onBaseline) {
        rows.push({
          module: m.label,
          shape,
          bytes: doc.length,
          ns: NaN,
          result: "not run (quadratic: seconds to minutes)",
        });
        continue;
      }
      const times: number[] = [];
      let result = "";
      for (let i = 0; i < reps; i++) {
        const p = new VmProfile();
        host.vm.setProfile(p);
        // a different document each time (an identical one is a no-op, as in Envoy)
        const r = host.configure(doc.slice(0, -1) + `,"endpoint":"e${i}"}`);
        host.vm.setProfile(null);
        times.push(Number(p.byExport.get("proxy_on_configure")?.ns ?? 0n));
        result = r.accepted
          ? "accepted"
          : (r.logs.map((l) => l.message).find((x) => x.includes("invalid pluginConfig")) ?? r.reason ?? "refused")
              .replace(/^kserve-logger: invalid pluginConfig: /, "refused: ")
              .replace(/ \(the previous configuration stays in force\)/, "");
      }
      rows.push({ module: m.label, shape, bytes: Buffer.byteLength(doc), ns: median(times), result });
    }
    host.close();
  }
  return rows;
}

export function hostileConfigTable(rows: ConfigShapeRow[]): Table {
  const t = new Table(
    "5b. proxy_on_configure on hostile pluginConfigs",
    ["module", "document", "size", "proxy_on_configure", "target ≤ 5 ms", "result"],
    "Each worker VM and the canary pay this once per configuration. pluginConfig is refused above 256 KiB before it is\n" +
      "parsed, and at the 257th member of an object or array; duplicate keys are found with a set.",
  );
  for (const r of rows) {
    t.add(
      r.module,
      r.shape,
      `${(r.bytes / KiB).toFixed(0)} KiB`,
      Number.isNaN(r.ns) ? "–" : fmtNs(r.ns),
      Number.isNaN(r.ns) ? "–" : verdict(r.ns <= 5e6),
      r.result.slice(0, 90),
    );
  }
  return t;
}
