// 6. Side by side with KServe's agent: the same model server, sink and load generator in
// front of four systems — direct (no proxy), KServe's agent (cmd/agent v0.17.0, built from
// the Go module proxy by test-infra/kserve-agent/install.sh, flags as KServe's injector
// renders them for an ISVC with a logger), our sidecar with the filter, and the same sidecar
// with no filter. Every system runs in a process of its own; its CPU (user + system, every
// thread) is read from /proc around each run, until the sink has every event. Ratios are
// taken inside each round, then the median and the spread over rounds. Not part of make
// test or CI: `npm run bench` (or `bench/run.ts --only 6`).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  ExchangeShape,
  KiB,
  Table,
  exchanges,
  fmtNs,
  fmtRatio,
  fmtSize,
  inProcessHost,
  median,
  pluginConfig,
  wasmSampledNs,
} from "./lib.js";
import { firstLine, tsxChild } from "./children.js";
import type { Module, Settings } from "./inprocess.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const AGENT = path.join(REPO, ".tmp/kserve-agent/bin/agent");
const INSTALL = path.join(REPO, "test-infra/kserve-agent/install.sh");
const AGENT_PORT = 19081; // the agent also takes the abstract socket @/kserve/agent.sock: one per machine
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

type System = "direct" | "agent" | "filter" | "no filter";
const SYSTEMS: System[] = ["direct", "agent", "filter", "no filter"];

interface Point {
  size: number;
  concurrency: number;
  n: number;
}

interface Run {
  rps: number;
  p50Ns: number;
  p99Ns: number;
  errors: number;
  /** µs of the proxy process's CPU per request (NaN for direct). */
  cpuUs: number;
  events: number;
  expected: number;
}

export interface AgentRow {
  size: number;
  concurrency: number;
  system: System;
  runs: Run[];
  /** per round: this system's CPU per request / the agent's (same round). */
  cpuVsAgent: number[];
  /** per round: this system's throughput / the agent's. */
  rpsVsAgent: number[];
}

export interface AgentResult {
  rounds: number;
  buildNote: string;
  rows: AgentRow[];
  /** the filter's own Wasm time per exchange (sampled, in-process), per body size */
  wasmNs: Record<number, number>;
  skipped?: string;
}

/** Builds the agent when it is missing (prints its own progress and the build time). */
function ensureAgent(): string {
  const t0 = Date.now();
  const had = existsSync(AGENT);
  const r = spawnSync("bash", [INSTALL], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`${INSTALL} failed (exit ${r.status})`);
  return had ? "agent binary already built" : `agent built in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
}

/** user + system CPU of a process and all its threads, in µs (/proc/<pid>/stat utime + stime). */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

async function waitForPort(port: number, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** KServe's agent as the injector starts it for an ISVC with `logger: {mode: all, url}`. */
function startAgent(modelPort: number, sink: string): ChildProcess {
  const args = [
    "--port", String(AGENT_PORT),
    "--component-port", String(modelPort),
    "--log-url", `http://${sink}/`,
    "--log-mode", "all",
    "--inference-service", "sklearn-iris",
    "--namespace", "bench",
    "--endpoint", "",
    "--component", "predictor",
    // the same allow-list as our pluginConfig (bench/lib.ts)
    "--metadata-headers", "X-Tenant,X-Request-Id",
  ]; // prettier-ignore
  return spawn(AGENT, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      // required by the agent's environment (knative's queue-proxy config); a TCP probe of the model
      SERVING_READINESS_PROBE: JSON.stringify({ tcpSocket: { port: modelPort, host: "127.0.0.1" } }),
      SERVING_LOGGING_LEVEL: "warn",
    },
  });
}

/** Lines from a child, one at a time (the servers child answers "count"). */
class Lines {
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiting: ((l: string) => void) | null = null;
  constructor(child: ChildProcess) {
    this.rl = createInterface({ input: child.stdout! });
    this.rl.on("line", (l) => {
      const w = this.waiting;
      this.waiting = null;
      if (w) w(l);
      else this.queue.push(l);
    });
  }
  next(): Promise<string> {
    const l = this.queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => (this.waiting = r));
  }
  close(): void {
    this.rl.close();
  }
}

