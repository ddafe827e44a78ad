// One logged model pod on loopback: model server ← sidecar (host + compiled
// filter) ← client, with the filter's callouts reaching a CloudEvents sink. Used
// by the demo, the end-to-end tests and the benchmarks.

import { readFileSync } from "node:fs";
import { WasmHost, Sidecar, type SidecarOptions, type WasmHostOptions } from "proxy-wasm-host";
import { CloudEventSink, type SinkOptions } from "./sink.js";
import { ModelServer } from "./model-server.js";

export const WASM_PATH = "build/kserve-logger.wasm";
export const ROOT_ID = "kserve-logger";

// The node metadata Istio gives a KServe predictor pod's sidecar.
export function podMetadata(
  isvc: string,
  namespace: string,
  component = "predictor",
  revision = `${isvc}-${component}-00001`,
): Record<string, unknown> {
  return {
    NAME: `${revision}-deployment-7d9f8c-x2k4q`,
    NAMESPACE: namespace,
    WORKLOAD_NAME: `${revision}-deployment`,
    LABELS: {
      "serving.kserve.io/inferenceservice": isvc,
      component,
      "serving.knative.dev/revision": revision,
      app: `${revision}`,
    },
  };
}

export interface StackOptions {
  pluginConfig: object | string;
  nodeMetadata?: Record<string, unknown>;
  host?: WasmHostOptions;
  sink?: SinkOptions;
  wasm?: Uint8Array;
  sidecar?: Partial<SidecarOptions>;
  /** Start without a sink (the logger's cluster then points at a closed port). */
  noSink?: boolean;
}

export interface Stack {
  model: ModelServer;
  sink: CloudEventSink | null;
  host: WasmHost;
  sidecar: Sidecar;
  /** URL of the sidecar: what clients call. */
  url: string;
  close(): Promise<void>;
}

export function loggerCluster(pluginConfig: object | string): string {
  const cfg = typeof pluginConfig === "string" ? JSON.parse(pluginConfig) : pluginConfig;
  return (cfg as { logger: { cluster: string } }).logger.cluster;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const model = await ModelServer.start();
  const sink = opts.noSink ? null : await CloudEventSink.start(opts.sink);
  const wasm = opts.wasm ?? readFileSync(WASM_PATH);
  const clusterTarget = sink ? sink.address : "127.0.0.1:9"; // port 9 (discard): nothing listens
  const host = await WasmHost.load(wasm, {
    rootId: ROOT_ID,
    failOpen: true,
    nodeMetadata: opts.nodeMetadata,
    ...opts.host,
    clusters: { [loggerCluster(opts.pluginConfig)]: clusterTarget, ...opts.host?.clusters },
  });
  const res = host.configure(opts.pluginConfig);
  if (!res.accepted) {
    host.close();
    await model.close();
    await sink?.close();
    throw new Error(`the filter refused its configuration: ${res.reason ?? ""}\n${host.logText()}`);
  }
  const sidecar = await Sidecar.start(host, { upstream: model.url, ...opts.sidecar });
  return {
    model,
    sink,
    host,
    sidecar,
    url: sidecar.url,
    async close() {
      await sidecar.close();
      await host.idle();
      host.close();
      await model.close();
      await sink?.close();
    },
  };
}
