// The events a consumer of KServe's agent logger receives, produced by the
// compiled filter in the Node host: wire format, pairing, ids, identity,
// metadata, annotations, statuses, probes, modes (docs/events.md).

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { podMetadata, startStack, type Stack } from "../../../testbed/stack.js";
import { byType, events, ext, pluginConfig, post, settledCounters, TYPE_REQUEST, TYPE_RESPONSE } from "./support.js";

const RFC3339_NANO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

describe("mode all, as KServe's TestLogger", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      pluginConfig: pluginConfig({
        metadataHeaders: ["X-Tenant", "x-b3-traceid", "Foo"],
        annotations: { "serving.example.com/tenant": "acme" },
      }),
      nodeMetadata: podMetadata("sklearn-iris", "models"),
    });
  });
  after(() => stack.close());
  beforeEach(async () => {
    await settledCounters(stack);
    stack.sink!.clear();
  });

  test("a request and a response event, paired by id, with the exact bodies, and the client's response untouched", async () => {
    const body = '{"instances":[[0,0,0]]}';
    const res = await post(`${stack.url}/v1/models/sklearn-iris:predict`, body, { "ce-id": "exchange-1" });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{"predictions":[0]}');
    const evs = await events(stack, 2);
    const [req] = byType(evs, TYPE_REQUEST);
    const [resp] = byType(evs, TYPE_RESPONSE);
    assert.ok(req && resp, "one event of each type");
    assert.equal(req.event.id, "exchange-1");
    assert.equal(resp.event.id, "exchange-1");
    assert.equal(req.body.toString(), body);
    assert.equal(resp.body.toString(), '{"predictions":[0]}');
    for (const e of [req, resp]) {
      assert.equal(e.headers["ce-specversion"], "1.0");
      assert.equal(e.headers["content-type"], "application/json", "the request's content type, on both events");
      assert.equal(ext(e, "inferenceservicename"), "sklearn-iris");
      assert.equal(ext(e, "namespace"), "models");
      assert.equal(ext(e, "component"), "predictor");
      assert.equal(e.headers["ce-endpoint"], "", "KServe sends an empty endpoint when nothing says otherwise");
      assert.equal(e.event.source, "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q", "ce-source is the pod name");
      assert.match(e.headers["ce-time"]!, RFC3339_NANO_UTC);
      assert.match(e.headers["ce-recordedtime"]!, RFC3339_NANO_UTC);
      assert.ok(Date.parse(e.headers["ce-recordedtime"]!) >= Date.parse(e.headers["ce-time"]!), "recordedtime ≥ time");
      assert.deepEqual(JSON.parse(e.headers["ce-annotations"]!), { "serving.example.com/tenant": "acme" });
    }
    assert.ok(
      Date.parse(resp.headers["ce-time"]!) >= Date.parse(req.headers["ce-time"]!),
      "response time ≥ request time",
    );
    const c = await settledCounters(stack);
    assert.deepEqual([c.attempted, c.sent, c.failed, c.dropped], [2, 2, 0, 0]);
  });

  test("several metadata headers at once, every value, canonical keys, matched case-insensitively (KServe #4248)", async () => {
    // Two separate "Foo" header lines (fetch would merge them into one).
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${stack.url}/v1/models/sklearn-iris:predict`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-tenant": "acme",
            "X-B3-TraceId": "abc",
            foo: ["bar", "baz"],
            "ce-id": "m-1",
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end('{"instances":[[1]]}');
    });
    assert.equal(status, 200);
    const evs = await events(stack, 2);
    for (const e of evs) {
      const md = JSON.parse(e.headers["ce-metadata"]!);
      assert.deepEqual(
        Object.keys(md),
        ["Foo", "X-B3-Traceid", "X-Tenant"],
        "Go's canonical names, sorted as Go marshals a map",
      );
      assert.deepEqual(md["X-Tenant"], ["acme"]);
      assert.deepEqual(md["X-B3-Traceid"], ["abc"]);
      assert.deepEqual(md.Foo, ["bar", "baz"], "one array element per header line, in order");
    }
  });

  test("metadata is {} when no listed header is present", async () => {
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1]]}');
    const evs = await events(stack, 2);
    for (const e of evs) assert.equal(e.headers["ce-metadata"], "{}");
  });

  test("kubelet probes are passed through and never logged", async () => {
    const a = await fetch(`${stack.url}/v2/health/ready`, { headers: { "user-agent": "kube-probe/1.31" } });
    const b = await fetch(`${stack.url}/v2/health/live`, { headers: { "k-kubelet-probe": "queue" } });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[2]]}', { "ce-id": "after-probes" });
    const evs = await events(stack, 2);
    assert.deepEqual(
      evs.map((e) => e.event.id),
      ["after-probes", "after-probes"],
      "only the inference call was logged",
    );
  });

  test("a non-200 response yields the request event only (KServe logs response events for 200 only)", async () => {
    const res = await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[3]]}', {
      "x-test-status": "500",
      "ce-id": "err-1",
    });
    assert.equal(res.status, 500);
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[4]]}', { "ce-id": "ok-2" });
    const evs = await events(stack, 3);
    assert.deepEqual(evs.map((e) => `${e.event.id} ${e.event.type}`).sort(), [
      `err-1 ${TYPE_REQUEST}`,
      `ok-2 ${TYPE_REQUEST}`,
      `ok-2 ${TYPE_RESPONSE}`,
    ]);
  });

  test("an empty request body gives an event without a body; a missing content type gives no content-type", async () => {
    const res = await fetch(`${stack.url}/v1/models/sklearn-iris`, { headers: { "ce-id": "empty-1" } });
    assert.equal(res.status, 200);
    const evs = await events(stack, 2);
    const [req] = byType(evs, TYPE_REQUEST);
    assert.equal(req!.body.length, 0);
    assert.equal(req!.headers["content-type"], undefined);
    assert.equal(
      byType(evs, TYPE_RESPONSE)[0]!.headers["content-type"],
      undefined,
      "the request's (absent) content type, as KServe",
    );
  });
});

describe("ids and correlation", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test("as KServe: Ce-Id, else a new UUID — two exchanges that reuse an X-Request-Id get two ids; it travels as ce-requestid", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig(), sidecar: { generateRequestId: false } });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
        "ce-id": "from-ce-id",
        "x-request-id": "from-xrid",
      });
      // a client retry: the same X-Request-Id twice
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { "x-request-id": "retried" });
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { "x-request-id": "retried" });
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { "ce-id": "x".repeat(300) });
      const evs = await events(stack, 8);
      const ids = [...new Set(evs.map((e) => e.event.id))];
      assert.equal(ids.length, 4, "one id per exchange, shared by its two events");
      assert.ok(ids.includes("from-ce-id"));
      const generated = ids.filter((i) => i !== "from-ce-id");
      for (const g of generated) assert.match(g, UUID, "no Ce-Id (or an over-long one): a UUID v4");
      for (const id of ids) assert.equal(evs.filter((e) => e.event.id === id).length, 2);
      const retried = evs.filter((e) => ext(e, "requestid") === "retried");
      assert.equal(retried.length, 4, "both events of both exchanges carry the X-Request-Id");
      assert.equal(new Set(retried.map((e) => e.event.id)).size, 2, "the retried exchanges keep distinct ids");
      assert.equal(
        ext(
          evs.find((e) => e.event.id === "from-ce-id")!,
          "requestid",
        ),
        "from-xrid",
      );
    } finally {
      await stack.close();
    }
  });

  test("eventId x-request-id: Ce-Id first, then X-Request-Id, then a UUID (the behaviour before the option)", async () => {
    const stack = await startStack({
      pluginConfig: pluginConfig({ eventId: "x-request-id" }),
      sidecar: { generateRequestId: false },
    });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
        "ce-id": "from-ce-id",
        "x-request-id": "from-xrid",
      });
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { "x-request-id": "from-xrid" });
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
        "ce-id": "x".repeat(300),
        "x-request-id": "long-ce-id-ignored",
      });
      const evs = await events(stack, 8);
      const ids = [...new Set(evs.map((e) => e.event.id))];
      assert.equal(ids.length, 4, "one id per exchange, shared by its two events");
      assert.ok(ids.includes("from-ce-id"));
      assert.ok(ids.includes("from-xrid"));
      assert.ok(ids.includes("long-ce-id-ignored"), "an over-long Ce-Id is not used");
      const generated = ids.filter((i) => !["from-ce-id", "from-xrid", "long-ce-id-ignored"].includes(i));
      assert.match(generated[0]!, UUID, "a UUID v4");
    } finally {
      await stack.close();
    }
  });

  test("W3C traceparent and tracestate travel as the distributed-tracing extension, in binary and batch mode", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    for (const extra of [{}, { batch: { maxEvents: 2, intervalMs: 60000 } }]) {
      const stack = await startStack({ host: { workers: 1 }, pluginConfig: pluginConfig(extra) });
      try {
        await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { traceparent, tracestate });
        await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { tracestate: "x".repeat(513) });
        const evs = await events(stack, 4);
        const traced = evs.filter((e) => ext(e, "traceparent") === traceparent);
        assert.equal(traced.length, 2, `both events of the traced exchange (${JSON.stringify(extra)})`);
        for (const e of traced) assert.equal(ext(e, "tracestate"), tracestate);
        assert.equal(
          evs.filter((e) => ext(e, "tracestate") !== undefined).length,
          2,
          "a tracestate over 512 bytes is left out",
        );
      } finally {
        await stack.close();
      }
    }
  });
});

describe("modes", () => {
  for (const [mode, types] of [
    ["request", [TYPE_REQUEST]],
    ["response", [TYPE_RESPONSE]],
    ["all", [TYPE_REQUEST, TYPE_RESPONSE]],
  ] as const) {
    test(`mode ${mode} logs ${types.map((t) => t.split(".").pop()).join(" and ")}`, async () => {
      const stack = await startStack({ pluginConfig: pluginConfig({ mode }) });
      try {
        for (let i = 0; i < 3; i++) await post(`${stack.url}/v1/models/m:predict`, `{"instances":[[${i}]]}`);
        const c = await settledCounters(stack, 3 * types.length);
        assert.equal(c.attempted, 3 * types.length);
        const got = stack.sink!.events.map((e) => e.event.type).sort();
        assert.deepEqual([...new Set(got)], [...types].sort());
        assert.equal(got.length, 3 * types.length);
      } finally {
        await stack.close();
      }
    });
  }
});

describe("identity", () => {
  test("without node metadata, the pluginConfig's values and KServe's default source are used", async () => {
    const stack = await startStack({
      pluginConfig: pluginConfig({ component: "transformer", endpoint: "default" }),
      nodeMetadata: {},
    });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
      const [e] = await events(stack, 1);
      assert.equal(e!.event.source, "http://localhost:9081/");
      assert.equal(ext(e!, "inferenceservicename"), "sklearn-iris");
      assert.equal(ext(e!, "component"), "transformer");
      assert.equal(ext(e!, "endpoint"), "default");
    } finally {
      await stack.close();
    }
  });

  test("endpoint comes from the installer's revision map by the pod's Knative revision label", async () => {
    const stack = await startStack({
      pluginConfig: pluginConfig({
        endpoints: { "sklearn-iris-predictor-00001": "default", "sklearn-iris-predictor-00002": "canary" },
      }),
      nodeMetadata: podMetadata("sklearn-iris", "models", "predictor", "sklearn-iris-predictor-00002"),
    });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
      const evs = await events(stack, 2);
      for (const e of evs) assert.equal(ext(e, "endpoint"), "canary");
    } finally {
      await stack.close();
    }
  });
});

describe("annotations", () => {
  test("values with commas, =, quotes, newlines, <>& and non-Latin text survive the round trip through the SDK unchanged", async () => {
    const annotations = {
      "serving.example.com/tenant": "acme, inc.",
      "serving.example.com/expr": "a=b=c",
      "serving.example.com/quote": 'say "hi" \\ back',
      "serving.example.com/multi": "line1\nline2\r\n\ttabbed",
      "serving.example.com/html": "<script>&amp;</script>",
      "serving.example.com/unicode": "Zürich 東京 ✓ 😀 \u2028",
      "serving.example.com/controls": "\u0000\u0001\u001f\u007f\u0085",
    };
    const stack = await startStack({ pluginConfig: pluginConfig({ annotations }) });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
      const evs = await events(stack, 2);
      for (const e of evs) {
        const raw = e.headers["ce-annotations"]!;
        // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
        assert.ok(!/[\u0000-\u001f\u007f]/.test(raw), "no control character reaches the header");
        assert.deepEqual(JSON.parse(raw), annotations);
        assert.deepEqual(JSON.parse(ext(e, "annotations") as string), annotations, "read through the cloudevents SDK");
        assert.deepEqual(
          Object.keys(JSON.parse(raw)),
          Object.keys(annotations).sort(),
          "sorted keys, as Go marshals a map",
        );
      }
    } finally {
      await stack.close();
    }
  });

  test("no annotations: no ce-annotations header at all, as KServe", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig() });
    try {
      await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}');
      const evs = await events(stack, 2);
      for (const e of evs) assert.equal(e.headers["ce-annotations"], undefined);
    } finally {
      await stack.close();
    }
  });
});

describe("logAllResponses (kserve #6036)", () => {
  test("logs non-200 responses with a statuscode extension", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig({ logAllResponses: true }) });
    try {
      const res = await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
        "x-test-status": "503",
        "ce-id": "s503",
      });
      assert.equal(res.status, 503);
      const evs = await events(stack, 2);
      const [resp] = byType(evs, TYPE_RESPONSE);
      assert.equal(ext(resp!, "statuscode"), "503");
    } finally {
      await stack.close();
    }
  });
});
