// Compiles the AssemblyScript fixture filters of proxy-wasm-host/test/fixtures with the
// project's asc (cached by source hash under .tmp/host-fixtures).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO, "proxy-wasm-host/test/fixtures");
export const ASC = path.join(REPO, "node_modules/.bin/asc");
// An empty asconfig: without it asc would pick up the repo's asconfig.json and its entries.
const EMPTY_ASCONFIG = path.join(FIXTURES, "asconfig.json");

/** SDK-based fixtures use the SDK's abort_proc_exit; raw ones have no abort. */
const SDK_FIXTURES = new Set(["random", "sdk-config"]);

export function compileEntry(entry: string, outDir: string, useSdkAbort: boolean): Uint8Array {
  const src = readFileSync(entry);
  const flags = [
    "--runtime",
    "incremental",
    "--use",
    useSdkAbort ? "abort=abort_proc_exit" : "abort=",
    "--exportStart",
    "_initialize",
    "-O1",
  ];
  const hash = createHash("sha256").update(src).update(flags.join(" ")).update(entry).digest("hex").slice(0, 16);
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${path.basename(entry, ".ts")}-${hash}.wasm`);
  if (!existsSync(out)) {
    execFileSync(ASC, [entry, "--config", EMPTY_ASCONFIG, ...flags, "-o", out], {
      cwd: path.dirname(entry),
      stdio: "pipe",
    });
  }
  return readFileSync(out);
}

export function fixture(name: string): Uint8Array {
  return compileEntry(path.join(FIXTURES, `${name}.ts`), path.join(REPO, ".tmp/host-fixtures"), SDK_FIXTURES.has(name));
}

/** Log messages of a host, for assertions. */
export function messages(host: { logs(): { message: string }[] }): string[] {
  return host.logs().map((l) => l.message);
}

export function find(host: { logs(): { message: string }[] }, prefix: string): string[] {
  return messages(host).filter((m) => m.startsWith(prefix));
}
