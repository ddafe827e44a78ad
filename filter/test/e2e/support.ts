// Shared pieces of the end-to-end tests: every test drives the compiled filter
// (build/kserve-logger.wasm) through the Node host over loopback sockets.

import type { ReceivedEvent } from "../../../testbed/sink.js";
import type { Stack } from "../../../testbed/stack.js";

export const CLUSTER = "outbound|80||message-dumper.models.svc.cluster.local";
export const TYPE_REQUEST = "org.kubeflow.serving.inference.request";
export const TYPE_RESPONSE = "org.kubeflow.serving.inference.response";
// A guard against hangs only, never a performance assertion.
export const DEADLINE_MS = 30_000;

export function pluginConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inferenceService: "sklearn-iris",
    namespace: "models",
    component: "predictor",
    logger: { cluster: CLUSTER, authority: "message-dumper.models.svc.cluster.local", path: "/", timeoutMs: 5000 },
    ...extra,
  };
}

export function withDeadline<T>(p: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
    }),
  ]);
}

export async function events(stack: Stack, n: number): Promise<ReceivedEvent[]> {
  return withDeadline(stack.sink!.waitFor(n), `${n} events (have ${stack.sink!.events.length})`);
}

export function counters(stack: Stack): Record<string, number> {
  const m = stack.host.metrics();
  const get = (k: string): number => Number(m[`kserve_logger_events_${k}`] ?? 0n);
  return {
    attempted: get("attempted"),
    sent: get("sent"),
    failed: get("failed"),
    dropped: get("dropped"),
    retried: get("retried"),
    truncated: get("truncated"),
  };
}

// Waits until every event has settled (no callout in flight, no retry waiting:
// sent + failed + dropped has caught up with attempted), then returns the counters.
export async function settledCounters(stack: Stack, attempted?: number): Promise<Record<string, number>> {
  const settled = async (): Promise<Record<string, number>> => {
    for (;;) {
      await stack.host.idle();
      const c = counters(stack);
      if (c.sent + c.failed + c.dropped >= c.attempted && (attempted === undefined || c.attempted >= attempted))
        return c;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return withDeadline(settled(), `the filter to settle its events (${JSON.stringify(counters(stack))})`);
}

export function byType(evs: ReceivedEvent[], type: string): ReceivedEvent[] {
  return evs.filter((e) => e.event.type === type);
}

export function ext(e: ReceivedEvent, name: string): unknown {
  return (e.event as unknown as Record<string, unknown>)[name];
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: payload,
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}
