// Envoy stats of the filter (Envoy prefixes them with `wasmcustom.`). They let
// an operator check sent + failed + dropped = attempted.

import * as imports from "@solo-io/proxy-runtime/assembly/imports";

const COUNTER: i32 = 0;
const GAUGE: i32 = 1;
const ID_OUT = memory.data(4);

function define(type: i32, name: string): u32 {
  const n = String.UTF8.encode(name);
  store<u32>(ID_OUT, 0);
  if (imports.proxy_define_metric(type, changetype<usize>(n), n.byteLength, ID_OUT) != 0) return 0xffffffff;
  return load<u32>(ID_OUT);
}

export class Metrics {
  attempted: u32 = define(COUNTER, "kserve_logger_events_attempted");
  sent: u32 = define(COUNTER, "kserve_logger_events_sent");
  failed: u32 = define(COUNTER, "kserve_logger_events_failed");
  dropped: u32 = define(COUNTER, "kserve_logger_events_dropped");
  truncated: u32 = define(COUNTER, "kserve_logger_events_truncated");
  retried: u32 = define(COUNTER, "kserve_logger_events_retried");
  configRejected: u32 = define(COUNTER, "kserve_logger_config_rejected");
  // Events cut short (body or metadata) or not built at all because limits.maxHeldBytes was full.
  overBudget: u32 = define(COUNTER, "kserve_logger_events_over_budget");
  // Bodies left out because they could not be redacted (not JSON, truncated, over limits.maxRedactBytes).
  redactionOmitted: u32 = define(COUNTER, "kserve_logger_redaction_omitted");
  // Events left out by sampling (sampling.rate, sampling.header): not attempted, not dropped.
  sampledOut: u32 = define(COUNTER, "kserve_logger_events_sampled_out");
  inflight: u32 = define(GAUGE, "kserve_logger_callouts_inflight");
  held: u32 = define(GAUGE, "kserve_logger_held_bytes");

  inc(id: u32): void {
    this.add(id, 1);
  }

  add(id: u32, n: i64): void {
    if (id != 0xffffffff && n > 0) imports.proxy_increment_metric(id, n);
  }

  record(id: u32, v: u64): void {
    if (id != 0xffffffff) imports.proxy_record_metric(id, v);
  }
}

// Defined once per VM, on first use (never at module start, where Envoy allows
// no host calls but logging).
let instance: Metrics | null = null;

export function metrics(): Metrics {
  let m = instance;
  if (m === null) {
    m = new Metrics();
    instance = m;
  }
  return m;
}