export async function sideBySide(modules: Module[], s: Settings): Promise<AgentResult> {
  const wasm = path.join(REPO, "build/kserve-logger.wasm");
  const rounds = s.quick ? 1 : Math.max(3, s.runs);
  if (s.quick) return { rounds, buildNote: "", rows: [], wasmNs: {}, skipped: "not run in --quick mode" };
  if (process.platform !== "linux")
    return { rounds, buildNote: "", rows: [], wasmNs: {}, skipped: "needs Linux /proc" };
  const buildNote = ensureAgent();
  const points: Point[] = [
    { size: KiB, concurrency: 1, n: 1500 },
    { size: KiB, concurrency: 16, n: 4000 },
    { size: 64 * KiB, concurrency: 1, n: 800 },
    { size: 64 * KiB, concurrency: 16, n: 1500 },
  ];
  const warm = 200;
  const servers = tsxChild("servers.ts", []);
  const lines = new Lines(servers);
  const addr = JSON.parse(await lines.next()) as { model: string; sink: string };
  const modelPort = Number(new URL(addr.model).port);
  const count = async (): Promise<number> => {
    servers.stdin!.write("count\n");
    return (JSON.parse(await lines.next()) as { events: number }).events;
  };
  const children: ChildProcess[] = [];
  try {
    const agent = startAgent(modelPort, addr.sink);
    children.push(agent);
    await waitForPort(AGENT_PORT);
    const ours = async (passThrough: boolean): Promise<{ child: ChildProcess; url: string }> => {
      const child = tsxChild("sidecar-child.ts", [
        JSON.stringify({ wasm, model: addr.model, sink: addr.sink, passThrough, workers: 2 }),
      ]);
      children.push(child);
      return { child, url: (JSON.parse(await firstLine(child)) as { url: string }).url };
    };
    const withFilter = await ours(false);
    const noFilter = await ours(true);
    const target: Record<System, { url: string; pid: number | null; logs: boolean }> = {
      direct: { url: addr.model, pid: null, logs: false },
      agent: { url: `http://127.0.0.1:${AGENT_PORT}`, pid: agent.pid!, logs: true },
      filter: { url: withFilter.url, pid: withFilter.child.pid!, logs: true },
      "no filter": { url: noFilter.url, pid: noFilter.child.pid!, logs: false },
    };
    const rows: AgentRow[] = points.flatMap((p) =>
      SYSTEMS.map((system) => ({ ...p, system, runs: [], cpuVsAgent: [], rpsVsAgent: [] })),
    );
    const rowOf = (p: Point, system: System): AgentRow =>
      rows.find((x) => x.size === p.size && x.concurrency === p.concurrency && x.system === system)!;
    for (let round = 0; round < rounds; round++) {
      for (const p of points) {
        const inRound = new Map<System, Run>();
        // A different order each round, so no system always runs first on a warm machine.
        const order = SYSTEMS.map((_, i) => SYSTEMS[(i + round) % SYSTEMS.length]!);
        for (const system of order) {
          const t = target[system];
          const e0 = await count();
          const c0 = t.pid !== null ? cpuUs(t.pid) : 0;
          const child = tsxChild("load.ts", [
            JSON.stringify({ url: t.url, n: p.n, warm, concurrency: p.concurrency, bodyBytes: p.size }),
          ]);
          child.stdin!.end();
          const r = JSON.parse(await firstLine(child)) as Omit<Run, "cpuUs" | "events" | "expected">;
          await new Promise((res) => child.once("exit", res));
          // Until the sink has every event (the agent sends them from its own queue, after the answer).
          const expected = t.logs ? 2 * (p.n + warm) : 0;
          let events = (await count()) - e0;
          for (let i = 0; i < 100 && events < expected; i++) {
            await new Promise((res) => setTimeout(res, 50));
            events = (await count()) - e0;
          }
          const c = t.pid !== null ? (cpuUs(t.pid) - c0) / (p.n + warm) : NaN;
          const run: Run = { ...r, cpuUs: c, events, expected };
          inRound.set(system, run);
          rowOf(p, system).runs.push(run);
        }
        const a = inRound.get("agent")!;
        for (const system of SYSTEMS) {
          const row = rowOf(p, system);
          const r = inRound.get(system)!;
          row.cpuVsAgent.push(r.cpuUs / a.cpuUs);
          row.rpsVsAgent.push(r.rps / a.rps);
        }
      }
    }
    // The filter's own Wasm time per exchange at the same sizes (section 1's sampled figure).
    const wasmNs: Record<number, number> = {};
    for (const size of [KiB, 64 * KiB]) {
      const host = await inProcessHost(modules[0]!.wasm, pluginConfig());
      const x = new ExchangeShape(size);
      await exchanges(host, x, size > KiB ? 1500 : 6000); // warm-up: the optimizing tier (see section 1)
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) samples.push(await wasmSampledNs(host, x, size > KiB ? 1500 : 6000));
      wasmNs[size] = median(samples);
      host.close();
    }
    return { rounds, buildNote, rows, wasmNs };
  } finally {
    lines.close();
    // The agent sleeps 30 s on SIGTERM (its drain): a benchmark has nothing to drain.
    for (const c of children) c.kill(c === children[0] ? "SIGKILL" : "SIGTERM");
    for (const c of children.slice(1)) c.stdin?.end();
    servers.stdin!.end();
  }
}

