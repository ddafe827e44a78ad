// The functions Envoy registers for a module and their exact wasm32 signatures
// (cpp-host include/proxy-wasm/exports.h, src/wasm.cc registerCallbacks; Envoy
// source/extensions/common/wasm/wasm.cc adds envoy_resolve_dns), and the module
// exports Envoy looks up (cpp-host include/proxy-wasm/wasm.h FOR_ALL_MODULE_FUNCTIONS).
// `Word` is i32 on wasm32; int64_t/uint64_t parameters are i64.

import type { FuncSig, ValType } from "./wasm-binary.js";

export type AbiVersion = "0_2_0" | "0_2_1";

function sig(spec: string): FuncSig {
  // "iiI>i": params before '>', results after; i=i32, I=i64.
  const [p = "", r = ""] = spec.split(">");
  const t = (c: string): ValType => (c === "I" ? "i64" : "i32");
  return { params: [...p].map(t), results: [...r].map(t) };
}

// Common to ABI 0.2.0 and 0.2.1 (FOR_ALL_HOST_FUNCTIONS + continue_stream/close_stream).
const PROXY_COMMON: Record<string, string> = {
  proxy_log: "iii>i",
  proxy_get_status: "iii>i",
  proxy_set_property: "iiii>i",
  proxy_get_property: "iiii>i",
  proxy_send_local_response: "iiiiiiii>i",
  proxy_get_shared_data: "iiiii>i",
  proxy_set_shared_data: "iiiii>i",
  proxy_register_shared_queue: "iii>i",
  proxy_resolve_shared_queue: "iiiii>i",
  proxy_dequeue_shared_queue: "iii>i",
  proxy_enqueue_shared_queue: "iii>i",
  proxy_get_header_map_value: "iiiii>i",
  proxy_add_header_map_value: "iiiii>i",
  proxy_replace_header_map_value: "iiiii>i",
  proxy_remove_header_map_value: "iii>i",
  proxy_get_header_map_pairs: "iii>i",
  proxy_set_header_map_pairs: "iii>i",
  proxy_get_header_map_size: "ii>i",
  proxy_get_buffer_status: "iii>i",
  proxy_get_buffer_bytes: "iiiii>i",
  proxy_set_buffer_bytes: "iiiii>i",
  proxy_http_call: "iiiiiiiiii>i",
  proxy_grpc_call: "iiiiiiiiiiii>i",
  proxy_grpc_stream: "iiiiiiiii>i",
  proxy_grpc_close: "i>i",
  proxy_grpc_cancel: "i>i",
  proxy_grpc_send: "iiii>i",
  proxy_set_tick_period_milliseconds: "i>i",
  proxy_get_current_time_nanoseconds: "i>i",
  proxy_define_metric: "iiii>i",
  proxy_increment_metric: "iI>i",
  proxy_record_metric: "iI>i",
  proxy_get_metric: "ii>i",
  proxy_set_effective_context: "i>i",
  proxy_done: ">i",
  proxy_call_foreign_function: "iiiiii>i",
  proxy_continue_stream: "i>i",
  proxy_close_stream: "i>i",
};

const ENV_OTHER: Record<string, string> = {
  pthread_equal: "ii>i",
  emscripten_notify_memory_growth: "i>",
  envoy_resolve_dns: "iii>i",
};

// WASI preview1 signatures; Envoy registers all of them under both module names.
export const WASI_SIGNATURES: Record<string, string> = {
  fd_write: "iiii>i",
  fd_read: "iiii>i",
  fd_seek: "iIii>i",
  fd_close: "i>i",
  fd_fdstat_get: "ii>i",
  fd_fdstat_set_flags: "ii>i",
  fd_fdstat_set_rights: "iII>i",
  environ_get: "ii>i",
  environ_sizes_get: "ii>i",
  args_get: "ii>i",
  args_sizes_get: "ii>i",
  clock_time_get: "iIi>i",
  clock_res_get: "ii>i",
  fd_advise: "iIIi>i",
  fd_allocate: "iII>i",
  fd_datasync: "i>i",
  fd_filestat_set_size: "iI>i",
  fd_filestat_set_times: "iIIi>i",
  fd_pread: "iiiIi>i",
  fd_pwrite: "iiiIi>i",
  fd_readdir: "iiiIi>i",
  fd_renumber: "ii>i",
  fd_sync: "i>i",
  fd_tell: "ii>i",
  path_create_directory: "iii>i",
  path_filestat_set_times: "iiiiIIi>i",
  path_link: "iiiiiii>i",
  path_readlink: "iiiiii>i",
  path_remove_directory: "iii>i",
  path_rename: "iiiiii>i",
  path_symlink: "iiiii>i",
  path_unlink_file: "iii>i",
  sock_accept: "iii>i",
  sock_recv: "iiiiii>i",
  sock_send: "iiiii>i",
  sock_shutdown: "ii>i",
  random_get: "ii>i",
  sched_yield: ">i",
  poll_oneoff: "iiii>i",
  proc_exit: "i>",
  path_open: "iiiiiIIii>i",
  fd_prestat_get: "ii>i",
  fd_prestat_dir_name: "iii>i",
  path_filestat_get: "iiiii>i",
  fd_filestat_get: "ii>i",
};

export const WASI_MODULES = ["wasi_unstable", "wasi_snapshot_preview1"] as const;

/** Every import Envoy provides for a module of the given ABI, keyed "module.name". */
export function hostImportSignatures(abi: AbiVersion): Map<string, FuncSig> {
  const m = new Map<string, FuncSig>();
  for (const [n, s] of Object.entries(PROXY_COMMON)) m.set(`env.${n}`, sig(s));
  if (abi === "0_2_1") m.set("env.proxy_get_log_level", sig("i>i"));
  for (const [n, s] of Object.entries(ENV_OTHER)) m.set(`env.${n}`, sig(s));
  for (const mod of WASI_MODULES) for (const [n, s] of Object.entries(WASI_SIGNATURES)) m.set(`${mod}.${n}`, sig(s));
  return m;
}

/** Exports Envoy calls, with the signature it requires when present ("Bad function signature for: X"). */
export const MODULE_EXPORT_SIGNATURES: Record<string, FuncSig> = Object.fromEntries(
  Object.entries({
    _initialize: ">",
    _start: ">",
    main: "ii>i",
    __main_void: ">i",
    malloc: "i>i",
    proxy_on_memory_allocate: "i>i",
    proxy_on_context_create: "ii>",
    proxy_on_vm_start: "ii>i",
    proxy_validate_configuration: "ii>i",
    proxy_on_configure: "ii>i",
    proxy_on_tick: "i>",
    proxy_on_queue_ready: "ii>",
    proxy_on_foreign_function: "iii>",
    proxy_on_request_headers: "iii>i",
    proxy_on_request_body: "iii>i",
    proxy_on_request_trailers: "ii>i",
    proxy_on_request_metadata: "ii>i",
    proxy_on_response_headers: "iii>i",
    proxy_on_response_body: "iii>i",
    proxy_on_response_trailers: "ii>i",
    proxy_on_response_metadata: "ii>i",
    proxy_on_http_call_response: "iiiii>",
    proxy_on_grpc_receive_initial_metadata: "iii>",
    proxy_on_grpc_receive_trailing_metadata: "iii>",
    proxy_on_grpc_receive: "iii>",
    proxy_on_grpc_close: "iii>",
    proxy_on_done: "i>i",
    proxy_on_log: "i>",
    proxy_on_delete: "i>",
  }).map(([k, v]) => [k, sig(v)]),
);
