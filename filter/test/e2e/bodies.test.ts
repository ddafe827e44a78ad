// Bodies as they stream by: chunked requests, streamed (SSE) responses, binary
// payloads, the capture cap, redaction — the client always gets the upstream's
// exact bytes.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { startStack, type Stack } from "../../../testbed/stack.js";
import { byType, events, ext, pluginConfig, post, settledCounters, TYPE_REQUEST, TYPE_RESPONSE } from "./support.js";

// Sends the body in several chunks (chunked transfer encoding), one write per event-loop turn.
function chunkedPost(
  url: string,
  chunks: Buffer[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", headers: { "content-type": "application/octet-stream", ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      },
    );
    req.on("error", reject);
    let i = 0;
    const next = (): void => {
      if (i >= chunks.length) return void req.end();
      req.write(chunks[i++]);
      setImmediate(next);
    };
    next();
  });
}

describe("bodies", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ pluginConfig: pluginConfig({ limits: { maxBodyBytes: 4096 } }) });
  });
  after(() => stack.close());
  beforeEach(async () => {
    await settledCounters(stack);
    stack.sink!.clear();
  });

  test("a chunked request body is logged whole, and reaches the model whole", async () => {
    const chunks = [Buffer.from('{"instances":'), Buffer.from("[[1,2,3],"), Buffer.from("[4,5,6]]"), Buffer.from("}")];
    const res = await chunkedPost(`${stack.url}/echo`, chunks, { "ce-id": "chunked" });
    const whole = Buffer.concat(chunks);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(whole));
    assert.ok(stack.model.requests.at(-1)!.body.equals(whole));
    const evs = await events(stack, 2);
    assert.ok(byType(evs, TYPE_REQUEST)[0]!.body.equals(whole));
    assert.ok(byType(evs, TYPE_RESPONSE)[0]!.body.equals(whole));
  });

  test("a body announced by content-length and sent in several chunks is logged whole", async () => {
    const chunks = [Buffer.alloc(1000, 0x61), Buffer.alloc(1500, 0x62), Buffer.alloc(500, 0x63)];
    const whole = Buffer.concat(chunks);
    const res = await chunkedPost(`${stack.url}/echo`, chunks, {
      "content-length": String(whole.length),
      "ce-id": "announced",
    });
    assert.ok(res.body.equals(whole));
    const evs = await events(stack, 2);
    for (const e of evs) assert.ok(e.body.equals(whole), `${e.event.type}: the announced body, whole`);
  });

  test("a body longer than its content-length announced is still logged whole (in-process stream)", async () => {
    const s = stack.host.newStream();
    s.sendRequestHeaders([
      [":authority", "m"],
      [":path", "/"],
      [":method", "POST"],
      [":scheme", "http"],
      ["content-length", "15"],
      ["ce-id", "liar"],
    ]);
    s.sendRequestBody("0123456789");
    s.sendRequestBody("abcdefghij", { endOfStream: true });
    s.complete();
    const [e] = await events(stack, 1);
    assert.equal(e!.body.toString(), "0123456789abcdefghij");
  });

  test("a streamed (SSE) response reaches the client intact and is logged as the concatenated stream", async () => {
    const res = await fetch(`${stack.url}/stream?n=20`, { headers: { "ce-id": "sse" } });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const text = await res.text();
    const expected = Array.from({ length: 20 }, (_, i) => `data: {"token":${i}}\n\n`).join("");
    assert.equal(text, expected);
    const evs = await events(stack, 2);
    assert.equal(byType(evs, TYPE_RESPONSE)[0]!.body.toString(), expected);
  });

  test("binary bodies are logged byte for byte", async () => {
    const bin = randomBytes(3000);
    const res = await post(`${stack.url}/echo`, bin, { "content-type": "application/octet-stream", "ce-id": "bin" });
    assert.ok(res.body.equals(bin));
    const evs = await events(stack, 2);
    for (const e of evs) {
      assert.ok(e.body.equals(bin), `${e.event.type} body is the exact bytes`);
      assert.equal(e.headers["content-type"], "application/octet-stream");
    }
  });

  test("bodies over the cap: the client gets everything, the event is truncated, marked and counted", async () => {
    const big = randomBytes(10_000);
    const res = await chunkedPost(
      `${stack.url}/echo`,
      [big.subarray(0, 3000), big.subarray(3000, 7000), big.subarray(7000)],
      { "ce-id": "big" },
    );
    assert.ok(res.body.equals(big), "inference traffic is never cut");
    const evs = await events(stack, 2);
    for (const e of evs) {
      assert.ok(e.body.equals(big.subarray(0, 4096)), `${e.event.type}: the first maxBodyBytes bytes`);
      assert.equal(ext(e, "truncated"), "true");
    }
    const c = await settledCounters(stack);
    assert.ok(c.truncated >= 2);
  });

  test("a body within the cap carries no truncated mark", async () => {
    await post(`${stack.url}/echo`, Buffer.alloc(4096, 0x61), { "ce-id": "exact" });
    const evs = await events(stack, 2);
    for (const e of evs) {
      assert.equal(e.body.length, 4096);
      assert.equal(ext(e, "truncated"), undefined);
    }
  });
});

