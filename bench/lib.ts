// Shared pieces of the benchmarks: statistics, the machine, the filter's
// configuration, in-process exchanges through the host, and table output.
// Benchmarks print figures; they never assert timings.

import { Session } from "node:inspector/promises";
import os from "node:os";
import { gzipSync } from "node:zlib";
import { HeaderMap, VmProfile, WasmHost, type HttpCallResponse } from "proxy-wasm-host";

export const ROOT_ID = "kserve-logger";
export const CLUSTER = "outbound|80||message-dumper.bench.svc.cluster.local";
export const KiB = 1024;
export const MiB = 1024 * 1024;
/** Envoy hands bodies to filters in slices of its read buffer; 16 KiB is the usual size. */
export const CHUNK = 16 * KiB;

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  v8: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

export function moduleSize(wasm: Uint8Array): { bytes: number; gzip: number } {
  return { bytes: wasm.length, gzip: gzipSync(wasm, { level: 9 }).length };
}

export function annotations(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    out[`serving.example.com/annotation-${String(i).padStart(3, "0")}`] = `value-${i}-${"x".repeat(40)}`;
  }
  return out;
}

/** The pluginConfig of the benchmarks: mode all, two metadata headers, n annotations. */
export function pluginConfig(
  opts: { annotations?: number; extra?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    inferenceService: "sklearn-iris",
    namespace: "bench",
    component: "predictor",
    mode: "all",
    logger: { cluster: CLUSTER, authority: "message-dumper.bench.svc.cluster.local", path: "/", timeoutMs: 5000 },
    metadataHeaders: ["x-tenant", "x-request-id"],
    annotations: annotations(opts.annotations ?? 0),
    ...opts.extra,
  };
}

const OK_RESPONSE: HttpCallResponse = {
  headers: HeaderMap.from([
    [":status", "202"],
    ["content-length", "0"],
  ]),
  body: Buffer.alloc(0),
  trailers: null,
};

/** The pod the benchmarks' filter runs in, as Istio's node metadata gives it. */
export const BENCH_NODE_METADATA = {
  NAME: "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q",
  NAMESPACE: "bench",
  LABELS: { "serving.kserve.io/inferenceservice": "sklearn-iris", component: "predictor" },
};

/** A host whose callouts are answered in-process (202, from a later event-loop turn). */
export async function inProcessHost(wasm: Uint8Array, config: object, canary = false): Promise<WasmHost> {
  const host = await WasmHost.load(wasm, {
    rootId: ROOT_ID,
    failOpen: true,
    canary,
    ticks: "manual",
    nodeMetadata: BENCH_NODE_METADATA,
    clusters: { [CLUSTER]: "127.0.0.1:9" },
    calloutResponder: () => OK_RESPONSE,
  });
  const r = host.configure(config);
  if (!r.accepted) throw new Error(`configuration refused: ${r.reason ?? ""}\n${host.logText()}`);
  return host;
}

/** One request/response pair of a given body size, prepared once and replayed. */
export class ExchangeShape {
  readonly reqHeaders: HeaderMap;
  readonly respHeaders: HeaderMap;
  readonly reqChunks: Buffer[];
  readonly respChunks: Buffer[];

  /**
   * `content`: the body (e.g. JSON for redaction); default bodyBytes of letters. `response`: a
   * response of its own instead of the request's body echoed (a streamed completion: its chunks,
   * path and content type).
   */
  constructor(
    readonly bodyBytes: number,
    content?: Buffer,
    response?: { path: string; contentType: string; chunks: Buffer[] },
  ) {
    const body = content ?? Buffer.alloc(bodyBytes);
    if (!content) for (let i = 0; i < bodyBytes; i++) body[i] = 0x61 + (i % 26);
    this.reqChunks = split(body);
    this.respChunks = response?.chunks ?? split(Buffer.from(body));
    this.respBytes = response ? response.chunks.reduce((n, c) => n + c.length, 0) : bodyBytes;
    this.reqHeaders = HeaderMap.from([
      [":authority", "sklearn-iris-predictor.bench.svc.cluster.local"],
      [":path", response?.path ?? "/v1/models/sklearn-iris:predict"],
      [":method", "POST"],
      [":scheme", "http"],
      ["content-type", "application/json"],
      ["content-length", String(bodyBytes)],
      ["user-agent", "bench/1.0"],
      ["x-tenant", "acme"],
      ["x-request-id", "5f0c5b0e-6a43-4d1f-9a3e-8a2f1d1c0b7e"],
      ["x-forwarded-proto", "http"],
    ]);
    this.respHeaders = HeaderMap.from(
      response
        ? [
            [":status", "200"],
            ["content-type", response.contentType],
          ]
        : [
            [":status", "200"],
            ["content-type", "application/json"],
            ["content-length", String(bodyBytes)],
          ],
    );
  }

  readonly respBytes: number;

  /** Body bytes the filter sees per exchange (request + response). */
  get exchangeBytes(): number {
    return this.bodyBytes + this.respBytes;
  }
}

function split(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += CHUNK) out.push(body.subarray(off, Math.min(body.length, off + CHUNK)));
  return out;
}

/** One complete exchange through the filter, as Envoy drives it (request, response, end of stream). */
export function exchange(host: WasmHost, x: ExchangeShape): void {
  const s = host.newStream({ record: false });
  s.sendRequestHeaders(x.reqHeaders);
  const rq = x.reqChunks;
  for (let i = 0; i < rq.length; i++) s.sendRequestBody(rq[i]!, { endOfStream: i === rq.length - 1 });
  s.sendResponseHeaders(x.respHeaders);
  const rs = x.respChunks;
  for (let i = 0; i < rs.length; i++) s.sendResponseBody(rs[i]!, { endOfStream: i === rs.length - 1 });
  s.complete();
}

