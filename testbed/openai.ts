// The sample model server's OpenAI-compatible completions, as vLLM and KServe's Hugging Face
// runtime serve them (/v1/... and /openai/v1/...): deterministic, so tests know every token.
//   POST .../v1/chat/completions  {"model","messages":[...],"stream"?,"stream_options"?:{"include_usage"},"max_tokens"?,"n"?}
//   POST .../v1/completions       {"model","prompt","stream"?,...}
// The reply echoes the last user message (or the prompt) word by word: "You said: <words>".
// A word is a token; max_tokens cuts the reply short (finish_reason "length", else "stop").
// Usage: prompt_tokens = words of the prompt, completion_tokens = tokens sent. Streamed
// (text/event-stream) one chunk per token, usage in a last chunk only with include_usage, as
// OpenAI does; then `data: [DONE]`. Knobs (request headers):
//   x-test-first-token-ms: N   wait N ms before the first token
//   x-test-token-ms: N         wait N ms between tokens
//   x-test-write-bytes: N      write the stream in pieces of at most N bytes (many small chunks)
//   x-test-reset-after: K      destroy the connection after K tokens (a stream cut off)

import type http from "node:http";

export const COMPLETION_ROUTE = /^(?:\/openai)?\/v1\/(chat\/completions|completions)$/;

interface CompletionRequest {
  model?: string;
  messages?: { role?: string; content?: string }[];
  prompt?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  n?: number;
}

export interface Completion {
  chat: boolean;
  model: string;
  promptTokens: number;
  tokens: string[];
  finishReason: "stop" | "length";
}

/** What the server answers to `req` (tests use it to know the expected tokens). */
export function completionFor(chat: boolean, req: CompletionRequest): Completion {
  const prompt = chat
    ? ([...(req.messages ?? [])].reverse().find((m) => m.role === "user")?.content ?? "")
    : (req.prompt ?? "");
  const words = ["You", "said:", ...prompt.split(/\s+/).filter((w) => w.length > 0)];
  const max = req.max_tokens ?? Infinity;
  const tokens = words.slice(0, max).map((w, i) => (i === 0 ? w : " " + w));
  return {
    chat,
    model: req.model ?? "testbed-llm",
    promptTokens: prompt.split(/\s+/).filter((w) => w.length > 0).length,
    tokens,
    finishReason: words.length > max ? "length" : "stop",
  };
}

const ID = "cmpl-testbed-0001";
const CREATED = 1764547200;

function usage(c: Completion): Record<string, number> {
  return {
    prompt_tokens: c.promptTokens,
    completion_tokens: c.tokens.length,
    total_tokens: c.promptTokens + c.tokens.length,
  };
}

/** The non-streamed response, as OpenAI shapes it. */
export function completionJson(c: Completion, n = 1): Record<string, unknown> {
  const text = c.tokens.join("");
  return {
    id: ID,
    object: c.chat ? "chat.completion" : "text_completion",
    created: CREATED,
    model: c.model,
    choices: Array.from({ length: n }, (_, index) =>
      c.chat
        ? { index, message: { role: "assistant", content: text }, finish_reason: c.finishReason }
        : { index, text, finish_reason: c.finishReason },
    ),
    usage: usage(c),
  };
}

/** The streamed response's SSE events, in order ([DONE] last). */
export function completionEvents(c: Completion, includeUsage: boolean, n = 1): string[] {
  const object = c.chat ? "chat.completion.chunk" : "text_completion";
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id: ID, object, created: CREATED, model: c.model, choices, ...extra })}\n\n`;
  const out: string[] = [];
  const nul = includeUsage ? { usage: null } : {};
  if (c.chat)
    out.push(
      chunk(
        Array.from({ length: n }, (_, index) => ({
          index,
          delta: { role: "assistant", content: "" },
          finish_reason: null,
        })),
        nul,
      ),
    );
  c.tokens.forEach((t, i) => {
    const last = i === c.tokens.length - 1;
    out.push(
      chunk(
        Array.from({ length: n }, (_, index) =>
          c.chat
            ? { index, delta: { content: t }, finish_reason: last ? c.finishReason : null }
            : { index, text: t, finish_reason: last ? c.finishReason : null },
        ),
        nul,
      ),
    );
  });
  if (includeUsage) out.push(chunk([], { usage: usage(c) }));
  out.push("data: [DONE]\n\n");
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Serves one completion request (its body already read). */
export async function serveCompletion(
  route: string,
  body: Buffer,
  headers: http.IncomingHttpHeaders,
  res: http.ServerResponse,
  forcedStatus: number,
): Promise<void> {
  const req = JSON.parse(body.toString("utf8")) as CompletionRequest;
  const c = completionFor(route === "chat/completions", req);
  const n = Math.max(1, Math.min(8, req.n ?? 1));
  const num = (h: string): number => Number(headers[h] ?? 0);
  if (!req.stream) {
    const b = Buffer.from(JSON.stringify(completionJson(c, n)));
    res.writeHead(forcedStatus || 200, { "content-type": "application/json", "content-length": b.length });
    return void res.end(b);
  }
  res.writeHead(forcedStatus || 200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const events = completionEvents(c, req.stream_options?.include_usage === true, n);
  const piece = num("x-test-write-bytes");
  const resetAfter = headers["x-test-reset-after"] === undefined ? -1 : num("x-test-reset-after");
  let tokens = 0;
  for (const [i, ev] of events.entries()) {
    const isToken = c.chat ? i >= 1 && i <= c.tokens.length : i < c.tokens.length;
    if (isToken) {
      if (tokens === resetAfter) {
        res.socket?.destroy();
        return;
      }
      await sleep(tokens === 0 ? num("x-test-first-token-ms") : num("x-test-token-ms"));
      tokens++;
    }
    const b = Buffer.from(ev);
    if (piece > 0) for (let o = 0; o < b.length; o += piece) res.write(b.subarray(o, o + piece));
    else res.write(b);
    await new Promise<void>((r) => setImmediate(r));
  }
  res.end();
}
