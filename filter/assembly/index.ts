export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly";
class R extends RootContext { createContext(id: u32): Context { return new Context(id, this); } }
registerRootContext((id: u32) => new R(id) as RootContext, "kserve-logger");
