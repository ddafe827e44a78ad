// The local demo: the ISVC in testdata/ goes through the installer's render, its
// WasmPlugin's pluginConfig configures the compiled filter in the Node host,
// which sits in front of a sample model server as the Istio sidecar would; a few
// inference requests go through, and the events the sink received are printed
// the way KServe's message-dumper (event_display) prints them.
//
//   node --import tsx testbed/demo.ts [--isvc testdata/isvc/sklearn-iris-annotated.yaml]

import { readFileSync } from "node:fs";
import {
  DEFAULT_RENDER_OPTIONS,
  formatDiagnostic,
  moduleRef,
  parseDocuments,
  renderDocuments,
} from "../installer/src/index.js";
import type { ReceivedEvent } from "./sink.js";
import { podMetadata, startStack, WASM_PATH } from "./stack.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface WasmPluginDoc {
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { pluginConfig: { inferenceService: string; namespace: string; component: string } };
}

function renderPluginConfig(isvcPath: string): WasmPluginDoc {
  // what `kserve-wasm-logger render -f ISVC` prints, validated against Istio's CRD
  const module = moduleRef(`file://${process.cwd()}/${WASM_PATH}`, undefined, WASM_PATH);
  const res = renderDocuments(
    parseDocuments(readFileSync(isvcPath, "utf8"), isvcPath),
    { ...DEFAULT_RENDER_OPTIONS, module },
    { namespace: "default", explicit: false },
  );
  for (const d of res.diagnostics) console.error(formatDiagnostic(d));
  const plugin = (res.objects as WasmPluginDoc[]).find(
    (o) => o.kind === "WasmPlugin" && o.spec.pluginConfig.component === "predictor",
  );
  if (!res.ok || !plugin) throw new Error(`${isvcPath}: the installer rendered no predictor WasmPlugin`);
  return plugin;
}

// event_display's layout (knative.dev/eventing cmd/event_display), which KServe's docs show.
function display(r: ReceivedEvent): string {
  const e = r.event;
  const lines = ["☁️  cloudevents.Event", "Validation: valid", "Context Attributes,"];
  for (const k of ["specversion", "type", "source", "id", "time", "datacontenttype"]) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v !== undefined) lines.push(`  ${k}: ${String(v)}`);
  }
  lines.push("Extensions,");
  const core = new Set([
    "specversion",
    "type",
    "source",
    "id",
    "time",
    "datacontenttype",
    "data",
    "data_base64",
    "dataschema",
    "subject",
  ]);
  const ext = Object.entries(e.toJSON() as Record<string, unknown>)
    .filter(([k, v]) => !core.has(k) && v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [k, v] of ext) lines.push(`  ${k}: ${String(v)}`);
  lines.push("Data,", `  ${r.body.toString("utf8")}`);
  return lines.join("\n");
}

// One line per event first: what a person checks before reading the events themselves.
function summary(events: ReceivedEvent[], statusById: Map<string, number>): string {
  const rows = [["ID", "TYPE", "MODEL STATUS", "BODY", "ANNOTATIONS"]];
  for (const r of events) {
    const e = r.event as unknown as Record<string, unknown>;
    // key (its last segment) = value: enough to see that they arrived
    const annotations =
      typeof e.annotations === "string"
        ? Object.entries(JSON.parse(e.annotations) as Record<string, string>)
            .map(([k, v]) => `${k.slice(k.lastIndexOf("/") + 1)}=${v}`)
            .join(", ")
        : "-";
    rows.push([
      String(e.id),
      String(e.type).replace("org.kubeflow.serving.inference.", ""),
      String(statusById.get(String(e.id)) ?? "?"),
      `${r.body.length} bytes`,
      annotations || "-",
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]! + 2)))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

