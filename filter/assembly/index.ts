// Entry point of the Wasm module: the proxy-wasm ABI exports of the SDK and the
// root context registered under the id that WasmPlugin.spec.pluginName must carry.

export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime/assembly";
import { LoggerRoot, ROOT_ID } from "./plugin";

registerRootContext((context_id: u32): RootContext => new LoggerRoot(context_id), ROOT_ID);
