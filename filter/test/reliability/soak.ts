// Soak: many logged exchanges through the host (in-process streams, callouts
// over loopback sockets), first with the logger down, then up. Reports Wasm
// linear memory and host RSS at start, at the switch and at the end, and checks
// that the counters are exact.

import { readFileSync } from "node:fs";
import { WasmHost } from "proxy-wasm-host";
import { CloudEventSink } from "../../../testbed/sink.js";
import { podMetadata, ROOT_ID, WASM_PATH } from "../../../testbed/stack.js";
import { CLUSTER } from "../e2e/support.js";
import { scenarioConfig } from "./scenarios.js";

export interface SoakFigures {
  exchanges: number;
  attempted: number;
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  received: number;
  wasmBytes: { start: number; switch: number; end: number };
  rssMiB: { start: number; switch: number; end: number };
  seconds: number;
}

const REQ_BODY = Buffer.from(
  JSON.stringify({
    instances: [
      [6.8, 2.8, 4.8, 1.4],
      [6.0, 3.4, 4.5, 1.6],
    ],
  }),
);
const RESP_BODY = Buffer.from(JSON.stringify({ predictions: [1, 1] }));
const BATCH = 100;

function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

function exchange(host: WasmHost, i: number): void {
  const s = host.newStream();
  s.sendRequestHeaders([
    [":authority", "sklearn-iris.models"],
    [":path", "/v1/models/sklearn-iris:predict"],
    [":method", "POST"],
    [":scheme", "http"],
    ["content-type", "application/json"],
    ["x-request-id", `soak-${i}`],
  ]);
  s.sendRequestBody(REQ_BODY, { endOfStream: true });
  s.sendResponseHeaders([
    [":status", "200"],
    ["content-type", "application/json"],
  ]);
  s.sendResponseBody(RESP_BODY, { endOfStream: true });
  s.complete();
}

function counters(host: WasmHost): Record<string, number> {
  const m = host.metrics();
  const get = (k: string): number => Number(m[`kserve_logger_events_${k}`] ?? 0n);
  return {
    attempted: get("attempted"),
    sent: get("sent"),
    failed: get("failed"),
    dropped: get("dropped"),
    retried: get("retried"),
  };
}

async function settle(host: WasmHost): Promise<void> {
  for (;;) {
    await host.idle();
    const c = counters(host);
    if (c.sent! + c.failed! + c.dropped! >= c.attempted!) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function soak(exchanges = 100_000, log: (s: string) => void = () => {}): Promise<SoakFigures> {
  const t0 = performance.now();
  const sink = await CloudEventSink.start({ record: false }); // the sink must not hold 100,000 events in this process
  const host = await WasmHost.load(readFileSync(WASM_PATH), {
    rootId: ROOT_ID,
    failOpen: true,
    nodeMetadata: podMetadata("sklearn-iris", "models"),
    clusters: { [CLUSTER]: "127.0.0.1:1" },
  });
  try {
    const res = host.configure(scenarioConfig({ limits: { maxInflightCallouts: 1024 } }));
    if (!res.accepted) throw new Error(`configuration refused: ${host.logText()}`);
    exchange(host, -1);
    await settle(host);
    global.gc?.();
    const start = { wasm: host.memoryBytes, rss: rssMiB() };
    const half = Math.floor(exchanges / 2);
    let sw = start;
    for (let i = 0; i < exchanges; i += BATCH) {
      if (i === half) {
        await settle(host);
        global.gc?.();
        sw = { wasm: host.memoryBytes, rss: rssMiB() };
        host.setCluster(CLUSTER, sink.address); // the logger comes back
        log(`soak: ${i} exchanges with the logger down; wasm ${sw.wasm} B, rss ${sw.rss} MiB`);
      }
      for (let j = i; j < Math.min(i + BATCH, exchanges); j++) exchange(host, j);
      await settle(host);
    }
    global.gc?.();
    const c = counters(host);
    return {
      exchanges,
      attempted: c.attempted! - 2,
      sent: c.sent!,
      failed: c.failed! - 2,
      retried: c.retried!,
      dropped: c.dropped!,
      received: sink.accepted,
      wasmBytes: { start: start.wasm, switch: sw.wasm, end: host.memoryBytes },
      rssMiB: { start: start.rss, switch: sw.rss, end: rssMiB() },
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    host.close();
    await sink.close();
  }
}
