// Batch mode: events gathered into application/cloudevents-batch+json requests,
// each member a valid structured-mode CloudEvent carrying what binary mode carries.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { podMetadata, startStack } from "../../../testbed/stack.js";
import { byType, events, pluginConfig, post, settledCounters, TYPE_REQUEST, TYPE_RESPONSE } from "./support.js";

test("batch.maxEvents: events leave together as one batch request, each a valid CloudEvent with the same attributes as binary mode", async () => {
  const annotations = { "serving.example.com/tenant": 'Zürich, "q"\n', "serving.example.com/model-version": "v3" };
  const stack = await startStack({
    host: { workers: 1 }, // a batch gathers the events of one worker's VM
    pluginConfig: pluginConfig({
      batch: { maxEvents: 4, intervalMs: 60000 },
      annotations,
      metadataHeaders: ["X-Tenant"],
    }),
    nodeMetadata: podMetadata("sklearn-iris", "models"),
  });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1,2]]}', { "ce-id": "b-1", "x-tenant": "acme" });
    await post(`${stack.url}/echo`, randomBytes(64), { "content-type": "application/octet-stream", "ce-id": "b-2" });
    const evs = await events(stack, 4);
    assert.equal(stack.sink!.requests, 1, "four events, one HTTP request");
    for (const e of evs) {
      assert.equal(e.batch, true);
      assert.equal(e.headers["content-type"], "application/cloudevents-batch+json");
      assert.equal(e.event.specversion, "1.0");
      assert.equal(e.event.source, "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q");
      const x = e.event as unknown as Record<string, string>;
      assert.equal(x.inferenceservicename, "sklearn-iris");
      assert.equal(x.namespace, "models");
      assert.equal(x.component, "predictor");
      assert.deepEqual(JSON.parse(x.annotations!), annotations);
      assert.ok(Date.parse(x.recordedtime!) >= Date.parse(e.event.time!));
    }
    const one = evs.filter((e) => e.event.id === "b-1");
    assert.deepEqual(one.map((e) => e.event.type).sort(), [TYPE_REQUEST, TYPE_RESPONSE]);
    assert.deepEqual(JSON.parse((one[0]!.event as unknown as Record<string, string>).metadata!), {
      "X-Tenant": ["acme"],
    });
    assert.deepEqual(
      JSON.parse(byType(one, TYPE_REQUEST)[0]!.body.toString()),
      { instances: [[1, 2]] },
      "JSON bodies travel as data",
    );
    const bin = evs.filter((e) => e.event.id === "b-2");
    assert.equal(bin.length, 2);
    assert.equal(bin[0]!.event.datacontenttype, "application/octet-stream");
    assert.equal(bin[0]!.body.length, 64, "binary bodies travel as data_base64");
    const c = await settledCounters(stack, 4);
    assert.deepEqual([c.attempted, c.sent], [4, 4]);
  } finally {
    await stack.close();
  }
});

test("batch.intervalMs: a partial batch leaves when the interval has passed", async () => {
  const stack = await startStack({
    host: { workers: 1 }, // one worker's batch
    pluginConfig: pluginConfig({ batch: { maxEvents: 100, intervalMs: 50 } }),
  });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { "ce-id": "lonely" });
    const evs = await events(stack, 2);
    assert.deepEqual(
      evs.map((e) => e.event.id),
      ["lonely", "lonely"],
    );
    assert.equal(stack.sink!.requests, 1);
  } finally {
    await stack.close();
  }
});

test("a failed batch is retried and counted per event", async () => {
  const stack = await startStack({
    pluginConfig: pluginConfig({
      batch: { maxEvents: 2, intervalMs: 60000 },
      retry: { maxRetries: 1, initialBackoffMs: 5, maxBackoffMs: 5 },
    }),
    sink: { behaviour: { kind: "status", status: 503 } },
  });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
    const c = await settledCounters(stack, 2);
    assert.deepEqual([c.attempted, c.sent, c.failed, c.retried], [2, 0, 2, 2]);
    assert.equal(stack.sink!.requests, 2, "the batch was sent twice");
  } finally {
    await stack.close();
  }
});
