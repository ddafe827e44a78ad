// Fuzzing the compiled filter through the host (seeded, reproducible):
// thousands of generated pluginConfigs (invalid UTF-8, huge numbers, deep
// nesting, duplicate keys, wrong types, long strings) and request headers
// (CR/LF/NUL, invalid UTF-8, oversized values). The VM never traps, every
// refusal is one clear log line, and every event the sink receives is a valid
// CloudEvent whose headers are exactly the expected set: nothing is injected.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { WasmHost } from "proxy-wasm-host";
import { CONFIG_FIELDS, T_SECTION, configKeys } from "../../assembly/config-fields.js";
import { CloudEventSink } from "../../../testbed/sink.js";
import { podMetadata, ROOT_ID, WASM_PATH } from "../../../testbed/stack.js";
import { CLUSTER, pluginConfig, withDeadline } from "../e2e/support.js";

// xorshift32: the same inputs on every run; SEED=n explores others.
let state = Number(process.env.SEED ?? 0x9e3779b9) >>> 0 || 1;
function rnd(n: number): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

function randomBytes(n: number, alphabet?: number[]): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = alphabet ? pick(alphabet) : rnd(256);
  return b;
}

const WEIRD_STRINGS = [
  "",
  " ",
  "\n",
  "\r\n",
  "\u0000",
  "\u007f",
  "\u0085",
  "é",
  "日本",
  "😀",
  "\ud800",
  'a"b',
  "\\",
  "<&>",
  "x".repeat(70_000),
  "%00",
  "ce-id: injected",
];
const WEIRD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  1.5,
  2 ** 53 + 1,
  1e-320,
  [],
  {},
  [[[[]]]],
  "",
  "all",
  WEIRD_STRINGS,
];

function randomValue(depth = 0): unknown {
  switch (rnd(depth > 3 ? 4 : 7)) {
    case 0:
      return pick(WEIRD_VALUES);
    case 1:
      return pick(WEIRD_STRINGS);
    case 2:
      return rnd(2) ? rnd(100000) : -rnd(100000);
    case 3:
      return pick(["all", "request", "response", "predictor", "raw", "percent", "/", "default", "canary"]);
    case 4:
      return Array.from({ length: rnd(4) }, () => randomValue(depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rnd(4) }, () => [pick(["a", "mode", "k/v", "x-tenant", ""]), randomValue(depth + 1)]),
      );
  }
}

// every top-level field of the contract's table (a field added there is fuzzed too), and one unknown
const FIELDS = [...configKeys(""), "unknownField"];
const SECTIONS = CONFIG_FIELDS.filter((f) => f.type === T_SECTION).map((f) => f.path);

// One generated configuration, as raw bytes.
function randomConfig(): Buffer {
  const base: Record<string, unknown> = pluginConfig({
    annotations: { "serving.example.com/tenant": "acme" },
    metadataHeaders: ["X-Tenant"],
  });
  const kind = rnd(10);
  if (kind === 0) return randomBytes(rnd(200)); // noise, mostly invalid UTF-8
  if (kind === 1) return Buffer.from("[".repeat(1 + rnd(5000)) + "]".repeat(rnd(5000))); // deep nesting
  if (kind === 2) {
    // duplicate keys
    const json = JSON.stringify(base);
    return Buffer.from(json.slice(0, -1) + `,"mode":"all","mode":"request"}`);
  }
  if (kind === 3) {
    // truncated
    const json = Buffer.from(JSON.stringify(base));
    return json.subarray(0, rnd(json.length));
  }
  if (kind === 4) {
    // invalid UTF-8 inside a string
    const json = Buffer.from(JSON.stringify({ ...base, source: "SRC" }));
    const at = json.indexOf("SRC");
    json[at] = 0xff;
    json[at + 1] = 0xc3;
    return json;
  }
  const cfg: Record<string, unknown> = { ...base };
  for (let k = 0, n = 1 + rnd(3); k < n; k++) {
    const f = pick(FIELDS);
    if (rnd(8) === 0) delete cfg[f];
    else if (SECTIONS.includes(f)) {
      // a section keeps its fields (logger's are required) and gets one of its own keys, or an unknown one
      const own = f === "logger" ? (base.logger as object) : {};
      cfg[f] = { ...own, [pick([...configKeys(f), "x"])]: randomValue() };
    } else cfg[f] = randomValue();
  }
  return Buffer.from(JSON.stringify(cfg));
}

