// 7. LLM mode's cost per streamed chunk: a long chat completion (one SSE event per chunk, as
// vLLM flushes a token) through the filter with plain capture, with LLM mode on the raw body,
// and with the body reassembled; and the same with every event split across three chunks (the
// parser's held-line path). Ratios are LLM mode over plain capture of the same chunks, measured
// in the same run. In-process, callouts answered by the host.

import { completionEvents, completionFor } from "../testbed/openai.js";
import {
  ExchangeShape,
  Table,
  fmtNs,
  fmtRatio,
  inProcessHost,
  median,
  pluginConfig,
  profiled,
  wasmSampledNs,
} from "./lib.js";
import type { Module, Settings } from "./inprocess.js";

const TOKENS = 1000;

export interface LlmRow {
  mode: string;
  pieces: number;
  chunks: number;
  bytes: number;
  callbackNsPerChunk: number;
  wasmNsPerChunk: number;
  ratio: number;
  hostCallsPerChunk: number;
}

function stream(piecesPerEvent: number): ExchangeShape {
  const words = Array.from({ length: TOKENS - 2 }, (_, i) => `w${i % 100}`).join(" ");
  const req = {
    model: "llama3",
    messages: [{ role: "user", content: words }],
    stream: true,
    stream_options: { include_usage: true },
  };
  const events = completionEvents(completionFor(true, req), true).map((e) => Buffer.from(e));
  const chunks: Buffer[] = [];
  for (const e of events) {
    const step = Math.ceil(e.length / piecesPerEvent);
    for (let o = 0; o < e.length; o += step) chunks.push(e.subarray(o, o + step));
  }
  const body = Buffer.from(JSON.stringify({ ...req, messages: [{ role: "user", content: "w0 w1" }] }));
  return new ExchangeShape(body.length, body, {
    path: "/v1/chat/completions",
    contentType: "text/event-stream",
    chunks,
  });
}

const MODES: { mode: string; extra: Record<string, unknown> }[] = [
  { mode: "plain capture (no llm)", extra: {} },
  { mode: "llm, raw body", extra: { llm: {} } },
  { mode: "llm, reassembled body", extra: { llm: { body: "reassembled" } } },
];

export async function llmPerChunk(modules: Module[], s: Settings): Promise<LlmRow[]> {
  const current = modules[0]!; // the baseline module has no LLM mode
  const n = s.quick ? 2 : 20;
  const rows: LlmRow[] = [];
  for (const pieces of [1, 3]) {
    const x = stream(pieces);
    const chunks = x.respChunks.length;
    const hosts = await Promise.all(MODES.map((m) => inProcessHost(current.wasm, pluginConfig({ extra: m.extra }))));
    for (const h of hosts) await profiled(h, x, n); // warm-up
    const wasm: number[][] = MODES.map(() => []);
    const cb: number[][] = MODES.map(() => []);
    const calls: number[] = MODES.map(() => 0);
    for (let r = 0; r < s.runs; r++) {
      for (let i = 0; i < MODES.length; i++) {
        const p = await profiled(hosts[i]!, x, n);
        cb[i]!.push(p.vmNs / chunks);
        calls[i] = p.hostCalls / chunks;
        wasm[i]!.push((await wasmSampledNs(hosts[i]!, x, n)) / chunks);
      }
    }
    for (let i = 0; i < MODES.length; i++) {
      const ratios = wasm[i]!.map((w, r) => w / wasm[0]![r]!);
      rows.push({
        mode: MODES[i]!.mode,
        pieces,
        chunks,
        bytes: x.respBytes,
        callbackNsPerChunk: median(cb[i]!),
        wasmNsPerChunk: median(wasm[i]!),
        ratio: median(ratios),
        hostCallsPerChunk: calls[i]!,
      });
    }
    for (const h of hosts) h.close();
  }
  return rows;
}

export function llmTable(rows: LlmRow[]): Table {
  const t = new Table(
    `7. LLM mode per streamed chunk: a chat completion of ${TOKENS} tokens, one SSE event per chunk (or split in 3), in-process`,
    [
      "mode",
      "pieces per event",
      "chunks",
      "response bytes",
      "in Wasm callbacks / chunk",
      "Wasm code only / chunk",
      "ratio to plain",
      "host calls / chunk",
    ],
    "Wasm code only: V8's sampling profiler self time of the module's functions, per response chunk (the request and the\n" +
      "two events' building are spread over the chunks too). ratio to plain: median over runs of the mode's Wasm time over\n" +
      "plain capture's with the same chunks, measured in the same run. Plain capture copies each chunk into the capture\n" +
      "buffer; LLM mode also parses the chunk's SSE lines and the completion JSON in place; reassembled does not capture the\n" +
      "raw body but reads each chunk through a 16 KiB window and keeps the content. Split in 3: every event arrives in three\n" +
      "chunks, so its line is held across chunks and parsed from the held copy.",
  );
  for (const r of rows) {
    t.add(
      r.mode,
      String(r.pieces),
      String(r.chunks),
      String(r.bytes),
      fmtNs(r.callbackNsPerChunk),
      fmtNs(r.wasmNsPerChunk),
      fmtRatio(r.ratio),
      r.hostCallsPerChunk.toFixed(2),
    );
  }
  return t;
}
