// LLM mode (pluginConfig llm) end to end: OpenAI-compatible completions from the testbed's
// model server, streamed (SSE) and not, through the compiled filter in the sidecar, to the
// sink. The response event must carry what the server said (model, usage, finish reason),
// the timings, and the body as the client got it, or reassembled, whatever the chunking.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { completionEvents, completionFor, completionJson } from "../../../testbed/openai.js";
import { startStack, type Stack } from "../../../testbed/stack.js";
import { byType, events, ext, pluginConfig, post, settledCounters, TYPE_RESPONSE, withDeadline } from "./support.js";
import type { ReceivedEvent } from "../../../testbed/sink.js";

const CHAT = { model: "opt-125m", messages: [{ role: "user", content: "the quick brown fox jumps" }] };
const PROMPT = { model: "opt-125m", prompt: "one two three" };

async function withStack<T>(
  llm: Record<string, unknown> | undefined,
  extra: Record<string, unknown>,
  f: (s: Stack) => Promise<T>,
): Promise<T> {
  const stack = await startStack({
    host: { workers: 1 },
    pluginConfig: pluginConfig({ ...(llm ? { llm } : {}), ...extra }),
  });
  try {
    return await f(stack);
  } finally {
    await stack.close();
  }
}

async function responseEvent(
  stack: Stack,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ ev: ReceivedEvent; client: Buffer }> {
  const before = byType(stack.sink!.events, TYPE_RESPONSE).length;
  const res = await post(`${stack.url}${path}`, JSON.stringify(body), headers);
  assert.equal(res.status, 200);
  const arrived = async (): Promise<ReceivedEvent[]> => {
    for (;;) {
      const r = byType(stack.sink!.events, TYPE_RESPONSE);
      if (r.length > before) return r;
      await new Promise((ok) => setTimeout(ok, 10));
    }
  };
  const ev = (await withDeadline(arrived(), "the response event"))[before];
  assert.ok(ev, "a response event");
  return { ev, client: res.body };
}

const llmExt = (ev: ReceivedEvent): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(ev.event as unknown as Record<string, unknown>).filter(([k]) => k.startsWith("llm")),
  );

