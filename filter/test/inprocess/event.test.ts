// What an event says of its exchange: identity from the pod (node metadata) with pluginConfig as
// fallback, the id, the metadata headers and the annotations, as KServe's agent sets them
// (docs/events.md). The compiled filter in-process (emulator.ts).
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { Emulator, pluginConfig } from "./emulator.js";

let emu: Emulator;
afterEach(() => emu?.close());

test("identity: ce-source is the pod, ce-inferenceservicename / ce-namespace / ce-component come from its labels", async () => {
  emu = await Emulator.start(pluginConfig({ inferenceService: "fallback", namespace: "fallback-ns", mode: "request" }));
  emu.exchange();
  const h = emu.only().headers;
  assert.equal(h["ce-source"], "sklearn-iris-predictor-00001-deployment-x2k4q");
  assert.equal(h["ce-inferenceservicename"], "sklearn-iris");
  assert.equal(h["ce-namespace"], "models");
  assert.equal(h["ce-component"], "predictor");
  assert.equal(h["ce-specversion"], "1.0");
});

test("identity without node metadata (a waypoint, a foreign host): pluginConfig's values are used", async () => {
  emu = await Emulator.start(
    pluginConfig({ inferenceService: "iris", namespace: "ns1", source: "http://iris/", mode: "request" }),
    { nodeMetadata: {} },
  );
  emu.exchange();
  const h = emu.only().headers;
  assert.equal(h["ce-inferenceservicename"], "iris");
  assert.equal(h["ce-namespace"], "ns1");
  assert.equal(h["ce-source"], "http://iris/");
});

test("ce-id: the request's Ce-Id when it has one, else one per exchange", async () => {
  emu = await Emulator.start(pluginConfig({ mode: "request" }));
  emu.exchange({ requestHeaders: [["ce-id", "client-chosen-id"]] });
  emu.exchange();
  emu.exchange();
  const [a, b, c] = emu.callouts().map((x) => x.headers["ce-id"]);
  assert.equal(a, "client-chosen-id");
  assert.match(b!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(b, c);
});

test("metadataHeaders: the named request headers go into ce-metadata as KServe's agent writes them; annotations as ce-annotations", async () => {
  emu = await Emulator.start(
    pluginConfig({
      mode: "request",
      metadataHeaders: ["X-Tenant"],
      annotations: { "serving.example.com/team": "a", "a.example.com/tier": "gold" },
    }),
  );
  emu.exchange({
    requestHeaders: [
      ["x-tenant", "acme"],
      ["x-other", "not copied"],
    ],
  });
  const h = emu.only().headers;
  assert.deepEqual(JSON.parse(h["ce-metadata"]!), { "X-Tenant": ["acme"] });
  assert.equal(h["ce-annotations"], '{"a.example.com/tier":"gold","serving.example.com/team":"a"}', "sorted keys");
});