function spread(xs: number[], f: (x: number) => string): string {
  if (xs.length < 2) return "";
  return ` (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

export function agentTable(r: AgentResult): Table {
  const t = new Table(
    "6. Side by side with KServe's agent (cmd/agent v0.17.0): CPU per request of the proxy process",
    [
      "body",
      "c",
      "system",
      "throughput",
      "p50",
      "p99",
      "proxy CPU per request",
      "CPU vs agent",
      "throughput vs agent",
      "events at the sink",
      "filter's Wasm / agent CPU",
    ],
    r.skipped
      ? `skipped: ${r.skipped}`
      : `${r.rounds} rounds (${r.buildNote}); medians over rounds, (min–max) in brackets; ratios taken inside each round.\n` +
          "direct: the load generator straight to the model server. agent: KServe's agent in front of it, logging to the\n" +
          "sink. filter / no filter: our Node host as the sidecar (2 workers) with the compiled filter / with no filter.\n" +
          "proxy CPU: user + system of the proxy's process, every thread, from /proc, until the sink had every event.\n" +
          "filter's Wasm / agent CPU: the filter's own Wasm time per exchange (section 1's sampled figure, in-process)\n" +
          "over the agent's CPU per request. Load: bench/load.ts, a Node client in its own process (neither system).",
  );
  for (const row of r.rows) {
    const runs = row.runs;
    const cpu = runs.map((x) => x.cpuUs);
    const isFilter = row.system === "filter";
    const agentCpu = median(
      r.rows
        .find((x) => x.size === row.size && x.concurrency === row.concurrency && x.system === "agent")!
        .runs.map((x) => x.cpuUs),
    );
    t.add(
      fmtSize(row.size),
      String(row.concurrency),
      row.system,
      `${median(runs.map((x) => x.rps)).toFixed(0)} req/s`,
      fmtNs(median(runs.map((x) => x.p50Ns))),
      fmtNs(median(runs.map((x) => x.p99Ns))),
      row.system === "direct" ? "–" : `${median(cpu).toFixed(0)} µs${spread(cpu, (x) => x.toFixed(0))}`,
      row.system === "direct" || row.system === "agent"
        ? "–"
        : `${fmtRatio(median(row.cpuVsAgent))}${spread(row.cpuVsAgent, fmtRatio)}`,
      `${fmtRatio(median(row.rpsVsAgent))}`,
      runs[0]!.expected > 0 ? `${Math.min(...runs.map((x) => x.events))} / ${runs[0]!.expected}` : "–",
      isFilter ? `1/${(agentCpu / ((r.wasmNs[row.size] ?? NaN) / 1000)).toFixed(0)}` : "",
    );
  }
  return t;
}
