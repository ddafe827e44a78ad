// Numeric values of the proxy-wasm ABI 0.2.x, as in proxy-wasm-cpp-sdk
// proxy_wasm_common.h / proxy_wasm_enums.h (the values Envoy's cpp-host uses).

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;
export type WasmResultCode = (typeof WasmResult)[keyof typeof WasmResult];

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;
export type LogLevelName = keyof typeof LogLevel;
export const LOG_LEVEL_NAMES: LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  NetworkDownstreamData: 2,
  NetworkUpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
export const BUFFER_TYPE_MAX = 8;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const MAP_TYPE_MAX = 7;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export type MetricKind = "counter" | "gauge" | "histogram";

// Return codes of the stream callbacks (proxy_wasm_enums.h).
export const FilterHeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;
export const FilterDataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;
export const FilterTrailersStatus = { Continue: 0, StopIteration: 1 } as const;

// cpp-host src/context.cc convertVmCallResultToFilterHeadersStatus: values > 4 become
// StopAllIterationAndWatermark, and StopIteration(1) too unless Envoy's
// allow_on_headers_stop_iteration is set (Istio does not set it; cpp-host #143).
export function convertHeadersStatus(raw: number, allowStopIteration = false): number {
  if (raw > FilterHeadersStatus.StopAllIterationAndWatermark || raw < 0) {
    return FilterHeadersStatus.StopAllIterationAndWatermark;
  }
  if (raw === FilterHeadersStatus.StopIteration && !allowStopIteration) {
    return FilterHeadersStatus.StopAllIterationAndWatermark;
  }
  return raw;
}

// cpp-host convertVmCallResultToFilterDataStatus: values > 3 become StopIterationNoBuffer.
export function convertDataStatus(raw: number): number {
  if (raw > FilterDataStatus.StopIterationNoBuffer || raw < 0) return FilterDataStatus.StopIterationNoBuffer;
  return raw;
}

// cpp-host convertVmCallResultToFilterTrailersStatus: anything but Continue is StopIteration.
export function convertTrailersStatus(raw: number): number {
  return raw === FilterTrailersStatus.Continue ? FilterTrailersStatus.Continue : FilterTrailersStatus.StopIteration;
}

// Envoy's default per-connection buffer limit (listener per_connection_buffer_limit_bytes).
export const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

// cpp-host include/proxy-wasm/limits.h
export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;
export const WASI_RANDOM_GET_MAX = 64 * 1024;
