// 2. Through the host over loopback: the sidecar (Node host, compiled filter in
// `all` mode) in front of the sample model server, callouts to the CloudEvents
// sink, against the same sidecar code path with no filter (passThrough: no VM
// call at all). Three processes on 127.0.0.1: this one runs only the sidecars;
// a child runs the model server and the sink; a child per run is the client.

import { Sidecar, WasmHost } from "proxy-wasm-host";
import {
  CLUSTER,
  KiB,
  ROOT_ID,
  Table,
  fmtNs,
  fmtRatio,
  fmtSize,
  median,
  metric,
  pluginConfig,
  verdict,
} from "./lib.js";
import type { Module, Settings } from "./inprocess.js";
import { firstLine, tsxChild } from "./children.js";

interface LoadResult {
  rps: number;
  p50Ns: number;
  p99Ns: number;
  errors: number;
  n: number;
  cpuUsPerReq: number;
}

export interface LoopbackRow {
  mode: string;
  size: number;
  rps: number;
  p50Ns: number;
  p99Ns: number;
  ratio: number;
  /** CPU time of this process (the sidecars) per request, user + system. */
  cpuUsPerReq: number;
  /** pass-through CPU per request / this mode's: the share of a CPU-bound sidecar's capacity left. */
  capacity: number;
  errors: number;
  attempted: number;
  sent: number;
  dropped: number;
  failed: number;
}

export interface LoopbackResult {
  concurrency: number;
  requests: Record<number, number>;
  warm: number;
  runs: number;
  rows: LoopbackRow[];
}

// The sidecar process's CPU is read around the whole run (warm-up included: the
// client's own phases are not visible from here) and divided by all its requests.
async function load(url: string, n: number, warm: number, concurrency: number, bodyBytes: number): Promise<LoadResult> {
  const child = tsxChild("load.ts", [JSON.stringify({ url, n, warm, concurrency, bodyBytes })]);
  child.stdin!.end();
  const c0 = process.cpuUsage();
  const line = await firstLine(child);
  const c = process.cpuUsage(c0);
  await new Promise((r) => child.once("exit", r));
  return { ...(JSON.parse(line) as Omit<LoadResult, "cpuUsPerReq">), cpuUsPerReq: (c.user + c.system) / (n + warm) };
}

export async function loopback(modules: Module[], s: Settings): Promise<LoopbackResult> {
  const concurrency = 8;
  const sizes = [1 * KiB, 64 * KiB];
  const requests: Record<number, number> = s.quick ? { [KiB]: 100, [64 * KiB]: 50 } : { [KiB]: 3000, [64 * KiB]: 1500 };
  const warm = s.quick ? 20 : 300;
  const runs = s.quick ? 1 : Math.max(3, s.runs);
  const servers = tsxChild("servers.ts", []);
  const addr = JSON.parse(await firstLine(servers)) as { model: string; sink: string };
  const hosts: WasmHost[] = [];
  const sidecars: { mode: string; sc: Sidecar; host: WasmHost | null }[] = [];
  try {
    for (const m of modules) {
      const host = await WasmHost.load(m.wasm, {
        rootId: ROOT_ID,
        failOpen: true,
        nodeMetadata: { NAME: "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q", NAMESPACE: "bench" },
        clusters: { [CLUSTER]: addr.sink },
      });
      const r = host.configure(pluginConfig());
      if (!r.accepted) throw new Error(`configuration refused: ${r.reason ?? ""}`);
      hosts.push(host);
      sidecars.push({
        mode: `filter (${m.label}), mode all`,
        sc: await Sidecar.start(host, { upstream: addr.model }),
        host,
      });
    }
    // Batch mode (one callout per 100 events) with the first module: what the callout
    // traffic, not the filter, costs the Node host.
    const bh = await WasmHost.load(modules[0]!.wasm, {
      rootId: ROOT_ID,
      failOpen: true,
      nodeMetadata: { NAME: "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q", NAMESPACE: "bench" },
      clusters: { [CLUSTER]: addr.sink },
    });
    const br = bh.configure(pluginConfig({ extra: { batch: { maxEvents: 100, intervalMs: 50 } } }));
    if (!br.accepted) throw new Error(`batch configuration refused: ${br.reason ?? ""}`);
    hosts.push(bh);
    sidecars.push({
      mode: `filter (${modules[0]!.label}), mode all, batch of 100 events`,
      sc: await Sidecar.start(bh, { upstream: addr.model }),
      host: bh,
    });
    // The same host and sidecar code with no filter: streams never enter the VM.
    sidecars.push({
      mode: "no filter (pass-through)",
      sc: await Sidecar.start(hosts[0]!, { upstream: addr.model, passThrough: true }),
      host: null,
    });
    const rows: LoopbackRow[] = [];
    for (const size of sizes) {
      const res = new Map<string, LoadResult[]>(sidecars.map((x) => [x.mode, []]));
      const before = new Map<WasmHost, Record<string, number>>();
      for (const h of hosts) before.set(h, counts(h));
      for (let r = 0; r < runs; r++) {
        // Interleaved, so that drift in the machine hits every mode alike.
        for (const x of sidecars) {
          res.get(x.mode)!.push(await load(x.sc.url, requests[size]!, warm, concurrency, size));
          for (const h of hosts) await h.idle();
        }
      }
      const pass = res.get("no filter (pass-through)")!;
      for (const x of sidecars) {
        const rr = res.get(x.mode)!;
        const c = x.host ? diff(counts(x.host), before.get(x.host)!) : { attempted: 0, sent: 0, dropped: 0, failed: 0 };
        rows.push({
          mode: x.mode,
          size,
          rps: median(rr.map((v) => v.rps)),
          p50Ns: median(rr.map((v) => v.p50Ns)),
          p99Ns: median(rr.map((v) => v.p99Ns)),
          ratio: median(rr.map((v, j) => v.rps / pass[j]!.rps)),
          errors: rr.reduce((a, v) => a + v.errors, 0),
          ...c,
          cpuUsPerReq: median(rr.map((v) => v.cpuUsPerReq)),
          capacity: median(rr.map((v, j) => pass[j]!.cpuUsPerReq / v.cpuUsPerReq)),
        });
      }
    }
    return { concurrency, requests, warm, runs, rows };
  } finally {
    for (const x of sidecars) await x.sc.close();
    for (const h of hosts) {
      await h.idle();
      h.close();
    }
    servers.stdin!.end();
    await new Promise((r) => servers.once("exit", r));
  }
}