async function main(): Promise<void> {
  const isvcPath = arg("--isvc", "testdata/isvc/sklearn-iris-annotated.yaml");
  const plugin = renderPluginConfig(isvcPath);
  const cfg = plugin.spec.pluginConfig;
  console.log(`installer: ${isvcPath} → WasmPlugin ${plugin.metadata.namespace}/${plugin.metadata.name}`);
  console.log(`pluginConfig: ${JSON.stringify(cfg)}\n`);

  const stack = await startStack({
    pluginConfig: cfg,
    nodeMetadata: podMetadata(cfg.inferenceService, cfg.namespace, cfg.component),
  });
  try {
    console.log(
      `model server ${stack.model.url} ← sidecar (host + ${WASM_PATH}) ${stack.url}; logger sink ${stack.sink!.url}\n`,
    );
    const calls: { what: string; path: string; init: RequestInit }[] = [
      {
        what: "V1 predict",
        path: `/v1/models/${cfg.inferenceService}:predict`,
        init: {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-tenant": "acme",
            // ce-id names the exchange (as KServe: without it, a new UUID); X-Request-Id travels as ce-requestid
            "ce-id": "demo-request-1",
            "x-request-id": "trace-7f3a",
          },
          body: JSON.stringify({
            instances: [
              [6.8, 2.8, 4.8, 1.4],
              [6.0, 3.4, 4.5, 1.6],
            ],
          }),
        },
      },
      {
        what: "V2 infer with Ce-Id",
        path: `/v2/models/${cfg.inferenceService}/infer`,
        init: {
          method: "POST",
          headers: { "content-type": "application/json", "ce-id": "demo-request-2", "x-tenant": "globex" },
          body: JSON.stringify({
            inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [6.8, 2.8, 4.8, 1.4] }],
          }),
        },
      },
      {
        what: "kubelet probe (not logged)",
        path: "/v2/health/ready",
        init: { headers: { "user-agent": "kube-probe/1.31" } },
      },
      {
        what: "model error 500 (request logged, no response event, as KServe)",
        path: `/v1/models/${cfg.inferenceService}:predict`,
        init: {
          method: "POST",
          headers: { "content-type": "application/json", "x-test-status": "500", "ce-id": "demo-request-4" },
          body: '{"instances":[[0]]}',
        },
      },
    ];
    // the model's answer per exchange id (the calls that carry one), for the summary
    const statusById = new Map<string, number>();
    for (const c of calls) {
      const res = await fetch(stack.url + c.path, c.init);
      console.log(`client: ${c.what}: ${res.status} ${await res.text()}`);
      const h = new Headers(c.init.headers);
      const id = h.get("ce-id");
      if (id) statusById.set(id, res.status);
    }
    const expected = 5; // 2 × (request + response) + the 500's request
    const events = await Promise.race([
      stack.sink!.waitFor(expected),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`the sink received ${stack.sink!.events.length} of ${expected} events in 15 s`)),
          15_000,
        ),
      ),
    ]);
    console.log(`\nthe sink received ${events.length} events:\n`);
    console.log(summary(events, statusById) + "\n");
    for (const e of events) console.log(display(e) + "\n");
    await stack.host.idle();
    console.log(
      "filter metrics:",
      Object.entries(stack.host.metrics())
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    );
  } finally {
    await stack.close();
  }
  await llmExchange();
}

// One streamed chat completion from an LLM on KServe's Hugging Face runtime: the installer turns
// LLM mode on for it (model format huggingface), and the response event says what it cost.
async function llmExchange(): Promise<void> {
  const isvcPath = arg("--llm-isvc", "testdata/isvc/huggingface-llm.yaml");
  const plugin = renderPluginConfig(isvcPath);
  const cfg = plugin.spec.pluginConfig;
  console.log(`\nLLM: ${isvcPath} → WasmPlugin ${plugin.metadata.namespace}/${plugin.metadata.name}`);
  console.log(`pluginConfig: ${JSON.stringify(cfg)}\n`);
  const stack = await startStack({
    pluginConfig: cfg,
    nodeMetadata: podMetadata(cfg.inferenceService, cfg.namespace, cfg.component),
  });
  try {
    const res = await fetch(`${stack.url}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "ce-id": "demo-llm-1", "x-test-first-token-ms": "40" },
      body: JSON.stringify({
        model: "llama3",
        messages: [{ role: "user", content: "Write a haiku about payload logs" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const sse = await res.text();
    console.log(`client: streamed chat completion: ${res.status}, ${sse.split("\n\n").length - 1} SSE events`);
    const events = await stack.sink!.waitFor(2);
    const resp = events.find((e) => e.event.type.endsWith(".response"));
    if (!resp) throw new Error("no response event for the LLM exchange");
    const e = resp.event as unknown as Record<string, unknown>;
    const llm = Object.keys(e)
      .filter((k) => k.startsWith("llm"))
      .sort()
      .map((k) => `${k}=${String(e[k])}`);
    console.log(`the sink received the response event ${String(e.id)} with: ${llm.join(" ")}\n`);
    console.log(display(resp) + "\n");
  } finally {
    await stack.close();
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
