// Runs the filter as a local "sidecar":
//   tsx proxy-wasm-host/src/cli.ts --wasm build/kserve-logger.wasm --config cfg.json --listen 15006 \
//     --upstream http://127.0.0.1:8080 --cluster 'outbound|80||x=127.0.0.1:9000' --node-metadata meta.json
// Options: --root-id (default kserve-logger), --plugin-name, --fail-open, --log-level,
// --no-legacy-node, --drain-timeout-ms. SIGHUP re-reads --config and reconfigures
// (as Istio pushing a new pluginConfig).

import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { WasmHost } from "./host.js";
import { Sidecar } from "./sidecar.js";
import type { LogLevelName } from "./abi.js";

const USAGE = `Runs the compiled filter as a local sidecar: client → this host (filter) → upstream, callouts to the mapped clusters.

Usage:
  node --import tsx proxy-wasm-host/src/cli.ts --wasm FILE --upstream URL [flags]

Flags:
  --wasm FILE                 the compiled filter (build/kserve-logger.wasm)
  --upstream URL              where requests go, e.g. http://127.0.0.1:8080
  --config FILE               the pluginConfig (JSON); SIGHUP re-reads it and reconfigures
  --listen PORT               the sidecar's port (default 15006)
  --cluster NAME=HOST:PORT    an Envoy cluster name the filter's callouts use, mapped to an address; repeatable
  --node-metadata FILE        Istio node metadata (JSON) the filter reads its identity from
  --root-id ID                plugin_root_id (default kserve-logger)
  --plugin-name NAME          plugin_name (default: the root id)
  --fail-open                 a trapped VM skips the filter instead of answering 503
  --log-level LEVEL           trace|debug|info|warn|error|critical (default info)
  --no-legacy-node            serve node metadata only under xds.node, as recent Envoy does
  --drain-timeout-ms N        bound on how long a replaced root context may drain
  --concurrency N             workers, each with its own VM (Envoy's --concurrency; default: the cores)
  -h, --help                  this help
`;

function die(msg: string): never {
  console.error(msg);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      help: { type: "boolean", short: "h", default: false },
      wasm: { type: "string" },
      config: { type: "string" },
      listen: { type: "string", default: "15006" },
      upstream: { type: "string" },
      cluster: { type: "string", multiple: true, default: [] },
      "node-metadata": { type: "string" },
      "root-id": { type: "string", default: "kserve-logger" },
      "plugin-name": { type: "string" },
      "fail-open": { type: "boolean", default: false },
      "log-level": { type: "string", default: "info" },
      "no-legacy-node": { type: "boolean", default: false },
      "drain-timeout-ms": { type: "string" },
      concurrency: { type: "string" },
    },
  });
} catch (e) {
  die(`${(e as Error).message}\n\n${USAGE}`);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (!values.wasm || !values.upstream)
  die(
    "usage: cli.ts --wasm FILE --upstream URL [--config FILE] [--listen PORT] [--cluster NAME=HOST:PORT]... [--node-metadata FILE]",
  );

const clusters: Record<string, string> = {};
for (const c of values.cluster ?? []) {
  const i = c.lastIndexOf("=");
  if (i < 0) die(`--cluster ${c}: expected NAME=HOST:PORT`);
  clusters[c.slice(0, i)] = c.slice(i + 1);
}

const readConfig = (): string => (values.config ? readFileSync(values.config, "utf8") : "");

const concurrency = values.concurrency === undefined ? os.availableParallelism() : Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1)
  die(`--concurrency ${values.concurrency}: expected a positive integer`);

const host = await WasmHost.load(readFileSync(values.wasm), {
  workers: concurrency,
  rootId: values["root-id"],
  pluginName: values["plugin-name"],
  nodeMetadata: values["node-metadata"] ? JSON.parse(readFileSync(values["node-metadata"], "utf8")) : {},
  legacyNodeProperty: !values["no-legacy-node"],
  clusters,
  failOpen: values["fail-open"],
  logLevel: values["log-level"] as LogLevelName,
  drainTimeoutMs: values["drain-timeout-ms"] ? Number(values["drain-timeout-ms"]) : undefined,
  echoLogs: true,
});
const r = host.configure(readConfig());
if (!r.accepted) console.error(`configuration refused: ${r.reason}`);

const sidecar = await Sidecar.start(host, { upstream: values.upstream, port: Number(values.listen) });
console.error(`sidecar listening on ${sidecar.url} -> ${values.upstream} (${concurrency} workers)`);

process.on("SIGHUP", () => {
  const res = sidecar.reconfigure(readConfig());
  console.error(
    `reconfigure: ${res.accepted ? (res.unchanged ? "unchanged" : "accepted") : `refused (${res.reason})`}`,
  );
});
const stop = async (): Promise<void> => {
  console.error(`metrics: ${JSON.stringify(host.metrics(), (_k, v) => (typeof v === "bigint" ? Number(v) : v))}`);
  await sidecar.close();
  host.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
