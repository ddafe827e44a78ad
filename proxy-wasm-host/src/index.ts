// Public API of the Node proxy-wasm host.
export {
  WasmHost,
  type WasmHostOptions,
  type ConfigureResult,
  type ContextCounts,
  HOST_STAT_VM_FAILED,
  HOST_STAT_CALLOUT_RESPONSE_OVER_LIMIT,
} from "./host.js";
export {
  HttpStream,
  type StreamSink,
  type LocalReply,
  type ForwardRecord,
  type ConnectionInfo,
} from "./http-stream.js";
export { HeaderMap, type HeaderInput } from "./header-map.js";
export { LoadError, HostTrap, UnimplementedHostCall } from "./errors.js";
export { formatLog, type LogEntry } from "./log.js";
export { marshalPairs, parsePairs, pairsToStrings } from "./pairs.js";
export {
  WasmResult,
  LogLevel,
  BufferType,
  MapType,
  FilterHeadersStatus,
  FilterDataStatus,
  FilterTrailersStatus,
} from "./abi.js";
export { Sidecar, type SidecarOptions, envoyRequestHeaders } from "./sidecar.js";
export { VmProfile } from "./vm.js";
export type { HttpCallRequest } from "./vm.js";
export type { HttpCallResponse } from "./contexts.js";