function counts(h: WasmHost): Record<string, number> {
  return {
    attempted: metric(h, "attempted"),
    sent: metric(h, "sent"),
    dropped: metric(h, "dropped"),
    failed: metric(h, "failed"),
  };
}

function diff(
  a: Record<string, number>,
  b: Record<string, number>,
): { attempted: number; sent: number; dropped: number; failed: number } {
  return {
    attempted: a.attempted! - b.attempted!,
    sent: a.sent! - b.sent!,
    dropped: a.dropped! - b.dropped!,
    failed: a.failed! - b.failed!,
  };
}

export function loopbackTable(r: LoopbackResult): Table {
  const t = new Table(
    `2. Through the host over loopback (sidecar → model /echo, sink up), concurrency ${r.concurrency}`,
    [
      "sidecar",
      "body (each way)",
      "throughput",
      "p50",
      "p99",
      "vs no filter",
      "target ≥ 0.9×",
      "sidecar CPU per request",
      "capacity vs no filter",
      "events sent / attempted (dropped, failed)",
      "client errors",
    ],
    `Closed-loop client in its own process, keep-alive, ${Object.entries(r.requests)
      .map(([k, v]) => `${v} requests at ${fmtSize(Number(k))}`)
      .join(", ")} per run after\n` +
      `${r.warm} warm-up requests; median of ${r.runs} interleaved runs; vs no filter = median of per-run throughput ratios.\n` +
      "Model server and sink run in a second child process; this process runs only the sidecars (Node host).\n" +
      "sidecar CPU per request: user + system CPU of the sidecars' process over a run / its requests (warm-up included);\n" +
      "capacity vs no filter: median of per-run (pass-through CPU per request / this CPU per request), what a CPU-bound\n" +
      "sidecar would keep of its throughput, whatever the client, model and sink cost the shared cores.",
  );
  for (const row of r.rows) {
    const isPass = row.mode.startsWith("no filter");
    t.add(
      row.mode,
      fmtSize(row.size),
      `${row.rps.toFixed(0)} req/s`,
      fmtNs(row.p50Ns),
      fmtNs(row.p99Ns),
      isPass ? "1.00×" : fmtRatio(row.ratio),
      isPass ? "–" : verdict(row.ratio >= 0.9),
      `${row.cpuUsPerReq.toFixed(0)} µs`,
      isPass ? "1.00×" : fmtRatio(row.capacity),
      isPass ? "–" : `${row.sent} / ${row.attempted} (${row.dropped}, ${row.failed})`,
      row.errors,
    );
  }
  return t;
}
