// Bundles the CLI into one ESM file: installer/dist/kserve-wasm-logger.mjs, what the package's bin runs
// (node installer/dist/kserve-wasm-logger.mjs --help). The version and the filter module's digests
// are written in (--version).
// ESM bundles of CommonJS dependencies call require(); the banner gives them one. (The shebang
// comes from cli.ts, which esbuild keeps on the first line.) The Dockerfile copies OUTFILE.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { readBuildInfo } from "./build-info.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
/** where the bundle goes, relative to the repository root */
export const OUTFILE = "installer/dist/kserve-wasm-logger.mjs";

export async function buildBundle(outfile = root + OUTFILE) {
  await build({
    define: { __KWL_BUILD__: JSON.stringify(readBuildInfo(root)) },
    entryPoints: [root + "installer/src/cli.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: false,
    legalComments: "none",
    banner: {
      js: [
        'import { createRequire as __kwlCreateRequire } from "node:module";',
        "const require = __kwlCreateRequire(import.meta.url);",
      ].join("\n"),
    },
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildBundle();
