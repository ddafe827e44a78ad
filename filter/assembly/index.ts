// Entry point of the Wasm module: the proxy-wasm ABI exports of the SDK, the
// module's own malloc (malloc.ts: no zero-fill of host blocks) and the root
// context registered under the id that WasmPlugin.spec.pluginName must carry.

export { malloc, free, proxy_on_memory_allocate } from "./malloc";
export * from "@solo-io/proxy-runtime/assembly/exports";
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime/assembly";
import { LoggerRoot, ROOT_ID } from "./plugin";

registerRootContext((context_id: u32): RootContext => new LoggerRoot(context_id), ROOT_ID);
