// status rows from fixture objects (pure: no API): one row per WasmPlugin of ours, with where
// its ISVC's logger spec lives, and the table a person reads.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { statusNames, statusRows, statusTable } from "../src/cli/status.js";
import { ANNOTATION_LOGGER_URL, LABEL_COMPONENT, LABEL_ISVC } from "../src/wasmplugin.js";

const plugin = (isvc: string, component: string, annotations?: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: {
      name: `${isvc}-${component}-logger`,
      namespace: "models",
      labels: { [LABEL_ISVC]: isvc, [LABEL_COMPONENT]: component },
      annotations: { [ANNOTATION_LOGGER_URL]: "http://sink.models/" },
    },
    spec: { pluginConfig: { mode: "request", annotations } },
  }) as KubernetesObject;

const isvc = (name: string, where: "spec" | "annotation") => ({
  apiVersion: "serving.kserve.io/v1beta1",
  kind: "InferenceService",
  metadata: {
    name,
    namespace: "models",
    annotations:
      where === "annotation"
        ? { "kserve-wasm-logger/logger.predictor": '{"url":"http://sink.models/","mode":"request"}' }
        : {},
  },
  spec: {
    predictor: {
      model: { modelFormat: { name: "sklearn" } },
      ...(where === "spec" ? { logger: { url: "http://sink.models/", mode: "request" } } : {}),
    },
  },
});

const on = () => ({ namespaceEnabled: true, disabledIsvcs: new Set<string>() });

test("a row per logged component, with its state: logged, agent too, pending, disabled, refused, orphaned", () => {
  const refused = isvc("bad", "annotation");
  (refused.metadata.annotations as Record<string, string>)["kserve-wasm-logger/logger.predictor"] =
    '{"url":"ftp://x/"}';
  const rows = statusRows(
    [plugin("iris", "predictor", { team: "a" }), plugin("spec", "predictor"), plugin("gone", "predictor")],
    new Map<string, Record<string, unknown>>([
      ["models/iris", isvc("iris", "annotation")],
      ["models/spec", isvc("spec", "spec")],
      ["models/new", isvc("new", "annotation")],
      ["models/off", isvc("off", "annotation")],
      ["models/bad", refused],
    ]),
    () => ({ namespaceEnabled: true, disabledIsvcs: new Set(["off"]) }),
  );
  assert.deepEqual(
    rows.map((r) => [
      r.inferenceService,
      r.state.replace(/^(refused: [^:]+).*/, "$1"),
      r.mode,
      r.source,
      r.annotations,
    ]),
    [
      ["bad", 'refused: metadata.annotations["kserve-wasm-logger/logger.predictor"].url', "", "annotation", {}],
      ["gone", "orphaned (InferenceService gone)", "request", "?", {}],
      ["iris", "logged", "request", "annotation", { team: "a" }],
      ["new", "pending (not applied yet)", "", "annotation", {}],
      ["off", "disabled (InferenceService)", "", "annotation", {}],
      ["spec", "logged (KServe's agent too)", "request", "spec", {}],
    ],
  );
  const ns = statusRows([], new Map([["models/iris", isvc("iris", "annotation")]]), () => ({
    namespaceEnabled: false,
    disabledIsvcs: new Set(),
  }));
  assert.equal(ns[0]!.state, "disabled (namespace)");
});

test("the table: a header and one padded line per row; wide adds the source and the WasmPlugin; -o name", () => {
  const rows = statusRows(
    [plugin("iris", "predictor", { team: "a", tier: "gold" })],
    new Map([["models/iris", isvc("iris", "annotation")]]),
    on,
  );
  const [head, line] = statusTable(rows).split("\n");
  assert.match(head!, /^NAMESPACE\s+INFERENCESERVICE\s+COMPONENT\s+STATE\s+MODE\s+LOGGER\s+ANNOTATIONS$/);
  assert.match(line!, /^models\s+iris\s+predictor\s+logged\s+request\s+http:\/\/sink\.models\/\s+team=a,tier=gold$/);
  assert.equal(head!.indexOf("STATE"), line!.indexOf("logged"), "columns line up");
  assert.match(statusTable(rows, true).split("\n")[1]!, /\sannotation\s+iris-predictor-logger\s/);
  assert.equal(statusNames(rows), "inferenceservice.serving.kserve.io/iris\n");
});