describe("redaction of JSON body fields", () => {
  test("values at the configured paths are redacted in the events only; unparseable bodies are left out", async () => {
    const stack = await startStack({ pluginConfig: pluginConfig({ redactPaths: ["instances.*.ssn", "patient"] }) });
    try {
      const body = JSON.stringify({
        instances: [
          { ssn: "123-45-6789", age: 41 },
          { ssn: "987-65-4321", age: 7 },
        ],
        patient: { name: "Jane" },
      });
      const res = await post(`${stack.url}/echo`, body, { "ce-id": "pii" });
      assert.equal(res.body.toString(), body, "the model and the client see the real payload");
      assert.equal(stack.model.requests.at(-1)!.body.toString(), body);
      const evs = await events(stack, 2);
      for (const e of evs) {
        assert.deepEqual(JSON.parse(e.body.toString()), {
          instances: [
            { ssn: "[REDACTED]", age: 41 },
            { ssn: "[REDACTED]", age: 7 },
          ],
          patient: "[REDACTED]",
        });
        assert.ok(!e.body.toString().includes("123-45"));
        assert.equal(ext(e, "redaction"), "applied");
      }
      stack.sink!.clear();
      await post(`${stack.url}/echo`, Buffer.from([0xff, 0x00, 0x12]), {
        "content-type": "application/octet-stream",
        "ce-id": "bin",
      });
      const bin = await events(stack, 2);
      for (const e of bin) {
        assert.equal(e.body.length, 0, "a body that cannot be parsed cannot be redacted: left out");
        assert.equal(ext(e, "redaction"), "omitted");
      }
    } finally {
      await stack.close();
    }
  });
});

// Large capture buffers are reused from one exchange to the next (the filter's
// body pool, the host's callout-body pool): no event may carry another's bytes.
describe("reused body buffers", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ pluginConfig: pluginConfig({ limits: { maxBodyBytes: 256 * 1024 } }) });
  });
  after(() => stack.close());

  test("concurrent exchanges of varied large bodies each log exactly their own bytes", async () => {
    // Sizes cross the pool's classes both ways; some exceed the cap, some come without content-length.
    const sizes = [20_000, 300_000, 70_000, 16_385, 131_072, 200_000, 40_000, 262_144, 90_000, 17_000, 250_000, 33_000];
    const bodies = new Map<string, Buffer>();
    const sendOne = async (i: number): Promise<void> => {
      const id = `pool-${i}`;
      const body = randomBytes(sizes[i % sizes.length]! + i);
      bodies.set(id, body);
      const res =
        i % 3 === 0
          ? await chunkedPost(
              `${stack.url}/echo`,
              [body.subarray(0, 9000), body.subarray(9000, 50_000), body.subarray(50_000)],
              { "ce-id": id },
            )
          : await post(`${stack.url}/echo`, body, { "ce-id": id, "content-type": "application/octet-stream" });
      assert.ok(res.body.equals(body), `${id}: the client gets the model's bytes`);
    };
    // a stream reset halfway through a large body gives its capture buffer back to the pool first
    const cut = stack.host.newStream();
    cut.sendRequestHeaders([
      [":authority", "m"],
      [":path", "/echo"],
      [":method", "POST"],
      [":scheme", "http"],
      ["content-length", "200000"],
      ["ce-id", "cut"],
    ]);
    cut.sendRequestBody(Buffer.alloc(100_000, 0x7a));
    cut.resetStream("downstream_remote_disconnect");
    cut.complete();
    const n = 36;
    for (let i = 0; i < n; i += 6) await Promise.all([0, 1, 2, 3, 4, 5].map((k) => sendOne(i + k)));
    const evs = await events(stack, 2 * n);
    assert.equal(evs.length, 2 * n);
    for (const e of evs) {
      const want = bodies.get(e.event.id)!;
      const cap = 256 * 1024;
      assert.ok(
        e.body.equals(want.subarray(0, cap)),
        `${e.event.type} ${e.event.id}: its own first ${Math.min(cap, want.length)} bytes`,
      );
      assert.equal(ext(e, "truncated"), want.length > cap ? "true" : undefined, `${e.event.id}: truncation mark`);
    }
  });
});
