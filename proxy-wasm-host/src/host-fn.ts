// The wrapper every host function is imported through: the restricted-callback check
// (cpp-host: only proxy_log and WASI during initialization and malloc) and, while the VM is
// profiled, its time and a count per name. Wrappers take the function's own number of
// parameters instead of `...args`: a rest/spread wrapper allocates an array on every call,
// which made the Node host's side of each host call cost more than Envoy's C++ trampoline.

import { HostTrap } from "./errors.js";
import type { WasmVm } from "./vm.js";

export type HostFn = (...args: never[]) => number | void;
type Fn = (...args: number[]) => number | void;

export function wrapHostFn(vm: WasmVm, name: string, f: HostFn, restricted: boolean): HostFn {
  const g = f as unknown as Fn;
  const enter = (): void => {
    if (restricted && vm.restricted) {
      throw new HostTrap(
        `restricted_callback: ${name} called during VM initialization or malloc (only proxy_log and WASI are allowed)`,
      );
    }
  };
  // One null check when not profiled; the profiled path is the slow one on purpose.
  const timed = (call: () => number | void): number | void => {
    const p = vm.profile;
    if (p === null) return call();
    const t0 = process.hrtime.bigint();
    try {
      return call();
    } finally {
      p.hostNs += process.hrtime.bigint() - t0;
      p.countHostCall(name);
    }
  };
  // Ten fixed parameters cover every proxy-wasm call but the gRPC ones; V8 passes the
  // missing ones as undefined, which functions of fewer parameters never read.
  const w: Fn =
    g.length <= 10
      ? (a, b, c, d, e, h, i, j, k, l) => (
          enter(),
          vm.profile === null ? g(a, b, c, d, e, h, i, j, k, l) : timed(() => g(a, b, c, d, e, h, i, j, k, l))
        )
      : (...args: number[]) => (enter(), vm.profile === null ? g(...args) : timed(() => g(...args)));
  return w as unknown as HostFn;
}
