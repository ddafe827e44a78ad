// Child process of the side-by-side benchmark (bench/agent.ts): our sidecar — the Node host
// with the compiled filter, or the same proxy with no filter (passThrough) — in a process of
// its own, so that its CPU is read from /proc as the agent's is. Argument: JSON {wasm, model,
// sink, passThrough, workers}. Prints {"url"} and runs until stdin closes.

import { readFileSync } from "node:fs";
import { Sidecar, WasmHost } from "proxy-wasm-host";
import { BENCH_NODE_METADATA, CLUSTER, ROOT_ID, pluginConfig } from "./lib.js";

interface Args {
  wasm: string;
  model: string;
  sink: string;
  passThrough: boolean;
  workers: number;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const host = await WasmHost.load(readFileSync(a.wasm), {
  workers: a.workers,
  rootId: ROOT_ID,
  failOpen: true,
  nodeMetadata: BENCH_NODE_METADATA,
  clusters: { [CLUSTER]: a.sink },
});
const r = host.configure(pluginConfig());
if (!r.accepted) throw new Error(`configuration refused: ${r.reason ?? ""}`);
const sc = await Sidecar.start(host, { upstream: a.model, passThrough: a.passThrough });
process.stdout.write(JSON.stringify({ url: sc.url }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => {
  void sc.close().then(() => {
    host.close();
    process.exit(0);
  });
});