describe("LLM mode: OpenAI-compatible completions", () => {
  test("a streamed chat completion with usage: model, tokens, finish reason, TTFT and duration; the raw SSE body as the client got it", async () => {
    await withStack({}, {}, async (stack) => {
      const req = { ...CHAT, stream: true, stream_options: { include_usage: true } };
      const { ev, client } = await responseEvent(stack, "/openai/v1/chat/completions", req, {
        "x-test-first-token-ms": "60",
        "x-test-token-ms": "5",
      });
      const c = completionFor(true, req);
      assert.deepEqual(ev.body, client, "the raw SSE body stays the event's body");
      assert.equal(client.toString(), completionEvents(c, true).join(""));
      const x = llmExt(ev);
      assert.equal(x.llmmodel, "opt-125m");
      assert.equal(x.llmstream, "true");
      assert.equal(x.llmusage, "reported");
      assert.equal(x.llmprompttokens, String(c.promptTokens));
      assert.equal(x.llmcompletiontokens, String(c.tokens.length));
      assert.equal(x.llmtotaltokens, String(c.promptTokens + c.tokens.length));
      assert.equal(x.llmfinishreason, "stop");
      assert.equal(x.llmevents, String(completionEvents(c, true).length), "every SSE event, [DONE] included");
      const ttft = Number(x.llmttftms);
      const total = Number(x.llmdurationms);
      assert.ok(ttft >= 60, `time to first token ${ttft} ms: the server waited 60 ms`);
      assert.ok(total >= ttft, `duration ${total} ms ≥ TTFT ${ttft} ms`);
      assert.equal(x.llmincomplete, undefined);
      assert.equal(x.llmbody, undefined);
      assert.equal(ext(ev, "truncated"), undefined);
    });
  });

  test("streamed without usage: the event says usage is absent and invents no counts", async () => {
    await withStack({}, {}, async (stack) => {
      const { ev } = await responseEvent(stack, "/v1/chat/completions", { ...CHAT, stream: true });
      const x = llmExt(ev);
      assert.equal(x.llmusage, "absent");
      assert.equal(x.llmprompttokens, undefined);
      assert.equal(x.llmcompletiontokens, undefined);
      assert.equal(x.llmfinishreason, "stop");
      assert.ok(Number(x.llmttftms) >= 0);
    });
  });

  test("not streamed: usage and finish reason from the JSON body, no TTFT, no event count", async () => {
    await withStack({}, {}, async (stack) => {
      const req = { ...CHAT, max_tokens: 3 };
      const { ev, client } = await responseEvent(stack, "/v1/chat/completions", req);
      assert.deepEqual(JSON.parse(ev.body.toString()), JSON.parse(client.toString()));
      const c = completionFor(true, req);
      const x = llmExt(ev);
      assert.equal(x.llmstream, "false");
      assert.equal(x.llmusage, "reported");
      assert.equal(x.llmcompletiontokens, "3");
      assert.equal(x.llmprompttokens, String(c.promptTokens));
      assert.equal(x.llmfinishreason, "length");
      assert.equal(x.llmttftms, undefined);
      assert.equal(x.llmevents, undefined);
      assert.ok(Number(x.llmdurationms) >= 0);
    });
  });

  test("llm.body reassembled: a streamed chat or text completion is sent in the non-streamed JSON shape", async () => {
    await withStack({ body: "reassembled" }, {}, async (stack) => {
      const chat = { ...CHAT, stream: true, stream_options: { include_usage: true } };
      const { ev } = await responseEvent(stack, "/v1/chat/completions", chat);
      assert.equal(ext(ev, "llmbody"), "reassembled");
      assert.deepEqual(JSON.parse(ev.body.toString()), completionJson(completionFor(true, chat)));
      const text = { ...PROMPT, stream: true };
      const { ev: ev2 } = await responseEvent(stack, "/v1/completions", text);
      const want = completionJson(completionFor(false, text));
      delete want.usage; // not reported in the stream: not invented
      assert.deepEqual(JSON.parse(ev2.body.toString()), want);
      assert.equal(ext(ev2, "llmusage"), "absent");
      // a non-streamed response is already in that shape: sent as it came
      const { ev: ev3, client } = await responseEvent(stack, "/v1/completions", PROMPT);
      assert.deepEqual(ev3.body, client);
      assert.equal(ext(ev3, "llmbody"), undefined);
    });
  });

  test("many small chunks (1 to 7 bytes a write): the same extensions and the same reassembled body", async () => {
    for (const body of ["raw", "reassembled"]) {
      await withStack({ body }, {}, async (stack) => {
        const req = { ...CHAT, n: 2, stream: true, stream_options: { include_usage: true } };
        const { ev: whole } = await responseEvent(stack, "/v1/chat/completions", req);
        for (const bytes of [1, 2, 7]) {
          const { ev } = await responseEvent(stack, "/v1/chat/completions", req, {
            "x-test-write-bytes": String(bytes),
          });
          const strip = (e: ReceivedEvent): Record<string, unknown> => {
            const { llmttftms: _t, llmdurationms: _d, ...rest } = llmExt(e);
            return rest;
          };
          assert.deepEqual(strip(ev), strip(whole), `${body}, ${bytes}-byte writes`);
          assert.deepEqual(ev.body, whole.body, `${body}, ${bytes}-byte writes: the same body`);
        }
        if (body === "reassembled") {
          const j = JSON.parse(whole.body.toString()) as { choices: unknown[] };
          assert.deepEqual(j.choices, completionJson(completionFor(true, req), 2).choices, "both choices reassembled");
        }
      });
    }
  });

  test("a stream cut off mid-way is logged when it is reset, with what was read, marked incomplete", async () => {
    await withStack({}, {}, async (stack) => {
      const req = { ...CHAT, stream: true, stream_options: { include_usage: true } };
      await assert.rejects(
        post(`${stack.url}/v1/chat/completions`, JSON.stringify(req), { "x-test-reset-after": "3" }),
        "the client sees the reset",
      );
      const evs = await events(stack, 2);
      const ev = byType(evs, TYPE_RESPONSE)[0]!;
      const x = llmExt(ev);
      assert.equal(x.llmincomplete, "true");
      assert.equal(x.llmusage, "unknown", "the usage chunk never came: unknown, not absent");
      assert.equal(x.llmfinishreason, undefined);
      const c = completionFor(true, req);
      assert.equal(ev.body.toString(), completionEvents(c, true).slice(0, 4).join(""), "the role chunk and 3 tokens");
      const counts = await settledCounters(stack, 2);
      assert.equal(counts.sent, 2);
    });
  });

  test("a stream over limits.maxBodyBytes: the body is cut at the cap (ce-truncated) but usage is still read from the rest", async () => {
    for (const body of ["raw", "reassembled"]) {
      await withStack({ body }, { limits: { maxBodyBytes: 300 } }, async (stack) => {
        const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");
        const req = {
          ...CHAT,
          messages: [{ role: "user", content: words }],
          stream: true,
          stream_options: { include_usage: true },
        };
        const { ev, client } = await responseEvent(stack, "/v1/chat/completions", req, { "x-test-write-bytes": "50" });
        assert.ok(client.length > 1000);
        assert.equal(ext(ev, "truncated"), "true", body);
        assert.equal(ext(ev, "llmusage"), "reported", body);
        assert.equal(ext(ev, "llmcompletiontokens"), String(completionFor(true, req).tokens.length));
        if (body === "raw") assert.deepEqual(ev.body, client.subarray(0, 300));
        else {
          const j = JSON.parse(ev.body.toString()) as { choices: { message: { content: string } }[] };
          assert.ok(completionFor(true, req).tokens.join("").startsWith(j.choices[0]!.message.content));
          assert.ok(j.choices[0]!.message.content.length <= 300);
          assert.ok(j.choices[0]!.message.content.length > 250, "as much content as the cap holds, whole tokens");
        }
      });
    }
  });

  test("an SSE event over llm.maxEventBytes is skipped and counted; the others are read", async () => {
    await withStack({ maxEventBytes: 1024 }, {}, async (stack) => {
      const long = { ...CHAT, messages: [{ role: "user", content: "x".repeat(1500) + " end" }], stream: true };
      const { ev } = await responseEvent(stack, "/v1/chat/completions", long, { "x-test-write-bytes": "100" });
      const x = llmExt(ev);
      assert.equal(x.llmskipped, "1", "the one token chunk over 1 KiB");
      assert.equal(x.llmusage, "unknown");
      assert.equal(x.llmfinishreason, "stop");
    });
  });

  test("without llm, and on other routes, events carry no LLM extensions", async () => {
    await withStack(undefined, {}, async (stack) => {
      const { ev } = await responseEvent(stack, "/v1/chat/completions", { ...CHAT, stream: true });
      assert.deepEqual(llmExt(ev), {});
    });
    await withStack({}, {}, async (stack) => {
      const { ev } = await responseEvent(stack, "/v1/models/m:predict", { instances: [[1, 2]] });
      assert.deepEqual(llmExt(ev), {});
    });
  });

  test("batch mode carries the same LLM attributes in the structured event", async () => {
    await withStack({}, { batch: { maxEvents: 2 } }, async (stack) => {
      const req = { ...CHAT, stream: true, stream_options: { include_usage: true } };
      await post(`${stack.url}/v1/chat/completions`, JSON.stringify(req));
      const evs = await events(stack, 2);
      const ev = byType(evs, TYPE_RESPONSE)[0]!;
      assert.equal(ev.batch, true);
      const x = llmExt(ev);
      assert.equal(x.llmusage, "reported");
      assert.equal(x.llmmodel, "opt-125m");
      assert.equal(x.llmfinishreason, "stop");
    });
  });
});