/** n exchanges, letting callout answers in every `batch` exchanges (2 callouts each, under the in-flight cap). */
export async function exchanges(host: WasmHost, x: ExchangeShape, n: number, batch = 16): Promise<void> {
  for (let i = 0; i < n; i++) {
    exchange(host, x);
    if ((i + 1) % batch === 0) await host.idle();
  }
  await host.idle();
}

export interface Profiled {
  /** ns in Wasm callbacks per exchange (host calls made from them included). */
  vmNs: number;
  /** of which in host functions the VM called (the Node host's side of the ABI). */
  hostNs: number;
  /** wall ns per exchange, host work included. */
  wallNs: number;
  bytesIn: number;
  bytesOut: number;
  allocs: number;
  allocBytes: number;
  calls: number;
  /** host calls per exchange (proxy_* and WASI), and by name. */
  hostCalls: number;
  hostCallsByName: Map<string, number>;
  byExport: Map<string, { calls: number; ns: bigint }>;
}

export async function profiled(host: WasmHost, x: ExchangeShape, n: number): Promise<Profiled> {
  const p = new VmProfile();
  gc();
  host.vm.setProfile(p);
  const t0 = nowNs();
  await exchanges(host, x, n);
  const wall = Number(nowNs() - t0);
  host.vm.setProfile(null);
  return {
    vmNs: Number(p.ns) / n,
    hostNs: Number(p.hostNs) / n,
    wallNs: wall / n,
    bytesIn: p.bytesIn / n,
    bytesOut: p.bytesOut / n,
    allocs: p.allocs / n,
    allocBytes: p.allocBytes / n,
    calls: p.calls / n,
    hostCalls: p.hostCalls / n,
    hostCallsByName: new Map([...p.hostCallsByName].map(([k, v]) => [k, v / n])),
    byExport: p.byExport,
  };
}

/**
 * Time the CPU spent executing the module's own code per exchange, from V8's sampling
 * profiler: the samples whose top frame is a Wasm function (self time), no clock read
 * per call. The JS↔Wasm transitions and the host's functions are JavaScript frames and
 * are not counted. Statistical: n should give some thousands of samples.
 */
export async function wasmSampledNs(host: WasmHost, x: ExchangeShape, n: number, intervalUs = 25): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
    gc();
    await session.post("Profiler.start");
    await exchanges(host, x, n);
    const { profile } = await session.post("Profiler.stop");
    const wasm = new Set(profile.nodes.filter((nd) => nd.callFrame.url.startsWith("wasm://")).map((nd) => nd.id));
    let us = 0;
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    // A sample stands for the interval up to the next one (as DevTools counts self time).
    for (let i = 0; i + 1 < samples.length; i++) if (wasm.has(samples[i]!)) us += deltas[i + 1] ?? 0;
    return (us * 1000) / n;
  } finally {
    await session.post("Profiler.disable").catch(() => undefined);
    session.disconnect();
  }
}

/** The floor: copying the same chunks once, in the same process, into a preallocated buffer. */
export function floorNs(x: ExchangeShape, iterations: number): number {
  const dst = new Uint8Array(x.bodyBytes);
  const dst2 = new Uint8Array(x.bodyBytes);
  for (let w = 0; w < 3; w++) copyOnce(x, dst, dst2);
  const t0 = nowNs();
  for (let i = 0; i < iterations; i++) copyOnce(x, dst, dst2);
  return Number(nowNs() - t0) / iterations;
}

function copyOnce(x: ExchangeShape, dst: Uint8Array, dst2: Uint8Array): void {
  let off = 0;
  for (const c of x.reqChunks) {
    dst.set(c, off);
    off += c.length;
  }
  off = 0;
  for (const c of x.respChunks) {
    dst2.set(c, off);
    off += c.length;
  }
}

export function metric(host: WasmHost, name: string): number {
  return Number(host.metric(`kserve_logger_events_${name}`) ?? 0n);
}

// ---- formatting -----------------------------------------------------------------------------

export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return "–";
  if (Math.abs(b) < 10 * KiB) return `${Math.round(b)} B`;
  if (Math.abs(b) < 10 * MiB) return `${(b / KiB).toFixed(1)} KiB`;
  return `${(b / MiB).toFixed(1)} MiB`;
}

export function fmtSize(b: number): string {
  return b >= MiB ? `${b / MiB} MiB` : `${b / KiB} KiB`;
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : "–";
}

export function verdict(ok: boolean): string {
  return ok ? "met" : "NOT met";
}

export class Table {
  readonly rows: string[][] = [];
  constructor(
    readonly title: string,
    readonly header: string[],
    readonly note = "",
  ) {}

  add(...cells: (string | number)[]): void {
    this.rows.push(cells.map(String));
  }

  text(): string {
    const all = [this.header, ...this.rows];
    const w = this.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
    const out = [`== ${this.title}`, line(this.header), w.map((n) => "-".repeat(n)).join("  "), ...this.rows.map(line)];
    if (this.note) out.push(this.note);
    return out.join("\n");
  }

  markdown(): string {
    const esc = (c: string): string => c.replace(/\|/g, "\\|");
    const out = [
      `### ${this.title}`,
      "",
      `| ${this.header.map(esc).join(" | ")} |`,
      `| ${this.header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ];
    for (const r of this.rows) out.push(`| ${r.map(esc).join(" | ")} |`);
    if (this.note) out.push("", this.note);
    return out.join("\n");
  }
}
