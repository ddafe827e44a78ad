// status rows from fixture objects (pure: no API): one row per WasmPlugin of ours, with where
// its ISVC's logger spec lives, and the table a person reads.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { statusRows, statusTable } from "../src/cli/status.js";
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

test("a row per WasmPlugin: ISVC, component, mode, logger, where the logger spec lives, annotations", () => {
  const rows = statusRows(
    [plugin("iris", "predictor", { team: "a" }), plugin("gone", "predictor")],
    new Map([["models/iris", isvc("iris", "spec")]]),
  );
  assert.deepEqual(
    rows.map((r) => [r.inferenceService, r.component, r.mode, r.logger, r.source, r.annotations]),
    [
      ["iris", "predictor", "request", "http://sink.models/", "spec", { team: "a" }],
      ["gone", "predictor", "request", "http://sink.models/", "?", {}],
    ],
  );
});

test("the table: a header and one padded line per row", () => {
  const text = statusTable(statusRows([plugin("iris", "predictor", { team: "a", tier: "gold" })], new Map()));
  const [head, line] = text.split("\n");
  assert.match(head!, /^NAMESPACE\s+INFERENCESERVICE\s+COMPONENT\s+MODE\s+LOGGER\s+SOURCE\s+ANNOTATIONS$/);
  assert.match(line!, /^models\s+iris\s+predictor\s+request\s+http:\/\/sink\.models\/\s+\?\s+team=a,tier=gold$/);
  assert.equal(head!.indexOf("INFERENCESERVICE"), line!.indexOf("iris"), "columns line up");
});
