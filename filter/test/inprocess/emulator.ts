// The compiled filter (build/kserve-logger.wasm) in the host, in-process, driven step by step in
// the vocabulary of proxy-wasm-go-sdk's proxytest: start the plugin with a configuration, call on
// request/response headers and bodies, look at the pending callouts, answer one, move the clock,
// tick, read the metrics. No sockets and no timers: callouts wait for the test ("manual"), ticks
// fire only on tick(), and the filter reads the emulator's clock. Wire compatibility and the real
// HTTP path stay with the socket tests in ../e2e/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WasmHost, type HttpStream, type WasmHostOptions } from "proxy-wasm-host";

export const WASM = readFileSync("build/kserve-logger.wasm");
// the same configuration and names as the socket tests
export { CLUSTER, pluginConfig, TYPE_REQUEST, TYPE_RESPONSE } from "../e2e/support.js";
import { CLUSTER, pluginConfig } from "../e2e/support.js";

/** One callout the filter made, as the logger would receive it. */
export interface Callout {
  token: number;
  cluster: string;
  timeoutMs: number;
  /** lowercase name → value (a repeated name: its values joined by ",") */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Exchange {
  path?: string;
  requestHeaders?: [string, string][];
  request?: string | Buffer;
  status?: number;
  responseHeaders?: [string, string][];
  response?: string | Buffer;
}

export class Emulator {
  private constructor(
    readonly host: WasmHost,
    private readonly clock: { now: bigint },
  ) {}

  /** the wall clock the filter reads, in ns */
  get now(): bigint {
    return this.clock.now;
  }

  /** StartPlugin: loads the module and configures it; fails the test if the configuration is refused. */
  static async start(config: object = pluginConfig(), options: WasmHostOptions = {}): Promise<Emulator> {
    const clock = { now: 1_767_225_600_000_000_000n }; // 2026-01-01T00:00:00Z
    const host = await WasmHost.load(WASM, {
      workers: 1, // proxytest emulates one VM: what one Envoy worker runs
      rootId: "kserve-logger",
      failOpen: true,
      callouts: "manual",
      ticks: "manual",
      clock: () => clock.now,
      clusters: { [CLUSTER]: "127.0.0.1:9" },
      nodeMetadata: {
        NAME: "sklearn-iris-predictor-00001-deployment-x2k4q",
        NAMESPACE: "models",
        LABELS: { "serving.kserve.io/inferenceservice": "sklearn-iris", component: "predictor" },
      },
      ...options,
    });
    const res = host.configure(config);
    assert.ok(res.accepted, `configuration refused: ${res.reason ?? ""}\n${host.logText()}`);
    return new Emulator(host, clock);
  }

  /** InitializeHttpContext + CallOnRequestHeaders/Body + CallOnResponseHeaders/Body + CompleteHttpContext. */
  exchange(x: Exchange = {}): HttpStream {
    const s = this.requestOnly(x);
    this.respond(s, x);
    return s;
  }

  /** The request half of an exchange; the stream stays open. */
  requestOnly(x: Exchange = {}): HttpStream {
    const s = this.host.newStream();
    const body = x.request ?? '{"instances":[[6.8,2.8,4.8,1.4]]}';
    s.sendRequestHeaders([
      [":authority", "sklearn-iris.models.example.com"],
      [":path", x.path ?? "/v1/models/sklearn-iris:predict"],
      [":method", "POST"],
      [":scheme", "http"],
      ["content-type", "application/json"],
      ["content-length", String(Buffer.byteLength(body))],
      ...(x.requestHeaders ?? []),
    ]);
    s.sendRequestBody(body, { endOfStream: true });
    return s;
  }

  /** The response half, then the stream's end. */
  respond(s: HttpStream, x: Exchange = {}): void {
    const body = x.response ?? '{"predictions":[1]}';
    s.sendResponseHeaders([
      [":status", String(x.status ?? 200)],
      ["content-type", "application/json"],
      ["content-length", String(Buffer.byteLength(body))],
      ...(x.responseHeaders ?? []),
    ]);
    s.sendResponseBody(body, { endOfStream: true });
    s.complete();
  }

  /** GetHttpCalloutAttributes: the callouts waiting for an answer, oldest first. */
  callouts(): Callout[] {
    return this.host.pendingCallouts().map((c) => ({
      token: c.token,
      cluster: c.cluster,
      timeoutMs: c.timeoutMs,
      headers: c.headers.toObject(),
      body: Buffer.from(c.body),
    }));
  }

  /** The one pending callout (fails unless there is exactly one). */
  only(): Callout {
    const all = this.callouts();
    assert.equal(all.length, 1, `one callout pending, not ${all.length}`);
    return all[0]!;
  }

  /** CallOnHttpCallResponse: the logger answers `status` to a callout (all pending ones when no token). */
  answer(status = 202, token?: number): void {
    for (const t of token === undefined ? this.callouts().map((c) => c.token) : [token])
      this.host.answerCallout(t, { status });
  }

  /** Moves the clock on by `ms`, then fires the root's tick (Envoy's timer would). */
  advance(ms: number): void {
    this.clock.now += BigInt(Math.round(ms * 1e6));
    this.host.tick();
  }

  counter(name: string): number {
    return Number(this.host.metric(`kserve_logger_${name}`) ?? 0n);
  }

  /** attempted, sent, failed, dropped, retried, truncated */
  events(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of ["attempted", "sent", "failed", "dropped", "retried", "truncated"])
      out[k] = this.counter(`events_${k}`);
    return out;
  }

  close(): void {
    this.host.close();
  }
}
