// Sidecar mode over real sockets: client -> sidecar (probe filter) -> model server,
// status and body bytes unchanged, streaming kept; the sink decodes UTF-8 headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { HTTP, CloudEvent } from "cloudevents";
import { Sidecar, WasmHost } from "../src/index.js";
import { ModelServer } from "../../testbed/model-server.js";
import { CloudEventSink } from "../../testbed/sink.js";
import { find, fixture } from "./fixtures.js";

function request(
  url: string,
  method: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; chunks: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, body: Buffer.concat(chunks), chunks: chunks.length, headers: res.headers }),
      );
    });
    req.on("error", reject);
    // A Buffer, never a string: Node writes the header block together with a string body
    // as UTF-8, which would re-encode latin1-carried header bytes.
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

test("sidecar: V1/V2 inference, binary echo, upstream status, SSE streaming pass through the filter unchanged", async () => {
  const model = await ModelServer.start();
  const host = await WasmHost.load(fixture("probe"), { rootId: "probe" });
  assert.ok(host.configure("").accepted);
  const sc = await Sidecar.start(host, { upstream: model.url });
  try {
    const v1 = await request(
      `${sc.url}/v1/models/iris:predict`,
      "POST",
      JSON.stringify({
        instances: [
          [1, 2],
          [3, 4],
        ],
      }),
      { "content-type": "application/json" },
    );
    assert.equal(v1.status, 200);
    assert.deepEqual(JSON.parse(v1.body.toString()), { predictions: [3, 7] });
    const v2 = await request(
      `${sc.url}/v2/models/iris/infer`,
      "POST",
      JSON.stringify({ inputs: [{ name: "x", shape: [2], datatype: "FP32", data: [1, 2] }] }),
    );
    assert.deepEqual(JSON.parse(v2.body.toString()).outputs[0].data, [3]);
    const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a]);
    const echo = await request(`${sc.url}/echo`, "POST", bin, { "content-type": "application/octet-stream" });
    assert.ok(echo.body.equals(bin));
    const err = await request(`${sc.url}/v1/models/iris:predict`, "POST", "{}", { "x-test-status": "503" });
    assert.equal(err.status, 503);
    const sse = await request(`${sc.url}/stream?n=4`, "GET");
    assert.equal(sse.headers["content-type"], "text/event-stream");
    assert.equal(sse.body.toString(), [0, 1, 2, 3].map((i) => `data: {"token":${i}}\n\n`).join(""));
    // The filter saw the request and response bodies, chunk by chunk.
    assert.ok(find(host, "req_body").some((m) => m.includes('data={"instances":[[1,2],[3,4]]}')));
    assert.ok(find(host, "resp_body").filter((m) => m.includes("token")).length >= 1);
    assert.ok(
      model.requests.some((r) => typeof r.headers["x-request-id"] === "string"),
      "x-request-id added as Envoy's HCM does",
    );
    assert.equal(host.contextCounts().streams, 0);
  } finally {
    await sc.close();
    host.close();
    await model.close();
  }
});

test("sink: records binary-mode CloudEvents, decoding raw UTF-8 header values before the SDK", async () => {
  const sink = await CloudEventSink.start();
  try {
    const ev = new CloudEvent({
      type: "org.kubeflow.serving.inference.request",
      source: "http://localhost:9081/",
      id: "abc",
      datacontenttype: "application/json",
      data: { instances: [[1]] },
      annotations: JSON.stringify({ team: "Équipe ✓" }),
    });
    const msg = HTTP.binary(ev);
    const headers: Record<string, string> = {};
    // Raw UTF-8 bytes on the wire, as KServe's agent writes them.
    for (const [k, v] of Object.entries(msg.headers)) headers[k] = Buffer.from(String(v), "utf8").toString("latin1");
    const res = await request(sink.url, "POST", String(msg.body), headers);
    assert.equal(res.status, 200);
    const [got] = await sink.waitFor(1);
    assert.equal(got!.event.id, "abc");
    assert.equal(got!.event["annotations"], JSON.stringify({ team: "Équipe ✓" }));
    sink.setBehaviour({ kind: "status", status: 503 });
    const again = await request(sink.url, "POST", String(msg.body), headers);
    assert.equal(again.status, 503);
  } finally {
    await sink.close();
  }
});
