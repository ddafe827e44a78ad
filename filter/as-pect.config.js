// as-pect unit tests of the filter's pure modules (filter/assembly/__tests__).
// Code that touches the SDK imports env.proxy_* and WASI functions; each is
// stubbed here from the test binary's own import list (a JS Proxy does not
// survive createImports). proxy_get_property answers NotFound, as Envoy does
// for an absent property; everything else answers Ok.
export default {
  entries: ["filter/assembly/__tests__/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const stubs = { env: { memory }, wasi_unstable: {}, wasi_snapshot_preview1: {} };
    for (const imp of WebAssembly.Module.imports(new WebAssembly.Module(binary))) {
      if (
        imp.kind !== "function" ||
        imp.module === "__asCovers" ||
        imp.module === "__aspect" ||
        imp.module === "rtrace"
      )
        continue;
      if (imp.module === "env" && (imp.name === "abort" || imp.name === "trace" || imp.name === "seed")) continue;
      stubs[imp.module] ??= {};
      stubs[imp.module][imp.name] ??= imp.name === "proxy_get_property" ? () => 1 : () => 0;
    }
    return instantiate(binary, createImports(stubs));
  },
  outputBinary: false,
};
