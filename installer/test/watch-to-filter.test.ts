// The whole path of an annotation change, as far as it can run here: `watch`
// sees a new annotation value on the InferenceService and re-applies the
// WasmPlugin; that WasmPlugin's pluginConfig, pushed to the compiled filter in
// the Node host (what istiod does over xDS), yields events with the new value —
// without restarting the "pod" (the host and its sidecar keep running).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import YAML from "yaml";
import { podMetadata, startStack, type Stack } from "../../testbed/stack.js";
import { events, post } from "../../filter/test/e2e/support.js";
import { FakeApiServer } from "./fake-apiserver.js";
import { MODULE_ARGS, ROOT } from "./helpers.js";
import { FAST_RETRY, fakeCluster, waitUntil, watchInProcess } from "./watch-helpers.js";

const ISVC = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
const PLUGIN = "sklearn-iris-predictor-logger";
const KEY = "serving.example.com/model-version";

const api = new FakeApiServer();
let run: ReturnType<typeof watchInProcess>;
let stack: Stack | undefined;

before(async () => {
  await fakeCluster(api, ISVC);
  run = watchInProcess(["-A", ...FAST_RETRY, ...MODULE_ARGS]);
});
after(async () => {
  await stack?.close();
  await run?.stop();
  await api.stop();
});

function pluginConfig(): Record<string, unknown> {
  return api.find("WasmPlugin", "default", PLUGIN)!.spec.pluginConfig;
}

test("a watched annotation change reaches the running filter's events", async () => {
  await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/);
  stack = await startStack({ pluginConfig: pluginConfig(), nodeMetadata: podMetadata("sklearn-iris", "default") });
  await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1]]}', { "ce-id": "before" });
  const first = await events(stack, 2);
  for (const e of first) assert.equal(JSON.parse(e.headers["ce-annotations"]!)[KEY], "v3");

  const cur = api.find("InferenceService", "default", "sklearn-iris")!;
  api.put({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [KEY]: "v4" } } });
  await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(pluginConfig changed: annotations\)$/);
  await waitUntil(
    () => (pluginConfig().annotations as Record<string, string>)[KEY] === "v4",
    "the new value in the WasmPlugin",
  );

  // istiod pushes the changed WasmPlugin to the sidecar: a new configuration, same VM, no restart.
  const pushed = stack.sidecar.reconfigure(pluginConfig());
  assert.equal(pushed.accepted, true, stack.host.logText());
  await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[2]]}', { "ce-id": "after" });
  const all = await events(stack, 4);
  for (const e of all.filter((x) => x.event.id === "after"))
    assert.equal(JSON.parse(e.headers["ce-annotations"]!)[KEY], "v4");
  for (const e of all.filter((x) => x.event.id === "before"))
    assert.equal(JSON.parse(e.headers["ce-annotations"]!)[KEY], "v3");
});
