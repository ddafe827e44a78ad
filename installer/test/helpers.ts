// Runs the CLI in-process, capturing what it writes and its exit code, against the cluster the
// test chose with useCluster (the CLI takes it as a dependency: Io.connect).
import { main, type Connect } from "../src/cli.js";

let cluster: Connect | undefined;
/** The cluster runCli and watchInProcess reach from now on (undefined: the kubeconfig, as the CLI does). */
export function useCluster(c: Connect | undefined): void {
  cluster = c;
}
export function currentCluster(): Connect | undefined {
  return cluster;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), connect: cluster });
  return { code, stdout, stderr };
}

export const MODULE_ARGS = [
  "--module-url",
  "oci://ghcr.io/example/kserve-wasm-logger:0.1.0",
  "--module-sha256",
  "5b1e2c6f0d7a4e3b9c8d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e",
];

export const ROOT = new URL("../../", import.meta.url).pathname;
