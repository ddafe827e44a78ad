// Minimal reader of a Wasm binary's type, import, function and export sections.
// JS's WebAssembly.Module.imports() gives names but no types; Envoy's V8 runtime
// (cpp-host src/v8/v8.cc link / getModuleFunctionImpl) checks exact signatures,
// so the host reads them from the binary itself.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FuncSig {
  params: ValType[];
  results: ValType[];
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  sig?: FuncSig;
}

export interface ExportEntry {
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  index: number;
  sig?: FuncSig;
}

export interface WasmBinaryInfo {
  imports: ImportEntry[];
  exports: ExportEntry[];
  hasStartSection: boolean;
}

export class WasmBinaryError extends Error {}

const VALTYPES: Record<number, ValType> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};
const KINDS = ["function", "table", "memory", "global", "tag"] as const;

export function sigToString(sig: FuncSig): string {
  return `(${sig.params.join(",")})->(${sig.results.join(",")})`;
}

export function sameSig(a: FuncSig, b: FuncSig): boolean {
  return sigToString(a) === sigToString(b);
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new WasmBinaryError("unexpected end of section");
    return this.buf[this.pos++]!;
  }
  u32(): number {
    let result = 0,
      shift = 0,
      b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new WasmBinaryError("name past end of section");
    const s = Buffer.from(this.buf.subarray(this.pos, this.pos + len)).toString("utf8");
    this.pos += len;
    return s;
  }
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new WasmBinaryError(`unknown value type 0x${b.toString(16)}`);
    return t;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function isWasmBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

export function readWasmBinary(bytes: Uint8Array): WasmBinaryInfo {
  if (!isWasmBinary(bytes)) throw new WasmBinaryError("not a Wasm binary (bad magic)");
  const top = new Reader(bytes);
  top.pos = 8;
  const types: FuncSig[] = [];
  const imports: ImportEntry[] = [];
  const importedFuncTypes: number[] = [];
  const funcTypes: number[] = [];
  const exports: ExportEntry[] = [];
  let hasStartSection = false;
  while (top.pos < bytes.length) {
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    const r = new Reader(bytes, start + size);
    r.pos = start;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) throw new WasmBinaryError(`unsupported type form 0x${form.toString(16)}`);
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kindByte = r.byte();
        const kind = KINDS[kindByte];
        if (!kind) throw new WasmBinaryError(`unknown import kind ${kindByte}`);
        const entry: ImportEntry = { module, name, kind };
        if (kind === "function") {
          const ti = r.u32();
          entry.sig = types[ti];
          importedFuncTypes.push(ti);
        } else if (kind === "table") {
          r.byte();
          r.limits();
        } else if (kind === "memory") {
          r.limits();
        } else if (kind === "global") {
          r.valtype();
          r.byte();
        } else {
          r.byte();
          r.u32();
        }
        imports.push(entry);
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const name = r.name();
        const kind = KINDS[r.byte()] ?? "function";
        const index = r.u32();
        exports.push({ name, kind, index });
      }
    } else if (id === 8) {
      hasStartSection = true;
    }
    top.pos = start + size;
  }
  for (const e of exports) {
    if (e.kind !== "function") continue;
    const ti =
      e.index < importedFuncTypes.length ? importedFuncTypes[e.index] : funcTypes[e.index - importedFuncTypes.length];
    if (ti !== undefined) e.sig = types[ti];
  }
  return { imports, exports, hasStartSection };
}
