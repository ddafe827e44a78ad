// Prometheus metrics of `watch`, served at /metrics beside the health endpoints: what the
// controller did (reconciles by result, objects applied and deleted), what it cannot do
// (ISVCs whose logger spec is refused, ISVCs waiting for a retry) and whether it is synced.
// Its own registry (no global state), plus the process metrics prom-client collects.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const PREFIX = "kserve_wasm_logger_";

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: `${PREFIX}reconciles_total`,
    help: "InferenceService reconciles by result: ok (in line or changed), invalid (spec refused, cluster left as it is), error (API call failed, retried)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: `${PREFIX}reconcile_duration_seconds`,
    help: "Time of one InferenceService reconcile, API calls included",
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
    registers: [this.registry],
  });
  readonly objects = new Counter({
    name: `${PREFIX}objects_total`,
    help: "Objects written by the controller, by action (applied, deleted) and kind",
    labelNames: ["action", "kind"] as const,
    registers: [this.registry],
  });
  readonly watchTrouble = new Counter({
    name: `${PREFIX}watch_failures_total`,
    help: "Lists and watches of the API server that failed (what=error, retried with backoff) or found their history compacted (what=gone, relisted), by kind",
    labelNames: ["kind", "what"] as const,
    registers: [this.registry],
  });
  readonly invalid = new Gauge({
    name: `${PREFIX}invalid_inferenceservices`,
    help: "InferenceServices whose logger the installer refuses (see the error log lines); their objects stay as they were",
    registers: [this.registry],
  });
  readonly retrying = new Gauge({
    name: `${PREFIX}retrying_inferenceservices`,
    help: "InferenceServices waiting for a retry after a failed reconcile",
    registers: [this.registry],
  });
  readonly synced = new Gauge({
    name: `${PREFIX}synced`,
    help: "1 once every watched collection has been listed (the /readyz condition), else 0",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