describe("fuzz", () => {
  let sink: CloudEventSink;
  let host: WasmHost;
  before(async () => {
    sink = await CloudEventSink.start();
    host = await WasmHost.load(readFileSync(WASM_PATH), {
      rootId: ROOT_ID,
      failOpen: false,
      nodeMetadata: podMetadata("sklearn-iris", "models"),
      clusters: { [CLUSTER]: sink.address },
      maxLogEntries: 100_000,
    });
  });
  after(async () => {
    host.close();
    await sink.close();
  });

  test("3,000 generated configurations: never a trap; each refusal is one log line naming the field; accepted ones emit valid events", async () => {
    let accepted = 0,
      refused = 0;
    for (let i = 0; i < 3000; i++) {
      const cfg = randomConfig();
      host.clearLogs();
      const res = host.configure(cfg);
      assert.ok(!host.failed, `the VM trapped on input #${i}: ${cfg.toString("latin1").slice(0, 200)}`);
      if (res.accepted) {
        accepted++;
        if (res.unchanged) continue;
        const s = host.newStream();
        s.sendRequestHeaders([
          [":authority", "m"],
          [":path", "/"],
          [":method", "POST"],
          [":scheme", "http"],
          ["content-type", "application/json"],
          ["x-tenant", "t"],
        ]);
        s.sendRequestBody('{"instances":[[1]]}', { endOfStream: true });
        s.sendResponseHeaders([[":status", "200"]]);
        s.sendResponseBody("{}", { endOfStream: true });
        s.complete();
      } else {
        refused++;
        const lines = host.logs("error").filter((l) => l.message.includes("invalid pluginConfig"));
        assert.ok(lines.length >= 1, `refusal #${i} is logged: ${host.logText()}`);
        assert.match(
          lines[0]!.message,
          /^kserve-logger: invalid pluginConfig: [A-Za-z][\w.[\]"/ -]*: /,
          "the line names the field",
        );
      }
    }
    await withDeadline(host.idle(), "callouts to settle");
    assert.ok(accepted > 100 && refused > 1000, `both outcomes exercised: ${accepted} accepted, ${refused} refused`);
    assert.equal(sink.rejected.length, 0, `invalid CloudEvents: ${JSON.stringify(sink.rejected.slice(0, 3))}`);
    assert.ok(sink.events.length > 0);
  });

  test("5,000 requests with hostile header values: no header injected, every event valid, nothing refused by the host", async () => {
    assert.ok(
      host.configure(
        Buffer.from(
          JSON.stringify(
            pluginConfig({
              metadataHeaders: ["X-Tenant", "X-Other"],
              annotations: { "serving.example.com/tenant": "acme\r\nce-type: forged" },
              limits: { maxInflightCallouts: 1024 },
            }),
          ),
        ),
      ).accepted,
    );
    sink.clear();
    const before = host.metrics();
    const hostile = [0x0d, 0x0a, 0x00, 0x7f, 0x20, 0x3a, 0x22, 0x5c, 0xc3, 0xa9, 0xff, 0x41];
    const N = 5000;
    for (let i = 0; i < N; i++) {
      const v = (): Buffer => randomBytes(rnd(4) === 0 ? 1000 + rnd(70_000) : rnd(40), hostile);
      const s = host.newStream();
      s.sendRequestHeaders([
        [":authority", "m"],
        [":path", "/"],
        [":method", "POST"],
        [":scheme", "http"],
        ["ce-id", v()],
        ["x-request-id", v()],
        ["traceparent", v()],
        ["tracestate", v()],
        ["content-type", v()],
        ["x-tenant", v()],
        ["x-tenant", v()],
        ["x-other", v()],
      ]);
      s.sendRequestBody(randomBytes(rnd(100)), { endOfStream: true });
      s.complete();
      if (i % 200 === 199) await host.idle();
    }
    await withDeadline(host.idle(), "callouts to settle");
    const after = host.metrics();
    const d = (k: string): number =>
      Number((after[`kserve_logger_events_${k}`] ?? 0n) - (before[`kserve_logger_events_${k}`] ?? 0n));
    assert.equal(d("attempted"), N);
    assert.equal(d("failed"), 0, "the host never refused a callout for its header bytes");
    assert.equal(d("sent"), N);
    await withDeadline(sink.waitFor(N), "the sink to receive every event");
    assert.equal(sink.rejected.length, 0, `invalid CloudEvents: ${JSON.stringify(sink.rejected.slice(0, 2))}`);
    const allowed = new Set([
      "host",
      "content-length",
      "content-type",
      "ce-specversion",
      "ce-type",
      "ce-source",
      "ce-id",
      "ce-time",
      "ce-recordedtime",
      "ce-inferenceservicename",
      "ce-namespace",
      "ce-component",
      "ce-endpoint",
      "ce-metadata",
      "ce-metadatatruncated",
      "ce-annotations",
      "ce-requestid",
      "ce-traceparent",
      "ce-tracestate",
      "connection",
    ]);
    for (const e of sink.events) {
      for (const name of Object.keys(e.headers)) assert.ok(allowed.has(name), `unexpected header ${name}`);
      assert.equal(e.event.type, "org.kubeflow.serving.inference.request", "no forged type");
      assert.equal(JSON.parse(e.headers["ce-annotations"]!)["serving.example.com/tenant"], "acme\r\nce-type: forged");
      const md = JSON.parse(e.headers["ce-metadata"]!);
      assert.ok(Buffer.byteLength(e.headers["ce-metadata"]!) <= 8192, "metadata within limits.maxMetadataBytes");
      for (const k of ["ce-requestid", "ce-traceparent", "ce-tracestate"]) {
        const val = e.headers[k];
        // no C0 control or DEL, and not blank
        const clean = val === undefined || ([...val].every((c) => c >= " " && c !== "\x7f") && val.trim().length > 0);
        assert.ok(clean, `${k} is clean text`);
      }
      if (e.headers["ce-metadatatruncated"] === undefined)
        assert.equal((md["X-Tenant"] ?? []).length, 2, "both X-Tenant values kept when nothing was left out");
    }
  });
  test("2,000 completion streams of generated SSE in random pieces (LLM mode): never a trap, every response logged, nothing held after", async () => {
    assert.ok(
      host.configure(
        Buffer.from(
          JSON.stringify(
            pluginConfig({
              llm: { body: rnd(2) ? "raw" : "reassembled", maxEventBytes: 1024 },
              limits: { maxInflightCallouts: 1024, maxBodyBytes: 4096 },
            }),
          ),
        ),
      ).accepted,
    );
    sink.clear();
    const before = host.metrics();
    // the pieces an SSE stream of completion chunks is made of, and noise
    const parts = [
      "data: ",
      "data:",
      "\n",
      "\r\n",
      "\r",
      "\n\n",
      ": ping\n",
      '{"choices":[{"index":0,"delta":{"content":"',
      '{"choices":[{"index":',
      '"}}]}',
      "}",
      "]",
      '"finish_reason":"stop"',
      '{"usage":{"prompt_tokens":1,"completion_tokens":2}}',
      '{"model":"m"}',
      "[DONE]",
      "\\u00e9",
      "\\q",
      "é",
      "x".repeat(1500),
    ];
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const text = Array.from({ length: rnd(40) }, () =>
        rnd(10) === 0 ? randomBytes(rnd(30)).toString("latin1") : pick(parts),
      ).join("");
      const body = Buffer.from(text, "latin1");
      const s = host.newStream();
      s.sendRequestHeaders([
        [":authority", "m"],
        [":path", pick(["/v1/chat/completions", "/openai/v1/completions?x=1"])],
        [":method", "POST"],
      ]);
      s.sendRequestBody('{"stream":true}', { endOfStream: true });
      s.sendResponseHeaders([
        [":status", "200"],
        ["content-type", pick(["text/event-stream", "Text/Event-Stream; charset=utf-8", "application/json"])],
      ]);
      const reset = rnd(8) === 0;
      for (let o = 0; o < body.length;) {
        const k = 1 + rnd(64);
        const last = o + k >= body.length;
        s.sendResponseBody(body.subarray(o, o + k), { endOfStream: last && !reset });
        o += k;
      }
      if (body.length === 0 && !reset) s.sendResponseBody("", { endOfStream: true });
      s.complete();
      assert.ok(!host.failed, `the VM trapped on stream #${i}: ${JSON.stringify(text.slice(0, 300))}`);
      if (i % 200 === 199) await host.idle();
    }
    await withDeadline(host.idle(), "callouts to settle");
    const after = host.metrics();
    const d = (k: string): number =>
      Number((after[`kserve_logger_events_${k}`] ?? 0n) - (before[`kserve_logger_events_${k}`] ?? 0n));
    assert.equal(d("attempted"), 2 * N, "a request and a response event per stream, reset ones too");
    assert.equal(d("sent"), 2 * N);
    await withDeadline(sink.waitFor(2 * N), "the sink to receive every event");
    assert.equal(sink.rejected.length, 0, `invalid CloudEvents: ${JSON.stringify(sink.rejected.slice(0, 2))}`);
    for (const e of sink.events.filter((x) => x.event.type.endsWith(".response"))) {
      const x = e.event as unknown as Record<string, unknown>;
      assert.ok(["reported", "absent", "unknown"].includes(String(x.llmusage)));
      if (x.llmbody === "reassembled") JSON.parse(e.body.toString("utf8")); // valid JSON whatever came
      assert.ok(e.body.length <= 4096 + 1024, "bounded by limits.maxBodyBytes (plus the JSON around the content)");
    }
  });
});
