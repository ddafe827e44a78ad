// Bundles the CLI into one ESM file: installer/dist/kserve-wasm-logger.mjs, what the package's bin runs
// (node installer/dist/kserve-wasm-logger.mjs --help). The version and the filter module's digests
// are written in (--version).
// ESM bundles of CommonJS dependencies call require(); the banner gives them one. (The shebang
// comes from cli.ts, which esbuild keeps on the first line.) The Dockerfile copies OUTFILE.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
/** where the bundle goes, relative to the repository root */
export const OUTFILE = "installer/dist/kserve-wasm-logger.mjs";

// the same facts installer/src/version.ts reads from a source tree
function buildFacts() {
  const version = JSON.parse(readFileSync(root + "installer/package.json", "utf8")).version;
  const wasm = root + "build/kserve-logger.wasm";
  const moduleSha256 = existsSync(wasm) ? createHash("sha256").update(readFileSync(wasm)).digest("hex") : "";
  const index = root + "build/kserve-logger-oci/index.json";
  const ociDigest = existsSync(index) ? (JSON.parse(readFileSync(index, "utf8")).manifests?.[0]?.digest ?? "") : "";
  return { version, moduleSha256, ociDigest };
}

export async function buildBundle(outfile = root + OUTFILE) {
  await build({
    define: { __KWL_BUILD__: JSON.stringify(buildFacts()) },
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
