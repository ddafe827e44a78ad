// WASI functions as Envoy provides them (cpp-host src/exports.cc wasi_unstable_*):
// fd_write to fd 1/2 becomes an info/error log line, clock_time_get realtime and
// monotonic, random_get (<= 64 KiB), environ_* from the VM's environment variables,
// args_* empty, proc_exit only logs (the module then hits `unreachable`), the
// rest are registered stubs (ENOSYS-like codes as Envoy returns) so that linking
// succeeds exactly as in Envoy.

import { randomFillSync } from "node:crypto";
import { WASI_RANDOM_GET_MAX } from "./abi.js";
import { WASI_SIGNATURES } from "./signatures.js";
import { monotonicNs } from "./clock.js";
import { wrapHostFn } from "./host-fn.js";
import type { WasmVm } from "./vm.js";

const ESUCCESS = 0,
  EBADF = 8,
  EFAULT = 21,
  EINVAL = 28,
  ENOENT = 44,
  ENOSYS = 52,
  ENOTSUP = 58;

export function makeWasiImports(vm: WasmVm): Record<string, (...args: never[]) => number | void> {
  const ctxId = (): number => vm.contextOrNull()?.id ?? 0;
  const mem = () => vm.memory;
  const envStrings = (): Buffer[] => vm.env.envVars.map(([k, v]) => Buffer.from(`${k}=${v}\0`, "utf8"));

  const impl: Record<string, (...args: never[]) => number | void> = {
    fd_write: ((fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number => {
      const level = fd === 1 ? 2 : fd === 2 ? 4 : -1;
      if (level < 0) return EBADF;
      const parts: Buffer[] = [];
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const base = mem().readU32(iovs + i * 8);
        const len = mem().readU32(iovs + i * 8 + 4);
        if (base === null || len === null) return EFAULT;
        if (len === 0) continue;
        const b = mem().read(base, len);
        if (!b) return EFAULT;
        parts.push(b);
      }
      const all = Buffer.concat(parts);
      let s = all.toString("utf8");
      if (s.endsWith("\n")) s = s.slice(0, -1);
      if (all.length > 0) vm.log(level, s, ctxId());
      return mem().writeU32(nwrittenPtr, all.length) ? ESUCCESS : EFAULT;
    }) as never,
    fd_read: (() => ENOSYS) as never,
    fd_seek: (() => {
      vm.log(0, "wasi_unstable fd_seek", ctxId());
      return ESUCCESS;
    }) as never,
    fd_close: (() => {
      vm.log(0, "wasi_unstable fd_close", ctxId());
      return ESUCCESS;
    }) as never,
    fd_fdstat_get: ((fd: number, statOut: number): number => {
      if (fd !== 1 && fd !== 2) return EBADF;
      const b = Buffer.alloc(24);
      b.writeBigUInt64LE(64n, 8); // fs_rights_base = FD_WRITE
      mem().write(statOut, b);
      return ESUCCESS;
    }) as never,
    environ_get: ((arrayPtr: number, bufPtr: number): number => {
      let a = arrayPtr >>> 0,
        b = bufPtr >>> 0;
      for (const s of envStrings()) {
        if (!mem().writeU32(a, b) || !mem().write(b, s)) return EFAULT;
        a += 4;
        b += s.length;
      }
      return ESUCCESS;
    }) as never,
    environ_sizes_get: ((countPtr: number, sizePtr: number): number => {
      const strs = envStrings();
      const size = strs.reduce((n, s) => n + s.length, 0);
      return mem().writeU32(countPtr, strs.length) && mem().writeU32(sizePtr, size) ? ESUCCESS : EFAULT;
    }) as never,
    args_get: (() => ESUCCESS) as never,
    args_sizes_get: ((argcPtr: number, bufSizePtr: number): number =>
      mem().writeU32(argcPtr, 0) && mem().writeU32(bufSizePtr, 0) ? ESUCCESS : EFAULT) as never,
    clock_time_get: ((id: number, _precision: bigint, resultPtr: number): number => {
      let ns: bigint;
      if (id === 0) ns = vm.env.nowNs();
      else if (id === 1) ns = monotonicNs();
      else return ENOTSUP;
      return mem().writeU64(resultPtr, ns) ? ESUCCESS : EFAULT;
    }) as never,
    random_get: ((ptr: number, len: number): number => {
      len >>>= 0;
      if (len > WASI_RANDOM_GET_MAX) return EINVAL;
      if (len === 0) return ESUCCESS;
      const b = Buffer.alloc(len);
      randomFillSync(b);
      return mem().write(ptr, b) ? ESUCCESS : EFAULT;
    }) as never,
    proc_exit: (() => {
      // Envoy logs and returns; AssemblyScript's abort then reaches `unreachable` and traps.
      vm.log(4, "wasi_unstable proc_exit", ctxId());
    }) as never,
    path_open: (() => ENOENT) as never,
    fd_prestat_get: (() => EBADF) as never,
    fd_prestat_dir_name: (() => ENOSYS) as never,
  };
  const out: Record<string, (...args: never[]) => number | void> = {};
  for (const name of Object.keys(WASI_SIGNATURES)) {
    out[name] = wrapHostFn(vm, `wasi.${name}`, impl[name] ?? ((() => ENOSYS) as never), false);
  }
  return out;
}
