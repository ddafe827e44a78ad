// Stats defined by the module (proxy_define_metric & co.), following Envoy
// source/extensions/common/wasm/context.cc defineMetric/incrementMetric/recordMetric/getMetric
// and cpp-host wasm.h metric ids: low 2 bits are the type (counter 0, gauge 1,
// histogram 2), ids step by 4. Stats live in a scope shared by name, so two ids
// defined with the same name share one value (Envoy counterFromStatName).

import { MetricType, WasmResult, type MetricKind } from "./abi.js";

export interface MetricValue {
  name: string;
  kind: MetricKind;
  value: bigint;
  /** Histogram samples (recordMetric). */
  samples?: bigint[];
}

/** Process-wide (per host) stats scope, shared by every VM of the host. */
export class StatsScope {
  readonly byName = new Map<string, MetricValue>();

  stat(name: string, kind: MetricKind): MetricValue {
    let m = this.byName.get(name);
    if (!m) {
      m = { name, kind, value: 0n, ...(kind === "histogram" ? { samples: [] } : {}) };
      this.byName.set(name, m);
    }
    return m;
  }
}

const U64 = (1n << 64n) - 1n;

/** Per-VM id table (cpp-host WasmBase next*MetricId). */
export class VmMetrics {
  private nextId: [number, number, number] = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram];
  private readonly byId = new Map<number, MetricValue>();
  constructor(private readonly scope: StatsScope) {}

  define(type: number, name: string): { result: number; id?: number } {
    if (type > MetricType.Histogram) return { result: WasmResult.BadArgument };
    const kind: MetricKind = type === 0 ? "counter" : type === 1 ? "gauge" : "histogram";
    const id = this.nextId[type]!;
    this.nextId[type as 0 | 1 | 2] = (id + 4) >>> 0;
    this.byId.set(id, this.scope.stat(name, kind));
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, offset: bigint): number {
    const type = id & 3;
    const m = this.byId.get(id);
    if (type === MetricType.Counter) {
      if (!m) return WasmResult.NotFound;
      if (offset <= 0n) return WasmResult.BadArgument;
      m.value = (m.value + offset) & U64;
      return WasmResult.Ok;
    }
    if (type === MetricType.Gauge) {
      if (!m) return WasmResult.NotFound;
      m.value = (m.value + offset) & U64; // Envoy sub(-offset) for negative offsets
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  record(id: number, value: bigint): number {
    const m = this.byId.get(id);
    if (!m) return WasmResult.NotFound;
    const type = id & 3;
    if (type === MetricType.Counter) m.value = (m.value + value) & U64;
    else if (type === MetricType.Gauge) m.value = value;
    else if (type === MetricType.Histogram) {
      m.samples!.push(value);
      if (m.samples!.length > 10000) m.samples!.shift();
    } else return WasmResult.NotFound;
    return WasmResult.Ok;
  }

  get(id: number): { result: number; value?: bigint } {
    const type = id & 3;
    if (type === MetricType.Histogram || type === 3) return { result: WasmResult.BadArgument };
    const m = this.byId.get(id);
    if (!m) return { result: WasmResult.NotFound };
    return { result: WasmResult.Ok, value: m.value };
  }
}
