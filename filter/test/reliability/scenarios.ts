// Reliability scenarios: inference traffic through the sidecar (compiled filter
// in the Node host) while the logger misbehaves or the configuration changes.
// Each returns the figures docs/reliability.md reports; the tests assert on the
// same figures (never on timings).

import type { SinkBehaviour } from "../../../testbed/sink.js";
import { startStack, type Stack } from "../../../testbed/stack.js";
import { pluginConfig, post, settledCounters } from "../e2e/support.js";

export interface Figures {
  scenario: string;
  requests: number;
  inferenceFailed: number;
  bodiesAltered: number;
  attempted: number;
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  /** attempted - (sent + failed + dropped): must be 0 once settled. */
  unaccounted: number;
  received: number;
  wasmStartBytes: number;
  /** After the first half of the requests: the working set reached under this load. */
  wasmHalfBytes: number;
  wasmEndBytes: number;
  note: string;
}

export interface Scenario {
  name: string;
  note: string;
  config?: Record<string, unknown>;
  behaviour?: SinkBehaviour;
  noSink?: boolean;
  /** Called before request i is sent (changes the logger or the configuration mid-run). */
  step?: (stack: Stack, i: number, n: number) => void;
}

// What the scenarios' caps (256 callouts in flight, 256 waiting for a retry, small bodies)
// allow linear memory to reach: a high-water mark, never given back.
export const WASM_BOUND = 1024 * 1024;

const FAST_RETRY = { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 40 };

export const SCENARIOS: Scenario[] = [
  { name: "logger up", note: "baseline" },
  { name: "logger down for the whole run", note: "connection refused; retried, then failed", noSink: true },
  {
    name: "logger flapping (reset / 200 every 25 requests)",
    note: "retries recover what the up phases can take",
    step: (s, i) => {
      if (i % 25 === 0) s.sink!.setBehaviour((i / 25) % 2 === 0 ? { kind: "reset" } : { kind: "ok" });
    },
  },
  {
    name: "logger slower than the timeout (400 ms vs 100 ms)",
    note: "504 from the callout timeout",
    behaviour: { kind: "delay", ms: 400 },
    config: { logger: { timeoutMs: 100 } },
  },
  { name: "logger answering 500", note: "retried, then failed", behaviour: { kind: "status", status: 500 } },
  { name: "logger answering 503", note: "retried, then failed", behaviour: { kind: "status", status: 503 } },
  { name: "logger resetting connections", note: "callout reset (0,0,0)", behaviour: { kind: "reset" } },
  { name: "logger answering garbage", note: "not HTTP", behaviour: { kind: "garbage" } },
  {
    name: "reconfiguration under load (every 50 requests)",
    note: "events lost to reconfiguration = attempted − sent",
    behaviour: { kind: "delay", ms: 20 },
    step: (s, i) => {
      if (i > 0 && i % 50 === 0)
        s.sidecar.reconfigure(scenarioConfig({ annotations: { "serving.example.com/model-version": `v${i}` } }));
    },
  },
  {
    name: "configuration refused mid-run",
    note: "the previous configuration stays in force",
    step: (s, i, n) => {
      if (i === Math.floor(n / 2)) s.sidecar.reconfigure(scenarioConfig({ mode: "sometimes" }));
    },
  },
];

export function scenarioConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = pluginConfig({
    retry: FAST_RETRY,
    limits: { maxInflightCallouts: 256 },
    annotations: { "serving.example.com/model-version": "v0" },
  });
  const logger = { ...(base.logger as object), ...((extra.logger as object | undefined) ?? {}) };
  return { ...base, ...extra, logger };
}

export async function runScenario(sc: Scenario, requests = 400, concurrency = 16): Promise<Figures> {
  const stack = await startStack({
    pluginConfig: scenarioConfig(sc.config),
    noSink: sc.noSink,
    sink: sc.behaviour ? { behaviour: sc.behaviour } : undefined,
  });
  try {
    // Warm up so that the memory figure at start is the working set, not the empty VM.
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[0]]}');
    await settledCounters(stack);
    const wasmStart = stack.host.memoryBytes;
    const warm = countersOf(await settledCounters(stack));
    let failed = 0,
      altered = 0,
      next = 0;
    const half = Math.floor(requests / 2);
    let wasmHalf = 0;
    const wave = (until: number): Promise<unknown> =>
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < until) {
            const i = next++;
            sc.step?.(stack, i, requests);
            const body = JSON.stringify({ instances: [[i, 2, 3]] });
            try {
              const res = await post(`${stack.url}/v1/models/m:predict`, body);
              if (res.status !== 200) failed++;
              else if (res.body.toString() !== JSON.stringify({ predictions: [i + 5] })) altered++;
            } catch {
              failed++;
            }
          }
        }),
      );
    await wave(half);
    await settledCounters(stack);
    wasmHalf = stack.host.memoryBytes;
    await wave(requests);
    const c = countersOf(await settledCounters(stack, warm.attempted + 2 * requests));
    const d = (k: keyof typeof c): number => c[k] - warm[k];
    return {
      scenario: sc.name,
      requests,
      inferenceFailed: failed,
      bodiesAltered: altered,
      attempted: d("attempted"),
      sent: d("sent"),
      failed: d("failed"),
      retried: d("retried"),
      dropped: d("dropped"),
      unaccounted: d("attempted") - d("sent") - d("failed") - d("dropped"),
      received: stack.sink ? stack.sink.events.length - warm.sent : 0,
      wasmStartBytes: wasmStart,
      wasmHalfBytes: wasmHalf,
      wasmEndBytes: stack.host.memoryBytes,
      note: sc.note,
    };
  } finally {
    await stack.close();
  }
}

function countersOf(c: Record<string, number>): {
  attempted: number;
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
} {
  return { attempted: c.attempted!, sent: c.sent!, failed: c.failed!, retried: c.retried!, dropped: c.dropped! };
}
